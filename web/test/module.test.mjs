// Tests of ferrozmq.js against real libzmq (Debian's 4.3.4, through
// /usr/bin/python3's zmq module) over ws://, and against a fake ws server
// that sends garbage. Run: node --test web/test/*.test.mjs
//
// Every wait is bounded, and waits on an event, never on the clock.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { WebSocketServer } from 'ws'
import { Request, Dealer, Pair, Push, Subscriber } from '../ferrozmq.js'
import { Peer, WAIT_MS, nextEvent, text, within } from './helpers.mjs'

test('Request to REP: a round trip, single and multipart', async () => {
  const rep = await Peer.start('rep')
  const req = new Request({ receiveTimeout: WAIT_MS })
  try {
    req.connect(rep.endpoint)
    await req.send('hello')
    assert.deepEqual(text(await req.receive()), ['re', 'hello'])
    assert.deepEqual(text((await rep.next((e) => e.event === 'received', 'the request')).frames), ['hello'])

    await req.send(['one', new Uint8Array([0, 1, 2]), new ArrayBuffer(0), 'four'])
    const reply = await req.receive()
    assert.ok(reply.every((frame) => frame instanceof Uint8Array))
    assert.deepEqual(text(reply), ['re', 'one', '\x00\x01\x02', '', 'four'])

    // REQ's turns: no second send before the reply, no receive before a send.
    await req.send('turn')
    await assert.rejects(req.send('again'), { code: 'EFSM' })
    assert.deepEqual(text(await req.receive()), ['re', 'turn'])
    await assert.rejects(req.receive(), { code: 'EFSM' })
  } finally {
    req.close()
    await rep.kill()
  }
})

test('Dealer to ROUTER, and Pair to PAIR', async () => {
  const router = await Peer.start('router')
  const pair = await Peer.start('pair')
  const dealer = new Dealer({ receiveTimeout: WAIT_MS })
  const pairClient = new Pair({ receiveTimeout: WAIT_MS })
  try {
    dealer.connect(router.endpoint)
    await dealer.send(['', 'hello', 'dealer'])
    const seen = await router.next((e) => e.event === 'received', 'the dealer message')
    assert.equal(seen.frames.length, 4) // the routing id ROUTER made up, then ours
    assert.deepEqual(seen.frames.slice(1), ['', 'hello', 'dealer'])
    assert.deepEqual(text(await dealer.receive()), ['', 'hello', 'dealer'])

    pairClient.connect(pair.endpoint)
    await pairClient.send(['a', 'b'])
    assert.deepEqual(text(await pairClient.receive()), ['a', 'b'])
  } finally {
    dealer.close()
    pairClient.close()
    await router.kill()
    await pair.kill()
  }
})

test('Subscriber from XPUB: subscribe, unsubscribe, for await, close', async () => {
  const xpub = await Peer.start('xpub')
  const sub = new Subscriber({ receiveTimeout: WAIT_MS })
  try {
    sub.subscribe('weather')
    sub.connect(xpub.endpoint)
    await xpub.next((e) => e.event === 'subscribe' && e.prefix === 'weather', 'the subscription')
    for (let i = 0; i < 3; i++) assert.equal(text(await sub.receive())[0], 'weather')

    sub.subscribe('news')
    await xpub.next((e) => e.event === 'subscribe' && e.prefix === 'news', 'the second subscription')
    const topics = new Set()
    while (topics.size < 2) topics.add(text(await within(sub.receive(), 'both topics'))[0])

    // Counted like libzmq's: the second subscribe needs a second unsubscribe.
    sub.subscribe('weather')
    sub.unsubscribe('weather')
    sub.unsubscribe('weather')
    await xpub.next((e) => e.event === 'unsubscribe' && e.prefix === 'weather', 'the unsubscription')
    for (let i = 0; i < 5; i++) assert.equal(text(await sub.receive())[0], 'news')

    // for await ends when the socket closes.
    let count = 0
    for await (const [topic] of sub) {
      assert.equal(Buffer.from(topic).toString(), 'news')
      if (++count === 3) sub.close()
    }
    assert.equal(count, 3)
    await assert.rejects(sub.receive(), { code: 'EBADF' })
  } finally {
    sub.close()
    await xpub.kill()
  }
})

test('Subscriber from PUB: only what it subscribed to', async () => {
  const pub = await Peer.start('pub')
  const sub = new Subscriber({ receiveTimeout: WAIT_MS })
  try {
    sub.connect(pub.endpoint)
    sub.subscribe('news')
    for (let i = 0; i < 3; i++) assert.equal(text(await sub.receive())[0], 'news')
    sub.unsubscribe('news')
    sub.subscribe(new TextEncoder().encode('wea'))
    for (let i = 0; i < 3; i++) assert.equal(text(await sub.receive())[0], 'weather')
  } finally {
    sub.close()
    await pub.kill()
  }
})

test('Push to PULL, with messages queued while disconnected up to the HWM', async () => {
  // Reserve a port with a first peer, then free it: the Push starts offline.
  const probe = await Peer.start('pull')
  const endpoint = probe.endpoint
  await probe.kill()

  const push = new Push({ sendHighWaterMark: 2, sendTimeout: 50, reconnectInterval: 20, reconnectMaxInterval: 100 })
  let pull
  try {
    push.connect(endpoint)
    await push.send('first')
    await push.send(['second', 'part'])
    await assert.rejects(push.send('third'), { code: 'EAGAIN' }) // the queue is full

    // A send waiting for room goes out once the connection comes.
    push.sendTimeout = -1
    const waiting = push.send('third')
    await assert.rejects(push.send('fourth'), { code: 'EBUSY' }) // one send at a time

    const connected = nextEvent(push, 'connect')
    pull = await Peer.start('pull', endpoint)
    await connected
    await within(waiting, 'the waiting send')
    const received = []
    for (let i = 0; i < 3; i++) {
      received.push((await pull.next((e) => e.event === 'received', 'a pushed message')).frames)
    }
    assert.deepEqual(received, [['first'], ['second', 'part'], ['third']])
    await push.send('online')
    assert.deepEqual((await pull.next((e) => e.event === 'received', 'the last message')).frames, ['online'])
  } finally {
    push.close()
    await pull?.kill()
  }
})

test('reconnects after the server restarts: re-subscribes, fails a lost request', async () => {
  const options = { receiveTimeout: WAIT_MS, reconnectInterval: 20, reconnectMaxInterval: 200 }

  // Subscriber: the new server gets the subscription again, unasked.
  let xpub = await Peer.start('xpub')
  const sub = new Subscriber(options)
  const endpoint = xpub.endpoint
  try {
    sub.connect(endpoint)
    sub.subscribe('news')
    const first = text(await sub.receive())
    assert.equal(first[0], 'news')
    assert.ok(first[1].startsWith(`${xpub.process.pid}:`))

    const disconnected = nextEvent(sub, 'disconnect')
    await xpub.kill()
    await disconnected
    const reconnected = nextEvent(sub, 'connect')
    xpub = await Peer.start('xpub', endpoint)
    await reconnected
    await xpub.next((e) => e.event === 'subscribe' && e.prefix === 'news', 'the re-subscription')
    // Drain what the old server sent before it died; then the new one's.
    let message
    do message = text(await sub.receive())
    while (!message[1].startsWith(`${xpub.process.pid}:`))
    assert.equal(message[0], 'news')
  } finally {
    sub.close()
    await xpub.kill()
  }

  // Request: a request on the wire when the connection drops rejects.
  let rep = await Peer.start('rep')
  const req = new Request(options)
  try {
    req.connect(rep.endpoint)
    await req.send('hang')
    await rep.next((e) => e.event === 'received', 'the request that gets no reply')
    const failed = assert.rejects(within(req.receive(), 'the failed receive'), { code: 'ECONNRESET' })
    await rep.kill()
    await failed

    // The socket may send again; the request waits for the new server.
    await req.send('again')
    rep = await Peer.start('rep', rep.endpoint)
    assert.deepEqual(text(await req.receive()), ['re', 'again'])
  } finally {
    req.close()
    await rep.kill()
  }
})

test('a receive times out with EAGAIN; pending operations reject on close', async () => {
  const dealer = new Dealer({ receiveTimeout: 30, reconnectInterval: -1 })
  dealer.connect('ws://127.0.0.1:9') // nobody there
  await assert.rejects(dealer.receive(), { code: 'EAGAIN' })
  await assert.rejects(dealer.send({}), TypeError) // a rejection, never a throw
  await assert.rejects(dealer.send([]), TypeError)
  dealer.receiveTimeout = -1
  const pending = dealer.receive()
  await assert.rejects(dealer.receive(), { code: 'EBUSY' })
  dealer.close()
  await assert.rejects(pending, { code: 'EAGAIN' })
  await assert.rejects(dealer.send('x'), { code: 'EBADF' })
  assert.throws(() => new Dealer({ reconectInterval: 5 }), TypeError)
  assert.throws(() => new Dealer().connect('http://example.invalid/'), { code: 'EINVAL' })
})

test('malformed input from the server closes the connection and reconnects', async () => {
  // A fake ZWS2.0 server: on each connection it waits for the client's
  // routing id, sends its own, then one kind of garbage; the last behaves.
  const garbage = [
    (ws) => ws.send('a text message'),
    (ws) => ws.send(new Uint8Array(0)),
    (ws) => ws.send(Uint8Array.of(0x04, 0x41)), // an unknown flag bit
    (ws) => ws.send(Uint8Array.of(0x80)),
    (ws) => { // 10 + 11 bytes: over maxMessageSize (20) together
      ws.send(Uint8Array.of(0x01, ...Buffer.from('1234567890')))
      ws.send(Uint8Array.of(0x00, ...Buffer.from('12345678901')))
    },
    (ws) => {
      ws.send(Uint8Array.of(0x02, 5, ...Buffer.from('PING!'))) // a command: skipped
      ws.send(Uint8Array.of(0x01, ...Buffer.from('ok')))
      ws.send(Uint8Array.of(0x00, ...Buffer.from('0123456789abcdef')))
    },
  ]
  const server = new WebSocketServer({
    host: '127.0.0.1',
    port: 0,
    handleProtocols: (protocols) => (protocols.has('ZWS2.0') ? 'ZWS2.0' : false),
  })
  await once(server, 'listening')
  const connections = []
  server.on('connection', (ws, request) => {
    const n = connections.length
    const received = []
    connections.push({ protocols: request.headers['sec-websocket-protocol'], received })
    ws.on('message', (data, isBinary) => received.push([isBinary, [...data]]))
    ws.once('message', () => { // the client's routing id: answer with ours, then garbage
      ws.send(Uint8Array.of(0x00))
      garbage[Math.min(n, garbage.length - 1)](ws)
    })
  })

  const dealer = new Dealer({ maxMessageSize: 20, reconnectInterval: 10, reconnectMaxInterval: 10, receiveTimeout: WAIT_MS })
  const errors = []
  dealer.events.addEventListener('disconnect', (event) => errors.push(event.detail.error?.message))
  try {
    dealer.connect(`ws://127.0.0.1:${server.address().port}`)
    await dealer.send(['', 'x'])
    assert.deepEqual(text(await dealer.receive()), ['ok', '0123456789abcdef'])
    assert.equal(errors.length, 5)
    assert.ok(errors.every((message) => typeof message === 'string'), errors.join('; '))
    assert.match(errors[0], /text/)
    assert.match(errors[4], /maxMessageSize/)
    // Each connection offered bare ZWS2.0 and began with an empty routing id.
    for (const { protocols, received } of connections) {
      assert.equal(protocols, 'ZWS2.0')
      assert.deepEqual(received[0], [true, [0x00]])
    }
    // The message queued before any connection went out once, on the first.
    assert.deepEqual(connections[0].received.slice(1), [[true, [0x01]], [true, [0x00, 0x78]]])
  } finally {
    dealer.close()
    server.close()
  }
})

test('Subscriber wire format: subscriptions as data frames, re-sent on connect', async () => {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0, handleProtocols: () => 'ZWS2.0' })
  await once(server, 'listening')
  const received = []
  let notify = () => {}
  server.on('connection', (ws) => {
    ws.on('message', (data) => { received.push([...data]); notify() })
    ws.send(Uint8Array.of(0x00))
  })
  const sub = new Subscriber()
  const until = (count) => within(new Promise((resolve) => {
    notify = () => received.length >= count && resolve()
    notify()
  }), `${count} WebSocket messages`)
  try {
    sub.subscribe('ab', new Uint8Array([0xff]))
    sub.connect(`ws://127.0.0.1:${server.address().port}`)
    await until(3)
    sub.subscribe('ab') // counted: nothing on the wire
    sub.unsubscribe('ab') // nothing either
    sub.unsubscribe('ab')
    sub.subscribe()
    await until(5)
    assert.deepEqual(received, [
      [0x00], // routing id
      [0x00, 0x01, 0x61, 0x62], // subscribe "ab"
      [0x00, 0x01, 0xff],
      [0x00, 0x00, 0x61, 0x62], // unsubscribe "ab"
      [0x00, 0x01], // subscribe to everything
    ])
  } finally {
    sub.close()
    server.close()
  }
})
