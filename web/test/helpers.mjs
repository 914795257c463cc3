// What the ferrozmq.js tests share: a libzmq peer (Debian's 4.3.4, through
// /usr/bin/python3's zmq module) bound over ws, and bounded waits on events.

import { after } from 'node:test'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import WebSocket from 'ws'

const PYTHON = '/usr/bin/python3'
const PEER_SCRIPT = fileURLToPath(new URL('./zmq_peer.py', import.meta.url))
export const WAIT_MS = 5000

// libzmq never answers a WebSocket close frame in bare ZWS2.0 mode, and the
// ws package then waits 30 s (its closeTimeout) before dropping the TCP
// connection. A browser drops it by itself; here we shorten the wait.
globalThis.WebSocket = class TestWebSocket extends WebSocket {
  constructor(url, protocols) {
    super(url, protocols, { closeTimeout: 100 })
  }
}

export const text = (frames) => frames.map((frame) => Buffer.from(frame).toString('latin1'))

/** Rejects if the promise does not settle within ms. */
export function within(promise, what, ms = WAIT_MS) {
  let timer
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

/** The detail of the next `type` event of a socket. */
export async function nextEvent(socket, type, ms = WAIT_MS) {
  const [event] = await once(socket.events, type, { signal: AbortSignal.timeout(ms) })
  return event.detail
}

/** A libzmq socket in a python process, bound over ws, reporting events. */
export class Peer {
  static all = new Set()

  /**
   * Binds a `mode` socket; with `curveSecret` (Z85), as a CURVE server,
   * whose public key (libzmq's zmq_curve_public of it) becomes `peer.publicKey`.
   */
  static async start(mode, endpoint = 'ws://127.0.0.1:*', curveSecret = undefined) {
    const peer = new Peer(mode, endpoint, curveSecret)
    const ready = await peer.next((e) => e.event === 'ready', 'the python peer to bind', 10000)
    peer.endpoint = ready.endpoint.replace(/\/$/, '')
    peer.publicKey = ready.public_key
    return peer
  }

  constructor(mode, endpoint, curveSecret) {
    this.events = []
    this.waiters = new Set()
    const args = [PEER_SCRIPT, mode, endpoint, ...(curveSecret ? [curveSecret] : [])]
    this.process = spawn(PYTHON, args, { stdio: ['pipe', 'pipe', 'inherit'] })
    this.exited = once(this.process, 'exit')
    createInterface({ input: this.process.stdout }).on('line', (line) => {
      this.events.push(JSON.parse(line))
      for (const check of this.waiters) check()
    })
    Peer.all.add(this)
  }

  /** Takes the first event (received so far or to come) that matches. */
  next(matches, what, ms = WAIT_MS) {
    let check
    const found = new Promise((resolve) => {
      check = () => {
        const index = this.events.findIndex(matches)
        if (index < 0) return
        this.waiters.delete(check)
        resolve(this.events.splice(index, 1)[0])
      }
      this.waiters.add(check)
      check()
    })
    return within(found, what, ms).finally(() => this.waiters.delete(check))
  }

  async kill() {
    Peer.all.delete(this)
    if (this.process.exitCode === null && this.process.signalCode === null) {
      this.process.kill('SIGKILL')
      await this.exited
    }
  }
}

after(async () => {
  for (const peer of [...Peer.all]) await peer.kill()
})
