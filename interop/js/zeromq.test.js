// ws:// between ferrozmq and zeromq.js (zeromq@6.8.0: libzmq 4.3.5 with its
// draft WebSocket transport, which speaks ZWS2.0/NULL: a ZMTP 3.1
// handshake inside WebSocket messages). REQ/REP, PUB/SUB and PUSH/PULL,
// ferrozmq and zeromq.js each binding in turn.

"use strict";

const assert = require("node:assert/strict");
const { test } = require("node:test");
const zmq = require("zeromq");

const { Script, WAIT, assertParts, checkPublished, hexParts, numbered, spawnPeer } = require("./peer");

/** Messages of the numbered streams: 0 B to 1 MiB (message 999). */
const COUNT = 1000;
const SIDES = [
  [true, "ferrozmq binds"],
  [false, "zeromq.js binds"],
];

/** A zeromq.js socket of `Type` that gives up instead of hanging. */
function jsSocket(t, Type, options = {}) {
  const defaults = { linger: 0 };
  // Only the options the type has: a Pull has no sendTimeout, say.
  for (const name of ["receiveTimeout", "sendTimeout"]) {
    if (name in Type.prototype) defaults[name] = WAIT;
  }
  const sock = new Type({ ...defaults, ...options });
  t.after(() => sock.close());
  return sock;
}

/** A ferrozmq-peer (`peerArgs`) and the zeromq.js socket `sock`, linked
 * over ws; the ferrozmq side binds when `oursBinds`, zeromq.js otherwise.
 * Both bind port 0 and tell the port they got. libzmq's client asks for the
 * last segment of the path only (`GET /zmq` for `/api/zmq`), which a
 * ferrozmq server takes as well. */
async function linkedWs(t, oursBinds, peerArgs, sock, { path = "/zmq", stdin = false } = {}) {
  const wanted = `ws://127.0.0.1:0${path}`;
  if (oursBinds) {
    const child = spawnPeer(t, [...peerArgs, "--bind", wanted], { stdin });
    const endpoint = await child.ready();
    assert.match(endpoint, new RegExp(`^ws://127\\.0\\.0\\.1:[1-9]\\d*${path}$`));
    sock.connect(endpoint);
    return child;
  }
  await sock.bind(wanted);
  const endpoint = sock.lastEndpoint;
  assert.match(endpoint, new RegExp(`^ws://127\\.0\\.0\\.1:[1-9]\\d*${path}$`));
  const child = spawnPeer(t, [...peerArgs, "--connect", endpoint], { stdin });
  await child.ready();
  return child;
}

const b = (s) => Buffer.from(s);

for (const [oursBinds, side] of SIDES) {
  test(`zeromq.js REQ to ferrozmq REP over ws (${side})`, async (t) => {
    const req = jsSocket(t, zmq.Request);
    // A path of two segments where ferrozmq serves it (libzmq 4.3.5 cannot
    // bind one: EINVAL).
    await linkedWs(t, oursBinds, ["rep"], req, { path: oursBinds ? "/api/zmq" : "/zmq" });
    const requests = [
      [b("hello")],
      [b("two"), b("parts")],
      [b(""), Buffer.from([0, 1, 2, 255]), b("")],
      [Buffer.alloc(70_000, 0xab), b("tail")],
    ];
    for (const request of requests) {
      // Kept apart: libzmq's ws client masks a large (zero-copy) message
      // in place, so the buffer sent comes back scrambled.
      const expected = request.map((part) => Buffer.from(part));
      await req.send(request);
      assertParts(await req.receive(), expected, "the echo");
    }
  });

  test(`ferrozmq REQ to zeromq.js REP over ws (${side})`, async (t) => {
    const rep = jsSocket(t, zmq.Reply);
    const req = await linkedWs(t, oursBinds, ["req"], rep, { stdin: true });
    for (let n = 0; n < 3; n++) {
      req.write(hexParts([b("request"), Buffer.from([n]), b("")]));
      assert.deepEqual(await rep.receive(), [b("request"), Buffer.from([n]), b("")]);
      await rep.send([b("reply"), Buffer.from([n])]);
      assert.equal(await req.line(), hexParts([b("reply"), Buffer.from([n])]));
    }
  });

  test(`ferrozmq PUB to zeromq.js SUB over ws (${side})`, async (t) => {
    const sub = jsSocket(t, zmq.Subscriber, { receiveTimeout: 20 });
    const pub = new Script(await linkedWs(t, oursBinds, ["script", "--type", "pub"], sub, { stdin: true }));
    sub.subscribe("news");
    // libzmq's SUB filters too, so this does not tell which side did.
    await checkPublished(pub, async (ms) => {
      sub.receiveTimeout = ms;
      try {
        return await sub.receive();
      } catch (e) {
        if (e.code !== "EAGAIN") throw e;
        return null;
      }
    });
  });

  test(`zeromq.js PUB to ferrozmq SUB over ws (${side})`, async (t) => {
    // An XPUB, to see the subscriptions as they arrive: libzmq's ws engine
    // passes them up as messages starting with 1 (subscribe) or 0.
    const xpub = jsSocket(t, zmq.XPublisher);
    const sub = new Script(await linkedWs(t, oursBinds, ["script", "--type", "sub"], xpub, { stdin: true }));
    await sub.subscribe("A");
    // The ferrozmq socket takes in the new connection (and sends the
    // subscription on it) while its caller calls it: idle until it is in.
    let arrived = null;
    xpub.receive().then(
      (msg) => (arrived = { msg }),
      (error) => (arrived = { error }),
    );
    const deadline = Date.now() + WAIT;
    while (arrived === null) {
      assert.ok(Date.now() < deadline, "the subscription never reached zeromq.js");
      assert.equal(await sub.idle(20), null);
    }
    if (arrived.error) throw arrived.error;
    assert.deepEqual(arrived.msg, [Buffer.from("\x01A")]);
    await xpub.send([b("B"), b("no")]);
    await xpub.send([b("A"), b("yes")]);
    await xpub.send([b("AB"), b("also")]);
    assert.deepEqual(await sub.recv(), [b("A"), b("yes")]);
    assert.deepEqual(await sub.recv(), [b("AB"), b("also")]);
    await sub.subscribe("A", false);
    assert.deepEqual(await xpub.receive(), [Buffer.from("\x00A")]);
  });

  test(`ferrozmq PUSH to zeromq.js PULL over ws (${side})`, async (t) => {
    const pull = jsSocket(t, zmq.Pull);
    const push = await linkedWs(t, oursBinds, ["push", "--count", COUNT], pull);
    for (let i = 0; i < COUNT; i++) {
      const parts = await pull.receive();
      assertParts(parts, numbered(i), `message ${i}`);
    }
    assert.equal(await push.line(), `SENT ${COUNT}`);
    assert.equal(await push.wait(), 0);
  });

  test(`zeromq.js PUSH to ferrozmq PULL over ws (${side})`, async (t) => {
    const push = jsSocket(t, zmq.Push);
    const pull = await linkedWs(t, oursBinds, ["pull", "--count", COUNT], push);
    try {
      for (let i = 0; i < COUNT; i++) await push.send(numbered(i));
    } catch (e) {
      // A send that times out because ferrozmq-peer gave up: its reason.
      if (pull.closed) throw pull.exitError();
      throw e;
    }
    assert.equal(await pull.line(), `OK ${COUNT}`);
    assert.equal(await pull.wait(), 0);
  });
}

test("heartbeats over ws are answered both ways (ferrozmq binds)", async (t) => {
  // Over ws both libzmq and ferrozmq send their heartbeats as WebSocket
  // pings. Each side drops the other after 200 ms without an answer; both
  // are to stay connected for five times that.
  const req = jsSocket(t, zmq.Request, { heartbeatInterval: 50, heartbeatTimeout: 200 });
  const drops = [];
  req.events.on("disconnect", (event) => drops.push(event));
  const heartbeat = ["--heartbeat-ivl", 50, "--heartbeat-timeout", 200];
  const rep = await linkedWs(t, true, ["rep", "--monitor", ...heartbeat], req);
  await req.send(b("first"));
  assert.deepEqual(await req.receive(), [b("first")]);
  await new Promise((resolve) => setTimeout(resolve, 1000)); // the window watched
  assert.deepEqual(drops, [], "zeromq.js dropped ferrozmq");
  assert.doesNotMatch(rep.stderrText, /Disconnected/, "ferrozmq dropped zeromq.js");
  assert.match(rep.stderrText, /HandshakeSucceeded/);
  await req.send(b("second"));
  assert.deepEqual(await req.receive(), [b("second")]);
});
