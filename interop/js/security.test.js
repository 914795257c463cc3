// PLAIN and CURVE over ws between ferrozmq and zeromq.js (libzmq 4.3.5
// with libsodium): REQ/REP with each side as the server. zeromq.js's
// PLAIN server asks the ZAP handler of its context, here a zeromq.js
// Reply socket at inproc://zeromq.zap.01.

"use strict";

const assert = require("node:assert/strict");
const { test } = require("node:test");
const zmq = require("zeromq");

const { WAIT, spawnPeer } = require("./peer");

const b = (s) => Buffer.from(s);

/** A zeromq.js socket of `Type` that gives up instead of hanging. */
function jsSocket(t, Type, options) {
  const sock = new Type({ linger: 0, receiveTimeout: WAIT, sendTimeout: WAIT, ...options });
  t.after(() => sock.close());
  return sock;
}

/** The hex line ferrozmq-peer's `req` prints for a reply. */
const hex = (s) => Buffer.from(s).toString("hex");

/**
 * Our REQ (ferrozmq-peer, with the security flags `args`) sends `text` to
 * the zeromq.js Reply socket `rep`, which answers "ok".
 */
async function ourRequestTo(t, rep, args, text) {
  const req = spawnPeer(t, ["req", "--connect", rep.lastEndpoint, ...args], { stdin: true });
  await req.ready();
  req.write(hex(text));
  const [request] = await rep.receive();
  assert.equal(request.toString(), text);
  await rep.send("ok");
  assert.equal(await req.line(), hex("ok"));
}

test("CURVE over ws: our client to a zeromq.js server, and the reverse", async (t) => {
  const server = zmq.curveKeyPair();
  const client = zmq.curveKeyPair();
  const rep = jsSocket(t, zmq.Reply, { curveServer: true, curveSecretKey: server.secretKey });
  await rep.bind("ws://127.0.0.1:0/zmq");
  await ourRequestTo(t, rep, ["--curve-secret", client.secretKey, "--curve-server-key", server.publicKey], "boxed");

  const ours = spawnPeer(t, ["rep", "--bind", "ws://127.0.0.1:0/zmq", "--curve-server-secret", server.secretKey]);
  const endpoint = await ours.ready();
  const jsReq = jsSocket(t, zmq.Request, {
    curveServerKey: server.publicKey,
    curvePublicKey: client.publicKey,
    curveSecretKey: client.secretKey,
  });
  jsReq.connect(endpoint);
  await jsReq.send("boxed by zeromq.js");
  const [reply] = await jsReq.receive();
  assert.equal(reply.toString(), "boxed by zeromq.js");
});

test("PLAIN over ws: our client to a zeromq.js server with a ZAP handler, and the reverse", async (t) => {
  const zap = jsSocket(t, zmq.Reply);
  await zap.bind("inproc://zeromq.zap.01");
  (async () => {
    for await (const [version, id, , , , mechanism, user, password] of zap) {
      const ok = mechanism.toString() === "PLAIN" && user.toString() === "admin" && password.toString() === "secret";
      await zap.send([version, id, ok ? "200" : "400", "", ok ? user : "", ""]);
    }
  })().catch(() => {});
  const rep = jsSocket(t, zmq.Reply, { plainServer: true });
  await rep.bind("ws://127.0.0.1:0/zmq");
  await ourRequestTo(t, rep, ["--plain-user", "admin", "--plain-password", "secret"], "logged in");

  const ours = spawnPeer(t, ["rep", "--bind", "ws://127.0.0.1:0/zmq", "--plain-allow", "admin:secret"]);
  const endpoint = await ours.ready();
  const jsReq = jsSocket(t, zmq.Request, { plainUsername: "admin", plainPassword: "secret" });
  jsReq.connect(endpoint);
  await jsReq.send(b("from zeromq.js"));
  const [reply] = await jsReq.receive();
  assert.equal(reply.toString(), "from zeromq.js");
});
