// ferrozmq.js's CURVE client against real libzmq (Debian's 4.3.4, with
// libsodium) as CURVE server over ws, through a relay that replays or
// tampers with what the server sends, and against fake servers that
// refuse or babble. Run: node --test web/test/*.test.mjs
//
// libzmq only takes the subprotocol "ZWS2.0/CURVE", which neither a
// browser nor Node's ws may offer ("/" is not allowed in one). So the
// sockets here reach libzmq through a TCP relay that renames
// "ZWS2.0-CURVE" in the upgrade's head, one way and back, and passes every
// byte after it on as it is, or as a test tampers with it.

import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { once } from 'node:events'
import net from 'node:net'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { WebSocketServer } from 'ws'
import { Request, Dealer, Push, Subscriber, curveKeyPair } from '../ferrozmq.js'
import { curvePublic, z85Decode, z85Encode } from '../ferrozmq-curve.js'
import { Peer, WAIT_MS, nextEvent, text, within } from './helpers.mjs'

const server = curveKeyPair()
const options = async (more = {}) => ({
  curveServerKey: (await server).publicKey,
  receiveTimeout: WAIT_MS,
  ...more,
})

const relays = new Set()
after(() => relays.forEach((relay) => relay.close()))

/** Reads from a TCP socket up to the end of an HTTP head; resolves to [head, rest]. */
function readHead(socket) {
  return new Promise((resolve, reject) => {
    let data = Buffer.alloc(0)
    const onData = (chunk) => {
      data = Buffer.concat([data, chunk])
      const end = data.indexOf('\r\n\r\n')
      if (end < 0) return
      socket.off('data', onData)
      resolve([data.subarray(0, end + 4).toString('latin1'), data.subarray(end + 4)])
    }
    socket.on('data', onData)
    socket.once('close', () => reject(new Error('closed before the head ended')))
  })
}

/**
 * A relay in front of a libzmq ws endpoint; resolves to its ws:// URL.
 * What the server sends after the upgrade is cut into WebSocket frames
 * (a server's are unmasked), each passed through
 * `tamper(connection, index, frame)`, which returns the frames to pass on.
 */
async function libzmq(endpoint, tamper = (_c, _i, frame) => [frame]) {
  const target = new URL(endpoint)
  let connections = 0
  const relay = net.createServer(async (client) => {
    const n = connections++
    const upstream = net.connect(Number(target.port), target.hostname)
    const end = () => { client.destroy(); upstream.destroy() }
    client.on('error', end).on('close', end)
    upstream.on('error', end).on('close', end)
    try {
      const [request, early] = await readHead(client)
      upstream.write(request.replace(/^GET \S+/, `GET ${target.pathname}`).replace('ZWS2.0-CURVE', 'ZWS2.0/CURVE'))
      upstream.write(early)
      client.pipe(upstream)
      const [response, rest] = await readHead(upstream)
      client.write(response.replace('ZWS2.0/CURVE', 'ZWS2.0-CURVE'))
      let pending = rest
      let index = 0
      const cut = (chunk) => {
        pending = Buffer.concat([pending, chunk])
        for (;;) {
          if (pending.length < 2) return
          let length = pending[1] & 0x7f
          let at = 2
          if (length === 126) [length, at] = [pending.length >= 4 ? pending.readUInt16BE(2) : Infinity, 4]
          else if (length === 127) [length, at] = [pending.length >= 10 ? Number(pending.readBigUInt64BE(2)) : Infinity, 10]
          if (pending.length < at + length) return
          const frame = pending.subarray(0, at + length)
          pending = pending.subarray(at + length)
          for (const out of tamper(n, index++, frame)) client.write(out)
        }
      }
      upstream.on('data', cut)
      cut(Buffer.alloc(0))
    } catch {
      end()
    }
  })
  relay.listen(0, '127.0.0.1')
  await once(relay, 'listening')
  relays.add(relay)
  return `ws://127.0.0.1:${relay.address().port}${target.pathname}`
}

test('Z85: the RFC 32 vector, and keys both ways', async () => {
  const bytes = Uint8Array.of(0x86, 0x4f, 0xd2, 0x6f, 0xb5, 0x59, 0xf7, 0x5b)
  assert.equal(z85Encode(bytes), 'HelloWorld')
  assert.deepEqual(z85Decode('HelloWorld'), bytes)
  assert.throws(() => z85Decode('Hello'.slice(0, 4)), TypeError)
  assert.throws(() => z85Decode('Hel~o'), TypeError)
  assert.throws(() => z85Decode('%%%%%'), TypeError) // past 32 bits
  const { publicKey, secretKey } = await curveKeyPair()
  assert.equal(publicKey.length, 40)
  assert.equal(curvePublic(secretKey), publicKey)
})

test('Request to a libzmq CURVE REP: replies, our key its User-Id', async () => {
  const { publicKey, secretKey } = await server
  const rep = await Peer.start('rep', undefined, secretKey)
  // libsodium works out the same public key from the secret as we do.
  assert.equal(rep.publicKey, publicKey)
  const page = new Request(await options())
  const again = new Request(await options())
  const own = await curveKeyPair()
  const url = await libzmq(rep.endpoint)
  const mine = new Request(await options({ curvePublicKey: own.publicKey, curveSecretKey: z85Decode(own.secretKey) }))
  try {
    page.connect(url)
    await page.send(['hello', 'curve'])
    assert.deepEqual(text(await page.receive()), ['re', 'hello', 'curve'])
    const first = await rep.next((e) => e.event === 'received', 'the request')
    assert.deepEqual(first.frames, ['hello', 'curve'])
    assert.equal(first.user_id.length, 40)

    // Sockets without keys of their own share the page's key pair.
    again.connect(url)
    await again.send('again')
    assert.deepEqual(text(await again.receive()), ['re', 'again'])
    assert.equal((await rep.next((e) => e.event === 'received', 'the second')).user_id, first.user_id)

    mine.connect(url)
    await mine.send('mine')
    assert.deepEqual(text(await mine.receive()), ['re', 'mine'])
    assert.equal((await rep.next((e) => e.event === 'received', 'the third')).user_id, own.publicKey)
  } finally {
    for (const socket of [page, again, mine]) socket.close()
    await rep.kill()
  }
})

test('Subscriber, Push and Dealer under CURVE with libzmq', async () => {
  const { secretKey } = await server
  const pub = await Peer.start('pub', undefined, secretKey)
  const pull = await Peer.start('pull', undefined, secretKey)
  const router = await Peer.start('router', undefined, secretKey)
  const sub = new Subscriber(await options())
  const push = new Push(await options())
  const dealer = new Dealer(await options())
  try {
    sub.connect(await libzmq(pub.endpoint))
    sub.subscribe('news') // a subscription goes inside a box too
    for (let i = 0; i < 3; i++) assert.equal(text(await sub.receive())[0], 'news')

    push.connect(await libzmq(pull.endpoint))
    const big = 'x'.repeat(1 << 20)
    await push.send(['a', big, 'c'])
    const pushed = await pull.next((e) => e.event === 'received', 'the pushed message')
    assert.deepEqual(pushed.frames, ['a', big, 'c'])

    dealer.connect(await libzmq(router.endpoint))
    await dealer.send(['', 'to the router'])
    assert.deepEqual(text(await dealer.receive()), ['', 'to the router'])
  } finally {
    for (const socket of [sub, push, dealer]) socket.close()
    for (const peer of [pub, pull, router]) await peer.kill()
  }
})

test('a wrong server key fails cleanly: no message either way, retries back off', async () => {
  const { secretKey } = await server
  const rep = await Peer.start('rep', undefined, secretKey)
  const wrong = await curveKeyPair()
  const req = new Request(await options({
    curveServerKey: wrong.publicKey, receiveTimeout: 500, reconnectInterval: 20,
  }))
  const errors = []
  const intervals = []
  req.events.addEventListener('handshake:error', (e) => errors.push(e.detail.error))
  req.events.addEventListener('connect:retry', (e) => intervals.push(e.detail.interval))
  let connected = false
  req.events.addEventListener('connect', () => { connected = true })
  try {
    req.connect(await libzmq(rep.endpoint))
    await req.send('secret')
    await nextEvent(req, 'handshake:error')
    await nextEvent(req, 'handshake:error')
    await assert.rejects(req.receive(), { code: 'EAGAIN' })
    assert.equal(connected, false)
    assert.ok(errors.every((error) => error.code === 'EPROTO'), errors.map((e) => e.message).join('; '))
    assert.ok(intervals.every((interval, i) => i === 0 || interval > intervals[i - 1]), `${intervals}`)
    assert.equal(rep.events.filter((e) => e.event === 'received').length, 0)
  } finally {
    req.close()
    await rep.kill()
  }
})

test('a replayed or altered MESSAGE drops the connection; the next one works', async () => {
  const { secretKey } = await server
  const rep = await Peer.start('rep', undefined, secretKey)
  // Server frames: WELCOME, READY, then the reply's three MESSAGEs.
  const url = await libzmq(rep.endpoint, (connection, index, frame) => {
    if (connection === 0 && index === 2) return [frame, frame] // replayed
    if (connection === 1 && index === 2) {
      const altered = Buffer.from(frame)
      altered[altered.length - 1] ^= 1
      return [altered]
    }
    return [frame]
  })
  const req = new Request(await options({ reconnectInterval: 10 }))
  const drops = []
  req.events.addEventListener('disconnect', (e) => drops.push(e.detail.error?.message))
  try {
    req.connect(url)
    await req.send('first')
    await assert.rejects(within(req.receive(), 'the lost reply'), { code: 'ECONNRESET' })
    await req.send('second')
    await assert.rejects(within(req.receive(), 'the lost reply'), { code: 'ECONNRESET' })
    await req.send('third')
    assert.deepEqual(text(await req.receive()), ['re', 'third'])
    assert.match(drops[0], /nonce that does not go up/)
    assert.match(drops[1], /does not open/)
  } finally {
    req.close()
    await rep.kill()
  }
})

test('fake servers: an ERROR, a bad WELCOME, data too early; never a throw', async () => {
  // Each connection answers HELLO with one kind of trouble.
  const answers = [
    Buffer.from('\x02\x05ERROR\x0bNot allowed', 'latin1'), // refused
    Buffer.concat([Buffer.from('\x02\x07WELCOME', 'latin1'), Buffer.alloc(160)]), // does not open
    Buffer.concat([Buffer.from('\x02\x07WELCOME', 'latin1'), Buffer.alloc(10)]), // wrong size
    Buffer.from('\x00hello', 'latin1'), // data before the handshake
    Buffer.from('\x02\x05READY', 'latin1'), // READY before WELCOME
  ]
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, handleProtocols: () => 'ZWS2.0-CURVE' })
  await once(wss, 'listening')
  const hellos = []
  wss.on('connection', (ws) => {
    const n = hellos.length
    ws.once('message', (data) => {
      hellos.push(data)
      ws.send(answers[Math.min(n, answers.length - 1)])
    })
  })
  const dealer = new Dealer(await options({ reconnectInterval: 5, reconnectMaxInterval: 5 }))
  const errors = []
  const done = new Promise((resolve) => {
    dealer.events.addEventListener('handshake:error', (e) => {
      errors.push(e.detail.error)
      if (errors.length === answers.length) resolve()
    })
  })
  try {
    dealer.connect(`ws://127.0.0.1:${wss.address().port}`)
    await within(done, 'five failed handshakes')
    assert.deepEqual(errors.map((e) => e.code), ['EACCES', 'EPROTO', 'EPROTO', 'EPROTO', 'EPROTO'])
    assert.match(errors[0].message, /Not allowed/)
    assert.match(errors[1].message, /does not open/)
    assert.match(errors[2].message, /WELCOME of the wrong size/)
    // Each HELLO: a command frame of 200 bytes, with version 1.0.
    for (const hello of hellos) {
      assert.equal(hello.length, 1 + 200)
      assert.deepEqual([...hello.subarray(0, 9)], [0x02, 5, ...Buffer.from('HELLO'), 1, 0])
    }
  } finally {
    dealer.close()
    wss.close()
  }
})

test('a page reaches libzmq\'s CURVE over tcp through ferrozmq proxy', async () => {
  // The proxy: a CURVE server over ws in front (what a browser can
  // reach), a CURVE client over tcp behind, to libzmq with its own key.
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
  const cli = path.join(process.env.CARGO_TARGET_DIR || path.join(root, 'target'), 'debug', 'ferrozmq')
  const back = await curveKeyPair()
  const rep = await Peer.start('rep', 'tcp://127.0.0.1:*', back.secretKey)
  const keygen = spawnSync(cli, ['keygen'], { encoding: 'utf8' })
  assert.equal(keygen.status, 0, `${cli} keygen failed: run cargo build -p ferrozmq-cli first`)
  const [frontPublic, frontSecret] = keygen.stdout.trim().split('\n')
  const probe = net.createServer().listen(0, '127.0.0.1')
  await once(probe, 'listening')
  const front = `ws://127.0.0.1:${probe.address().port}/zmq`
  probe.close()
  await once(probe, 'close')
  const proxy = spawn(cli, ['proxy', '--frontend', `router@${front}`, '--backend', `dealer>${rep.endpoint}`,
    '--curve-server-secret', frontSecret, '--curve-server-key', back.publicKey], { stdio: 'inherit' })
  const req = new Request({ curveServerKey: frontPublic, receiveTimeout: WAIT_MS, reconnectInterval: 20 })
  try {
    req.connect(front)
    await req.send('via the proxy')
    assert.deepEqual(text(await req.receive()), ['re', 'via the proxy'])
    const seen = await rep.next((e) => e.event === 'received', 'the request at libzmq')
    assert.equal(seen.user_id.length, 40) // the proxy's own key, made for the run
  } finally {
    req.close()
    proxy.kill()
    await rep.kill()
  }
})
