// CURVE (ZeroMQ RFC 26 "CurveZMQ", as libzmq runs it) for ferrozmq.js: the
// client's side of the handshake and the MESSAGE boxes after it, plus Z85
// (RFC 32) for keys. The crypto is @noble/curves' X25519 and
// @noble/ciphers' XSalsa20-Poly1305 and HSalsa20, which together make
// libsodium's crypto_box. This file is the source of ferrozmq-curve.js,
// which bundles it with those two packages (`npm run bundle`).

import { x25519 } from '@noble/curves/ed25519.js'
import { hsalsa, xsalsa20poly1305 } from '@noble/ciphers/salsa.js'

const MAC = 16
const COOKIE = 16 + 64 + MAC
const MESSAGE = bytes('\x07MESSAGE')
/** The most metadata a READY may carry (as the server bounds INITIATE's). */
const READY_MAX = 64 * 1024

function bytes(text) {
  return Uint8Array.from(text, (c) => c.charCodeAt(0))
}

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const part of parts) {
    out.set(part, at)
    at += part.length
  }
  return out
}

/** An Error with a `code`, as zeromq.js throws them. */
function curveError(message, code = 'EPROTO') {
  return Object.assign(new Error(message), { code })
}

// ---- Z85 (RFC 32) ----

const Z85 = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#'
const Z85_VALUE = new Map([...Z85].map((c, i) => [c, i]))

/** Bytes (a multiple of 4 long) as Z85 text. */
export function z85Encode(data) {
  if (data.length % 4 !== 0) throw new TypeError('Z85 encodes a multiple of 4 bytes')
  let out = ''
  for (let i = 0; i < data.length; i += 4) {
    let value = ((data[i] << 24) | (data[i + 1] << 16) | (data[i + 2] << 8) | data[i + 3]) >>> 0
    let group = ''
    for (let j = 0; j < 5; j++) {
      group = Z85[value % 85] + group
      value = Math.floor(value / 85)
    }
    out += group
  }
  return out
}

/** Z85 text (a multiple of 5 long) as bytes. */
export function z85Decode(text) {
  if (text.length % 5 !== 0) throw new TypeError('Z85 text is a multiple of 5 characters')
  const out = new Uint8Array((text.length / 5) * 4)
  for (let i = 0; i < text.length; i += 5) {
    let value = 0
    for (const c of text.slice(i, i + 5)) {
      const digit = Z85_VALUE.get(c)
      if (digit === undefined) throw new TypeError(`not a Z85 character: ${JSON.stringify(c)}`)
      value = value * 85 + digit
    }
    if (value > 0xffffffff) throw new TypeError('a Z85 group past 32 bits')
    const at = (i / 5) * 4
    out[at] = value >>> 24
    out[at + 1] = (value >>> 16) & 0xff
    out[at + 2] = (value >>> 8) & 0xff
    out[at + 3] = value & 0xff
  }
  return out
}

/** A key given as 40 Z85 characters or 32 bytes, as bytes. */
export function toKey(key, name) {
  if (typeof key === 'string' && key.length === 40) return z85Decode(key)
  if (key instanceof Uint8Array && key.length === 32) return key
  throw new TypeError(`${name}: give 40 Z85 characters or a 32-byte Uint8Array`)
}

/** A new key pair, as zeromq.js's curveKeyPair gives it: Z85 text. */
export function curveKeyPair() {
  const secret = x25519.utils.randomSecretKey()
  return { publicKey: z85Encode(x25519.getPublicKey(secret)), secretKey: z85Encode(secret) }
}

/** The public key of a secret one (both Z85). */
export function curvePublic(secretKey) {
  return z85Encode(x25519.getPublicKey(toKey(secretKey, 'secretKey')))
}

// ---- crypto_box, as libsodium makes it ----

const SIGMA = new Uint32Array([0x61707865, 0x3320646e, 0x79622d32, 0x6b206574])

function words(data) {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength)
  return Uint32Array.from({ length: data.length / 4 }, (_, i) => view.getUint32(i * 4, true))
}

/**
 * The key of the boxes between our secret key and their public one:
 * HSalsa20 of the X25519 shared secret (crypto_box_beforenm). A public
 * key of low order or all zeros, whose shared secret anyone would know,
 * is refused, as libsodium refuses it.
 */
function boxKey(theirs, ours) {
  let shared
  try {
    shared = x25519.getSharedSecret(ours, theirs)
  } catch {
    throw curveError('a CURVE key of low order')
  }
  const out = new Uint32Array(8)
  hsalsa(SIGMA, words(shared), new Uint32Array(4), out)
  shared.fill(0)
  const key = new Uint8Array(32)
  const view = new DataView(key.buffer)
  out.forEach((word, i) => view.setUint32(i * 4, word, true))
  return key
}

function seal(key, prefix, rest, plain) {
  return xsalsa20poly1305(key, concat(prefix, rest)).encrypt(plain)
}

function open(key, prefix, rest, sealed, what) {
  try {
    return xsalsa20poly1305(key, concat(prefix, rest)).decrypt(sealed)
  } catch {
    throw curveError(`the server's ${what} does not open: a wrong server key?`)
  }
}

function shortNonce(n) {
  const out = new Uint8Array(8)
  new DataView(out.buffer).setBigUint64(0, n)
  return out
}

/** A command's body: its name, length first, then its data. */
function command(name, ...parts) {
  return concat(Uint8Array.of(name.length), bytes(name), ...parts)
}

/** ZMTP metadata: each name (length first) and value (4-byte length first). */
function encodeMetadata(properties) {
  const parts = []
  for (const [name, value] of Object.entries(properties)) {
    const data = typeof value === 'string' ? bytes(value) : value
    const length = new Uint8Array(4)
    new DataView(length.buffer).setUint32(0, data.length)
    parts.push(Uint8Array.of(name.length), bytes(name), length, data)
  }
  return concat(...parts)
}

function decodeMetadata(data) {
  const properties = {}
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength)
  let at = 0
  while (at < data.length) {
    const nameLength = data[at]
    if (nameLength === 0 || at + 1 + nameLength + 4 > data.length) {
      throw curveError('malformed metadata')
    }
    const name = String.fromCharCode(...data.subarray(at + 1, at + 1 + nameLength))
    const valueLength = view.getUint32(at + 1 + nameLength)
    const start = at + 1 + nameLength + 4
    if (valueLength > data.length - start) throw curveError('malformed metadata')
    properties[name] = data.slice(start, start + valueLength)
    at = start + valueLength
  }
  return properties
}

/**
 * One connection's CURVE client. `hello()` makes the first command;
 * `handle(body)` takes each command the server sends and returns the
 * command to send back (INITIATE), or null; `ready` turns true at the
 * server's READY. Then `seal(body, more)` boxes a frame and `open(body)`
 * opens one. Any failure throws an Error with a code: EPROTO for what
 * does not open or parse, EACCES for the server's ERROR.
 */
export class CurveClient {
  ready = false
  /** The server's READY properties, by name, as bytes. */
  properties = null

  #serverKey
  #publicKey
  #secretKey
  #metadata
  #transient = x25519.utils.randomSecretKey()
  #serverTransient = null
  #nonce = 1n // the next short nonce we use
  #peerNonce = 0n // the last short nonce the server used
  #toServer = null // the box key between our transient key and S
  #traffic = null // the box key between the two transient keys
  #state = 'welcome'

  /**
   * `serverKey`, `publicKey`, `secretKey`: Uint8Array(32) each;
   * `properties`: our metadata (Socket-Type, Identity), strings by name.
   */
  constructor({ serverKey, publicKey, secretKey, properties }) {
    this.#serverKey = serverKey
    this.#publicKey = publicKey
    this.#secretKey = secretKey
    this.#metadata = encodeMetadata(properties)
  }

  #short() {
    const n = shortNonce(this.#nonce)
    this.#nonce += 1n
    return n
  }

  /** HELLO: exactly 200 bytes. */
  hello() {
    this.#toServer = boxKey(this.#serverKey, this.#transient)
    const short = this.#short()
    const sealed = seal(this.#toServer, bytes('CurveZMQHELLO---'), short, new Uint8Array(64))
    const transientPublic = x25519.getPublicKey(this.#transient)
    return command('HELLO', Uint8Array.of(1, 0), new Uint8Array(72), transientPublic, short, sealed)
  }

  /** Takes a command from the server; returns the one to answer with, or null. */
  handle(body) {
    const name = String.fromCharCode(...body.subarray(1, 1 + body[0]))
    const data = body.subarray(1 + body[0])
    if (name === 'ERROR') {
      const reason = String.fromCharCode(...data.subarray(1, 1 + data[0]))
      throw curveError(`the server refused the CURVE handshake: ${reason || 'no reason'}`, 'EACCES')
    }
    if (this.#state === 'welcome' && name === 'WELCOME') {
      if (data.length !== 16 + 32 + COOKIE + MAC) throw curveError('a WELCOME of the wrong size')
      const plain = open(this.#toServer, bytes('WELCOME-'), data.subarray(0, 16), data.subarray(16), 'WELCOME')
      this.#serverTransient = plain.slice(0, 32)
      this.#state = 'ready'
      return this.#initiate(plain.subarray(32))
    }
    if (this.#state === 'ready' && name === 'READY') {
      if (data.length < 8 + MAC || data.length > 8 + MAC + READY_MAX) {
        throw curveError('a READY of the wrong size')
      }
      const short = data.subarray(0, 8)
      const plain = open(this.#traffic, bytes('CurveZMQREADY---'), short, data.subarray(8), 'READY')
      this.properties = decodeMetadata(plain)
      this.#peerNonce = new DataView(short.buffer, short.byteOffset, 8).getBigUint64(0)
      this.#state = 'done'
      this.ready = true
      this.#toServer.fill(0)
      this.#transient.fill(0)
      return null
    }
    throw curveError(`unexpected ${JSON.stringify(name)} in the CURVE handshake`)
  }

  #initiate(cookie) {
    const vouchNonce = crypto.getRandomValues(new Uint8Array(16))
    const toServerTransient = boxKey(this.#serverTransient, this.#secretKey)
    const transientPublic = x25519.getPublicKey(this.#transient)
    const vouch = seal(toServerTransient, bytes('VOUCH---'), vouchNonce,
      concat(transientPublic, this.#serverKey))
    toServerTransient.fill(0)
    this.#traffic = boxKey(this.#serverTransient, this.#transient)
    const short = this.#short()
    const plain = concat(this.#publicKey, vouchNonce, vouch, this.#metadata)
    const sealed = seal(this.#traffic, bytes('CurveZMQINITIATE'), short, plain)
    return command('INITIATE', cookie, short, sealed)
  }

  /** A frame as the body of a MESSAGE (a data frame on the wire). */
  seal(body, more) {
    const short = this.#short()
    const sealed = seal(this.#traffic, bytes('CurveZMQMESSAGEC'), short,
      concat(Uint8Array.of(more ? 1 : 0), body))
    return concat(MESSAGE, short, sealed)
  }

  /**
   * A MESSAGE's frame: { more, command, body }. Its short nonce must be
   * above the last one, and is looked at only once the box opened.
   */
  open(frame) {
    if (frame.length < MESSAGE.length + 8 + MAC + 1 || MESSAGE.some((b, i) => frame[i] !== b)) {
      throw curveError('a frame that is not a CURVE MESSAGE')
    }
    const short = frame.subarray(MESSAGE.length, MESSAGE.length + 8)
    const plain = open(this.#traffic, bytes('CurveZMQMESSAGES'), short,
      frame.subarray(MESSAGE.length + 8), 'MESSAGE')
    const n = new DataView(short.buffer, short.byteOffset, 8).getBigUint64(0)
    if (n <= this.#peerNonce) throw curveError('a MESSAGE nonce that does not go up')
    this.#peerNonce = n
    return { more: (plain[0] & 1) !== 0, command: (plain[0] & 2) !== 0, body: plain.subarray(1) }
  }
}
