// ferrozmq.js: ZeroMQ sockets for the browser, over WebSocket.
//
// Speaks ZWS 2.0 (ZeroMQ RFC 45, "ZMTP over WebSocket") as libzmq 4.3
// implements it, with the API of zeromq.js v6: Request, Dealer, Subscriber,
// Push and Pair sockets, each connected to one ws:// or wss:// address.
// One ES module, no dependencies, no build step (CURVE's crypto, when a
// socket uses it, loads from ferrozmq-curve.js beside it). MPL-2.0.
//
// The wire, in short:
// - The client offers the WebSocket subprotocol "ZWS2.0": the bare form,
//   without a security mechanism, so there is no ZMTP greeting or READY.
//   (Browsers cannot offer "ZWS2.0/NULL": "/" is not allowed in a
//   subprotocol name.)
// - Each ZMTP frame is one binary WebSocket message: a flag byte (0x00 last
//   frame, 0x01 more frames follow, 0x02 command) and then the frame body.
// - Each side's first frame is its routing id. Ours is empty; the server's
//   is read and dropped.
// - A SUB socket subscribes with a data frame 0x01 + prefix and
//   unsubscribes with 0x00 + prefix.
//
// With the curveServerKey option, a socket speaks CURVE (RFC 26) instead:
// it offers "ZWS2.0-CURVE", the browser's spelling of libzmq's
// "ZWS2.0/CURVE" (which a ferrozmq server accepts and answers as offered),
// runs CURVE's handshake in command frames (HELLO, WELCOME, INITIATE with
// our Socket-Type, READY; no routing id frames), and then sends and
// receives each frame inside a MESSAGE box. The crypto lives in
// ferrozmq-curve.js beside this file, loaded only by a socket that uses
// CURVE.

const SUBPROTOCOL = 'ZWS2.0'
const CURVE_SUBPROTOCOL = 'ZWS2.0-CURVE'
const MORE = 0x01
const COMMAND = 0x02

/** The options every socket has, and their defaults. */
const DEFAULTS = {
  reconnectInterval: 100, // ms before the first retry; -1: never reconnect
  reconnectMaxInterval: 5000, // the retry delay doubles up to this (ms)
  sendHighWaterMark: 1000, // messages queued while disconnected; 0: no limit
  receiveHighWaterMark: 1000, // received messages kept unread; 0: no limit
  sendTimeout: -1, // ms a send may wait for room in the queue; -1: forever
  receiveTimeout: -1, // ms a receive may wait for a message; -1: forever
  maxMessageSize: -1, // bytes in one received message; -1: no limit
  curveServerKey: undefined, // the server's CURVE public key (Z85 or 32 bytes): use CURVE
  curvePublicKey: undefined, // our CURVE key pair (Z85 or 32 bytes each);
  curveSecretKey: undefined, // undefined: one key pair made for the page
  WebSocket: undefined, // the WebSocket class; undefined: globalThis.WebSocket
}

/** An Error with a `code`, as zeromq.js throws them. */
function zmqError(message, code) {
  return Object.assign(new Error(message), { code })
}

const textEncoder = new TextEncoder()

/** One frame of a message to send, as bytes. */
function toFrame(part) {
  if (part instanceof Uint8Array) return part
  if (part instanceof ArrayBuffer) return new Uint8Array(part)
  if (ArrayBuffer.isView(part)) {
    return new Uint8Array(part.buffer, part.byteOffset, part.byteLength)
  }
  if (typeof part === 'string') return textEncoder.encode(part)
  if (typeof part === 'number') return textEncoder.encode(String(part))
  if (part === null || part === undefined) return new Uint8Array(0)
  throw new TypeError(`cannot send ${Object.prototype.toString.call(part)} as a frame`)
}

/** A message to send (one part or an array of parts), as frames. */
function toFrames(message) {
  const frames = (Array.isArray(message) ? message : [message]).map(toFrame)
  if (frames.length === 0) throw new TypeError('a message needs at least one frame')
  return frames
}

/** A frame as one WebSocket message: the flag byte, then the body. */
function encodeFrame(body, flags) {
  const bytes = new Uint8Array(1 + body.length)
  bytes[0] = flags
  bytes.set(body, 1)
  return bytes
}

/** Whether a key option is 40 Z85 characters or 32 bytes. */
function isKey(key) {
  return (typeof key === 'string' && key.length === 40) ||
    (key instanceof Uint8Array && key.length === 32)
}

let curveModule = null // the import of ferrozmq-curve.js, once asked for
let pageKeys = null // the page's CURVE key pair, once made

/** The CURVE module, loaded the first time it is needed (again, if that failed). */
function loadCurve() {
  curveModule ??= import('./ferrozmq-curve.js').catch((error) => {
    curveModule = null
    throw error
  })
  return curveModule
}

/**
 * A new CURVE key pair, { publicKey, secretKey }, each 40 Z85 characters
 * (zeromq.js's curveKeyPair, but async: the crypto loads on first use).
 */
export async function curveKeyPair() {
  return (await loadCurve()).curveKeyPair()
}

function startsWith(bytes, prefix) {
  if (prefix.length > bytes.length) return false
  return prefix.every((byte, i) => bytes[i] === byte)
}

/** Iterates the messages a socket receives until the socket is closed. */
async function* messagesOf(socket) {
  while (!socket.closed) {
    try {
      yield await socket.receive()
    } catch (error) {
      if (socket.closed) return
      throw error
    }
  }
}

/**
 * What all sockets share: the connection with its reconnect loop, the queue
 * of messages to send while disconnected, and the queue of received ones.
 * The socket classes below add their send/receive rules through the hooks
 * whose names start with an underscore.
 */
class Socket {
  /** Connection state changes: connect, disconnect, connect:retry, close. */
  events = new EventTarget()

  #url = null
  #ws = null // the current WebSocket, or null between attempts
  #open = false // #ws is open and our routing id is sent
  #closed = false
  #retryDelay = 0
  #retryTimer = null
  #peerIdSeen = false // the server's routing id frame came in
  #curve = null // this connection's CurveClient, once its HELLO is sent
  #partial = [] // frames of a message still arriving
  #partialSize = 0
  #outbox = [] // messages (arrays of frames) waiting for a connection
  #inbox = [] // received messages nobody has asked for yet
  #pendingSend = null // { frames, resolve, reject, timer }: one at most
  #pendingReceive = null // { resolve, reject, timer }: one at most

  constructor(options = {}) {
    for (const name of Object.keys(options)) {
      if (!(name in DEFAULTS)) throw new TypeError(`unknown option: ${name}`)
    }
    Object.assign(this, DEFAULTS, options)
    const keys = [this.curveServerKey, this.curvePublicKey, this.curveSecretKey]
    for (const [i, key] of keys.entries()) {
      if (key !== undefined && !isKey(key)) {
        const name = ['curveServerKey', 'curvePublicKey', 'curveSecretKey'][i]
        throw new TypeError(`${name}: give 40 Z85 characters or a 32-byte Uint8Array`)
      }
    }
    if ((this.curvePublicKey === undefined) !== (this.curveSecretKey === undefined)) {
      throw new TypeError('give curvePublicKey and curveSecretKey together, or neither')
    }
    if (this.curvePublicKey !== undefined && this.curveServerKey === undefined) {
      throw new TypeError('a CURVE key pair without curveServerKey: give the server\'s key')
    }
  }

  /** Whether this socket speaks CURVE. */
  get #secure() {
    return this.curveServerKey !== undefined
  }

  /** True once close() was called. */
  get closed() {
    return this.#closed
  }

  /** True while the connection is ready: the WebSocket open (for CURVE, the handshake done). */
  get connected() {
    return this.#open
  }

  /**
   * Connects to a ws:// or wss:// address, and stays connected: after any
   * close or error it reconnects, waiting reconnectInterval ms and then
   * twice as long each time up to reconnectMaxInterval.
   * One address per socket.
   */
  connect(url) {
    if (this.#closed) throw zmqError('Socket is closed', 'EBADF')
    if (this.#url !== null) {
      throw zmqError('this socket is already connected; one address per socket', 'EINVAL')
    }
    const { protocol } = new URL(url)
    if (protocol !== 'ws:' && protocol !== 'wss:') {
      throw zmqError(`not a ws:// or wss:// address: ${url}`, 'EINVAL')
    }
    this.#url = url
    this.#retryDelay = this.reconnectInterval
    try {
      this.#dial()
    } catch (error) { // no WebSocket class, or one that refuses the address
      this.#url = null
      throw error
    }
  }

  /**
   * Closes the socket at once. Messages not yet sent are dropped, and a
   * pending send() or receive() rejects with code EAGAIN.
   */
  close() {
    if (this.#closed) return
    this.#closed = true
    clearTimeout(this.#retryTimer)
    const ws = this.#ws
    this.#ws = null
    this.#open = false
    ws?.close()
    const error = zmqError('Socket was closed', 'EAGAIN')
    this.#settleSend(error)
    this._failReceive(error)
    this.#outbox = []
    this.#inbox = []
    this.#emit('close')
  }

  // ---- hooks for the socket classes ----

  /** Sends a message now, or queues it while disconnected. */
  _send(message) {
    if (this.#closed) return Promise.reject(zmqError('Socket is closed', 'EBADF'))
    let frames
    try {
      frames = toFrames(message)
    } catch (error) {
      return Promise.reject(error)
    }
    if (this.#pendingSend) {
      return Promise.reject(zmqError(
        'Socket is busy writing; only one send operation may be in progress at any time', 'EBUSY'))
    }
    if (this.#open) {
      this.#write(frames)
      return Promise.resolve()
    }
    if (this.sendHighWaterMark <= 0 || this.#outbox.length < this.sendHighWaterMark) {
      this.#outbox.push(frames)
      return Promise.resolve()
    }
    // The queue is full: wait for the connection to empty it.
    return new Promise((resolve, reject) => {
      this.#pendingSend = { frames, resolve, reject, timer: null }
      if (this.sendTimeout >= 0) {
        this.#pendingSend.timer = setTimeout(() => this.#settleSend(
          zmqError('Operation was not possible or timed out', 'EAGAIN')), this.sendTimeout)
      }
    })
  }

  /** The next received message, as an array of Uint8Array frames. */
  _receive() {
    if (this.#closed) return Promise.reject(zmqError('Socket is closed', 'EBADF'))
    if (this.#pendingReceive) {
      return Promise.reject(zmqError(
        'Socket is busy reading; only one receive operation may be in progress at any time', 'EBUSY'))
    }
    if (this.#inbox.length > 0) return Promise.resolve(this.#inbox.shift())
    return new Promise((resolve, reject) => {
      this.#pendingReceive = { resolve, reject, timer: null }
      if (this.receiveTimeout >= 0) {
        this.#pendingReceive.timer = setTimeout(() => this._failReceive(
          zmqError('Operation was not possible or timed out', 'EAGAIN')), this.receiveTimeout)
      }
    })
  }

  /** Rejects the pending receive(), if any; tells whether there was one. */
  _failReceive(error) {
    const pending = this.#pendingReceive
    if (!pending) return false
    this.#pendingReceive = null
    clearTimeout(pending.timer)
    pending.reject(error)
    return true
  }

  /** Drops the received messages not yet taken that fail the test. */
  _dropQueued(keep) {
    this.#inbox = this.#inbox.filter(keep)
  }

  /** Sends frames if connected; drops them if not. */
  _sendIfConnected(frames) {
    if (this.#open) this.#write(frames)
  }

  /** Called when connected, before queued messages go out. */
  _connected() {}

  /** Called when a connection is lost. */
  _disconnected() {}

  /** Called for each message written to the WebSocket. */
  _wrote() {}

  /** Filters or rewrites a received message; null drops it. */
  _incoming(frames) {
    return frames
  }

  // ---- the connection ----

  #dial() {
    const WebSocketClass = this.WebSocket ?? globalThis.WebSocket
    if (!WebSocketClass) throw new Error('no WebSocket class: pass one as the WebSocket option')
    if (this.#secure) loadCurve().catch(() => {}) // loads while the socket opens; HELLO waits
    const ws = new WebSocketClass(this.#url, [this.#secure ? CURVE_SUBPROTOCOL : SUBPROTOCOL])
    ws.binaryType = 'arraybuffer'
    // Events of a WebSocket that is no longer #ws are stale: ignore them.
    ws.onopen = () => ws === this.#ws && this.#onOpen(ws)
    ws.onmessage = (event) => ws === this.#ws && this.#onMessage(event.data)
    ws.onclose = () => ws === this.#ws && this.#drop()
    ws.onerror = () => {} // always followed by close
    this.#ws = ws
  }

  #onOpen(ws) {
    const offered = this.#secure ? CURVE_SUBPROTOCOL : SUBPROTOCOL
    if (ws.protocol !== offered) {
      this.#drop(new Error(`the server chose subprotocol "${ws.protocol}", not ${offered}`))
      return
    }
    if (this.#secure) {
      this.#sendHello(ws)
      return
    }
    ws.send(encodeFrame(new Uint8Array(0), 0)) // our routing id: empty
    this.#ready()
  }

  /** Starts CURVE's handshake: loads the crypto, sends HELLO. */
  async #sendHello(ws) {
    try {
      const module = await loadCurve()
      let { curvePublicKey: publicKey, curveSecretKey: secretKey } = this
      if (publicKey === undefined) {
        pageKeys ??= module.curveKeyPair()
        ;({ publicKey, secretKey } = pageKeys)
      }
      const type = this.constructor.type
      const properties = { 'Socket-Type': type }
      if (type === 'REQ' || type === 'DEALER') properties.Identity = ''
      const curve = new module.CurveClient({
        serverKey: module.toKey(this.curveServerKey, 'curveServerKey'),
        publicKey: module.toKey(publicKey, 'curvePublicKey'),
        secretKey: module.toKey(secretKey, 'curveSecretKey'),
        properties,
      })
      if (ws !== this.#ws) return // closed or dropped meanwhile
      this.#curve = curve
      ws.send(encodeFrame(curve.hello(), COMMAND))
    } catch (error) {
      if (ws === this.#ws) this.#drop(error, true)
    }
  }

  /** The connection is ready: queued messages go out. */
  #ready() {
    this.#open = true
    this._connected()
    for (const frames of this.#outbox) this.#write(frames)
    this.#outbox = []
    if (this.#pendingSend) {
      this.#write(this.#pendingSend.frames)
      this.#settleSend(null)
    }
    this.#emit('connect')
  }

  /** Reads one WebSocket message: one frame. */
  #onMessage(data) {
    if (!(data instanceof ArrayBuffer)) {
      this.#drop(new Error('the server sent a text message'))
      return
    }
    const bytes = new Uint8Array(data)
    if (bytes.length === 0) {
      this.#drop(new Error('the server sent an empty message, without a flag byte'))
      return
    }
    const flags = bytes[0]
    if (flags & ~(MORE | COMMAND)) {
      this.#drop(new Error(`the server sent unknown frame flags 0x${flags.toString(16)}`))
      return
    }
    if (this.#secure) {
      this.#onCurveFrame(flags, bytes.subarray(1))
      return
    }
    if (flags & COMMAND) return // no commands in bare ZWS2.0: skip any
    if (!this.#peerIdSeen) {
      // The server's routing id: the handshake is done.
      this.#peerIdSeen = true
      this.#retryDelay = this.reconnectInterval
      return
    }
    this.#take(bytes.subarray(1), flags & MORE)
  }

  /** A frame under CURVE: a handshake command, or a MESSAGE box. */
  #onCurveFrame(flags, body) {
    const curve = this.#curve
    try {
      if (!curve) throw zmqError('the server spoke before our HELLO', 'EPROTO')
      if (!curve.ready) {
        if (!(flags & COMMAND)) {
          throw zmqError('the server sent data before the CURVE handshake ended', 'EPROTO')
        }
        const reply = curve.handle(body)
        if (reply) this.#ws.send(encodeFrame(reply, COMMAND))
        if (curve.ready) {
          this.#retryDelay = this.reconnectInterval
          this.#ready()
        }
        return
      }
      if (flags & COMMAND) return // heartbeats travel as WebSocket pings
      const frame = curve.open(body)
      if (!frame.command) this.#take(frame.body, frame.more)
    } catch (error) {
      this.#drop(error, !curve?.ready)
    }
  }

  /** Takes one data frame of a message. */
  #take(body, more) {
    this.#partialSize += body.length
    if (this.maxMessageSize >= 0 && this.#partialSize > this.maxMessageSize) {
      this.#drop(new Error(`the server sent a message over maxMessageSize (${this.maxMessageSize} bytes)`))
      return
    }
    this.#partial.push(body)
    if (more) return
    const message = this._incoming(this.#partial)
    this.#partial = []
    this.#partialSize = 0
    if (message) this.#deliver(message)
  }

  #deliver(message) {
    const pending = this.#pendingReceive
    if (pending) {
      this.#pendingReceive = null
      clearTimeout(pending.timer)
      pending.resolve(message)
    } else if (this.receiveHighWaterMark <= 0 || this.#inbox.length < this.receiveHighWaterMark) {
      this.#inbox.push(message)
    } // else: the inbox is full and the message is dropped
  }

  #write(frames) {
    frames.forEach((frame, i) => {
      const more = i < frames.length - 1
      this.#ws.send(this.#curve
        ? encodeFrame(this.#curve.seal(frame, more), 0)
        : encodeFrame(frame, more ? MORE : 0))
    })
    this._wrote()
  }

  /**
   * Ends the current connection (after an error or close) and retries.
   * A CURVE handshake that fails (`handshake`, or a close before READY)
   * says so with a handshake:error event after the disconnect one.
   */
  #drop(error, handshake = false) {
    const ws = this.#ws
    const wasOpen = this.#open
    if (!error && this.#curve && !wasOpen) {
      error = zmqError('the server closed the connection during the CURVE handshake ' +
        '(a wrong curveServerKey, or a client key it does not allow?)', 'EPROTO')
      handshake = true
    }
    this.#ws = null
    this.#curve = null
    this.#open = false
    this.#peerIdSeen = false
    this.#partial = []
    this.#partialSize = 0
    ws.close()
    if (wasOpen) this._disconnected()
    if (wasOpen || error) this.#emit('disconnect', error ? { error } : {})
    if (handshake) this.#emit('handshake:error', { error })
    if (this.reconnectInterval >= 0) this.#retry()
  }

  #retry() {
    const interval = this.#retryDelay
    this.#retryDelay = Math.min(interval * 2, Math.max(this.reconnectMaxInterval, interval))
    this.#emit('connect:retry', { interval })
    this.#retryTimer = setTimeout(() => {
      try {
        this.#dial()
      } catch (error) {
        this.#emit('disconnect', { error })
        this.#retry()
      }
    }, interval)
  }

  /** Resolves (error null) or rejects the send() waiting for room. */
  #settleSend(error) {
    const pending = this.#pendingSend
    if (!pending) return
    this.#pendingSend = null
    clearTimeout(pending.timer)
    if (error) pending.reject(error)
    else pending.resolve()
  }

  #emit(type, detail = {}) {
    this.events.dispatchEvent(new CustomEvent(type, { detail: { address: this.#url, ...detail } }))
  }
}

/**
 * REQ: sends a request, then receives its reply, in turn. Each request goes
 * out behind an empty delimiter frame, which the reply must carry back; a
 * reply without one is dropped.
 *
 * If the connection drops after the request went out and before its reply
 * came in, the request is not sent again (it may have been acted on): the
 * receive() for it rejects with code ECONNRESET, and the socket may send
 * again (or send at once: the lost request is given up). A request still
 * queued when the connection drops goes out on the next connection.
 */
export class Request extends Socket {
  static type = 'REQ'

  #awaitingReply = false // send() done; receive() not yet
  #inFlight = false // the request is on the wire and no reply came yet
  #lost = null // the error for a request whose connection dropped

  send(message) {
    if (this.#awaitingReply && !this.#lost && !this.closed) {
      return Promise.reject(zmqError('Operation cannot be accomplished in current state', 'EFSM'))
    }
    this.#lost = null // a request whose connection dropped is given up
    const parts = Array.isArray(message) ? message : [message]
    const sent = this._send(['', ...parts]) // behind the empty delimiter
    if (!this.closed) this.#awaitingReply = true
    return sent.catch((error) => {
      this.#awaitingReply = false
      throw error
    })
  }

  async receive() {
    if (this.#lost) {
      const error = this.#lost
      this.#lost = null
      this.#awaitingReply = false
      throw error
    }
    if (!this.#awaitingReply && !this.closed) {
      throw zmqError('Operation cannot be accomplished in current state', 'EFSM')
    }
    try {
      const reply = await this._receive()
      this.#awaitingReply = false
      return reply
    } catch (error) {
      if (error.code === 'ECONNRESET') this.#awaitingReply = false
      throw error
    }
  }

  [Symbol.asyncIterator]() {
    return messagesOf(this)
  }

  _wrote() {
    this.#inFlight = true
  }

  _disconnected() {
    if (!this.#inFlight) return
    this.#inFlight = false
    const error = zmqError('Connection lost while waiting for the reply', 'ECONNRESET')
    if (!this._failReceive(error)) this.#lost = error
  }

  _incoming(frames) {
    if (!this.#inFlight) return null // not a reply to the request in flight
    const delimiter = frames.findIndex((frame) => frame.length === 0)
    if (delimiter < 0) return null
    this.#inFlight = false
    return frames.slice(delimiter + 1)
  }
}

/** DEALER: sends and receives messages as they are, frame for frame. */
export class Dealer extends Socket {
  static type = 'DEALER'

  send(message) {
    return this._send(message)
  }

  receive() {
    return this._receive()
  }

  [Symbol.asyncIterator]() {
    return messagesOf(this)
  }
}

/** PAIR: like Dealer, for a PAIR peer. */
export class Pair extends Dealer {
  static type = 'PAIR'
}

/** PUSH: sends only. */
export class Push extends Socket {
  static type = 'PUSH'

  send(message) {
    return this._send(message)
  }
}

/**
 * SUB: receives the messages whose first frame starts with a subscribed
 * prefix. Subscriptions are counted, as in libzmq: a prefix subscribed
 * twice needs two unsubscribes. They are sent again after a reconnect.
 * As in libzmq, a message that no longer matches once unsubscribed is not
 * received, even if it arrived before.
 */
export class Subscriber extends Socket {
  static type = 'SUB'

  #subscriptions = new Map() // key -> { prefix, count }

  /** Subscribes to each prefix; with none, to every message. */
  subscribe(...prefixes) {
    for (const prefix of prefixes.length > 0 ? prefixes : ['']) {
      const bytes = toFrame(prefix)
      const key = bytes.join(',')
      const entry = this.#subscriptions.get(key) ?? { prefix: bytes, count: 0 }
      entry.count += 1
      this.#subscriptions.set(key, entry)
      if (entry.count === 1) this.#sendSubscription(1, bytes)
    }
  }

  /** Undoes one subscribe() of each prefix; with none, of ''. */
  unsubscribe(...prefixes) {
    for (const prefix of prefixes.length > 0 ? prefixes : ['']) {
      const bytes = toFrame(prefix)
      const key = bytes.join(',')
      const entry = this.#subscriptions.get(key)
      if (!entry) continue
      entry.count -= 1
      if (entry.count > 0) continue
      this.#subscriptions.delete(key)
      this.#sendSubscription(0, bytes)
    }
    this._dropQueued((frames) => this.#matches(frames))
  }

  receive() {
    return this._receive()
  }

  [Symbol.asyncIterator]() {
    return messagesOf(this)
  }

  #sendSubscription(subscribe, prefix) {
    const body = new Uint8Array(1 + prefix.length)
    body[0] = subscribe
    body.set(prefix, 1)
    this._sendIfConnected([body])
  }

  _connected() {
    for (const { prefix } of this.#subscriptions.values()) this.#sendSubscription(1, prefix)
  }

  #matches(frames) {
    for (const { prefix } of this.#subscriptions.values()) {
      if (startsWith(frames[0], prefix)) return true
    }
    return false
  }

  _incoming(frames) {
    return this.#matches(frames) ? frames : null
  }
}
