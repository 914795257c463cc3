// ws:// between a ferrozmq server and jszmq (jszmq@0.1.2, pure JavaScript,
// the `ws` package underneath in Node). jszmq speaks only the bare `ZWS2.0`
// subprotocol: no ZMTP handshake, each WebSocket message one frame (a
// flags byte, 1 = more, then the body), and each side's first message its
// routing id. jszmq connects only; ferrozmq binds in every test.

"use strict";

const assert = require("node:assert/strict");
const { test } = require("node:test");
const jszmq = require("jszmq");

const { Inbox, Script, assertParts, checkPublished, numbered, spawnPeer } = require("./peer");

/** Messages of the numbered streams: 0 B to 1 MiB (message 999). */
const COUNT = 1000;

/** A jszmq socket of `Type`, closed when test `t` ends. */
function jsSocket(t, Type) {
  const sock = new Type();
  t.after(() => sock.close());
  return sock;
}

/** A ferrozmq-peer (`peerArgs`) bound to a ws port 0 and the jszmq socket
 * `sock` connected to it (with the whole path, as a browser asks). */
async function linkedWs(t, peerArgs, sock, { path = "/api/zmq", stdin = false } = {}) {
  const child = spawnPeer(t, [...peerArgs, "--bind", `ws://127.0.0.1:0${path}`], { stdin });
  const endpoint = await child.ready();
  assert.match(endpoint, new RegExp(`^ws://127\\.0\\.0\\.1:[1-9]\\d*${path}$`));
  sock.connect(endpoint);
  return child;
}

const b = (s) => Buffer.from(s);

test("jszmq Req to ferrozmq REP over ws", async (t) => {
  const req = jsSocket(t, jszmq.Req);
  const replies = new Inbox(req);
  await linkedWs(t, ["rep"], req);
  const requests = [
    [b("hello")],
    [b("two"), b("parts")],
    [b("a"), b(""), Buffer.from([0, 1, 2, 255])],
    [Buffer.alloc(70_000, 0xab), b("tail")],
  ];
  for (const request of requests) {
    req.send(request);
    assertParts(await replies.next(), request, "the echo");
  }
});

test("jszmq Dealer to ferrozmq ROUTER over ws", async (t) => {
  const dealer = jsSocket(t, jszmq.Dealer);
  dealer.options.routingId = "js-dealer";
  const inbox = new Inbox(dealer);
  const router = new Script(await linkedWs(t, ["script", "--type", "router"], dealer, { stdin: true }));
  dealer.send([b("hello"), b("world")]);
  // The routing id jszmq sent as its first message names it at the router.
  assert.deepEqual(await router.recv(), [b("js-dealer"), b("hello"), b("world")]);
  await router.send([b("js-dealer"), b("reply"), b(""), b("end")]);
  assert.deepEqual(await inbox.next(), [b("reply"), b(""), b("end")]);
  dealer.send([b("again")]);
  assert.deepEqual(await router.recv(), [b("js-dealer"), b("again")]);
});

test("ferrozmq PUB to jszmq Sub over ws", async (t) => {
  const sub = jsSocket(t, jszmq.Sub);
  const inbox = new Inbox(sub);
  const pub = new Script(await linkedWs(t, ["script", "--type", "pub"], sub, { stdin: true }));
  // jszmq sends the subscription as a message: 1, then the prefix.
  sub.subscribe("news");
  // jszmq filters too; the next test shows what reaches ferrozmq.
  await checkPublished(pub, (ms) => inbox.next(ms).catch(() => null));
});

test("jszmq Sub subscription filters at ferrozmq XPUB over ws", async (t) => {
  // An XPUB shows what arrives on the wire: the subscription and the
  // unsubscription as messages starting with 1 and 0.
  const sub = jsSocket(t, jszmq.Sub);
  const xpub = new Script(await linkedWs(t, ["script", "--type", "xpub"], sub, { stdin: true }));
  sub.subscribe("A");
  assert.deepEqual(await xpub.recv(), [Buffer.from("\x01A")]);
  sub.unsubscribe("A");
  assert.deepEqual(await xpub.recv(), [Buffer.from("\x00A")]);
});

test("jszmq Push to ferrozmq PULL over ws", async (t) => {
  const push = jsSocket(t, jszmq.Push);
  const pull = await linkedWs(t, ["pull", "--count", COUNT], push);
  // jszmq queues what is sent before its WebSocket opens.
  for (let i = 0; i < COUNT; i++) push.send(numbered(i));
  assert.equal(await pull.line(), `OK ${COUNT}`);
  assert.equal(await pull.wait(), 0);
});

test("ferrozmq PUSH to jszmq Pull over ws", async (t) => {
  const pull = jsSocket(t, jszmq.Pull);
  const inbox = new Inbox(pull);
  const push = await linkedWs(t, ["push", "--count", COUNT], pull);
  for (let i = 0; i < COUNT; i++) {
    const parts = await inbox.next();
    assertParts(parts, numbered(i), `message ${i}`);
  }
  assert.equal(await push.line(), `SENT ${COUNT}`);
  assert.equal(await push.wait(), 0);
});
