// Type declarations for ferrozmq.js: ZeroMQ sockets for the browser, over
// WebSocket (ZWS 2.0). MPL-2.0.

/** One frame of a message to send. Strings are sent as UTF-8; a number as its decimal text; null and undefined as an empty frame. */
export type MessageLike = ArrayBufferView | ArrayBuffer | string | number | null | undefined

/** A message to send: one frame, or an array of frames (multipart). */
export type Message = MessageLike | MessageLike[]

/** The options of every socket; each is also a property of the socket, read when used. */
export interface SocketOptions {
  /** ms before the first reconnect; -1: never reconnect. Default 100. */
  reconnectInterval?: number
  /** The reconnect delay doubles up to this many ms (no doubling when ≤ reconnectInterval). Default 5000. */
  reconnectMaxInterval?: number
  /** Messages queued while disconnected; past it, send() waits (up to sendTimeout). 0: no limit. Default 1000. */
  sendHighWaterMark?: number
  /** Received messages kept until receive() takes them; past it, new ones are dropped. 0: no limit. Default 1000. */
  receiveHighWaterMark?: number
  /** ms a send() may wait for room in the queue before it rejects with EAGAIN; -1: forever. Default -1. */
  sendTimeout?: number
  /** ms a receive() may wait for a message before it rejects with EAGAIN; -1: forever. Default -1. */
  receiveTimeout?: number
  /** Bytes one received message may have (all frames); past it the connection is dropped and retried. -1: no limit. Default -1. */
  maxMessageSize?: number
  /** The server's CURVE public key (40 Z85 characters or 32 bytes): the socket speaks CURVE (subprotocol ZWS2.0-CURVE). Default: none, no security. */
  curveServerKey?: string | Uint8Array
  /** Our CURVE public key (with curveSecretKey). Default: one key pair made for the page, shared by its sockets. */
  curvePublicKey?: string | Uint8Array
  /** Our CURVE secret key (with curvePublicKey). */
  curveSecretKey?: string | Uint8Array
  /** The WebSocket class to use. Default: globalThis.WebSocket. */
  WebSocket?: WebSocketClass
}

/** A class like the browser's WebSocket. */
export type WebSocketClass = new (url: string, protocols: string[]) => WebSocket

/** The detail of a socket's events. */
export interface SocketEventDetail {
  /** The address given to connect(). */
  address: string | null
  /** On disconnect: why the client dropped the connection (bad input from the server, a failed CURVE handshake, or a WebSocket that could not be made). Absent when the server closed it. On handshake:error: why the CURVE handshake failed; code EACCES for the server's ERROR, EPROTO otherwise. */
  error?: SocketError
  /** On connect:retry: ms until the next attempt. */
  interval?: number
}

/** connect: the connection is ready (for CURVE, the handshake done). disconnect: a connection was lost or dropped. handshake:error: a CURVE handshake failed (after its disconnect). connect:retry: a new attempt is scheduled. close: close() was called. */
export type SocketEventType = 'connect' | 'disconnect' | 'handshake:error' | 'connect:retry' | 'close'

/** The events of a socket, as CustomEvents. */
export interface SocketEvents extends EventTarget {
  addEventListener(
    type: SocketEventType,
    listener: (event: CustomEvent<SocketEventDetail>) => void,
    options?: boolean | AddEventListenerOptions,
  ): void
  addEventListener(
    type: string,
    listener: EventListenerOrEventListenerObject | null,
    options?: boolean | AddEventListenerOptions,
  ): void
  removeEventListener(
    type: SocketEventType,
    listener: (event: CustomEvent<SocketEventDetail>) => void,
    options?: boolean | EventListenerOptions,
  ): void
  removeEventListener(
    type: string,
    listener: EventListenerOrEventListenerObject | null,
    options?: boolean | EventListenerOptions,
  ): void
}

/** An Error from a socket operation; code is as in zeromq.js (EAGAIN, EBUSY, EFSM, EBADF, EINVAL, ECONNRESET; EPROTO, EACCES for CURVE). */
export interface SocketError extends Error {
  code: string
}

/** What every socket has. Not exported by the module. */
declare abstract class Socket {
  constructor(options?: SocketOptions)
  reconnectInterval: number
  reconnectMaxInterval: number
  sendHighWaterMark: number
  receiveHighWaterMark: number
  sendTimeout: number
  receiveTimeout: number
  maxMessageSize: number
  WebSocket: WebSocketClass | undefined
  curveServerKey: string | Uint8Array | undefined
  curvePublicKey: string | Uint8Array | undefined
  curveSecretKey: string | Uint8Array | undefined
  /** Connection state changes. */
  readonly events: SocketEvents
  /** True once close() was called. */
  readonly closed: boolean
  /** True while the connection is ready: the WebSocket open (and, for CURVE, the handshake done). */
  readonly connected: boolean
  /** Connects to one ws:// or wss:// address and reconnects after any close or error. A second connect() throws (EINVAL): one address per socket. */
  connect(url: string): void
  /** Closes at once: unsent messages are dropped; a pending send() or receive() rejects with EAGAIN. */
  close(): void
  // The hooks through which the socket classes add their rules.
  protected _send(message: Message): Promise<void>
  protected _receive(): Promise<Uint8Array[]>
  protected _failReceive(error: Error): boolean
  protected _dropQueued(keep: (frames: Uint8Array[]) => boolean): void
  protected _sendIfConnected(frames: Uint8Array[]): void
  protected _connected(): void
  protected _disconnected(): void
  protected _wrote(): void
  protected _incoming(frames: Uint8Array[]): Uint8Array[] | null
}

/** REQ: send a request, then receive its reply, in turn (else EFSM). If the connection drops while a sent request waits for its reply, that receive() rejects with ECONNRESET; the request is not resent. */
export class Request extends Socket {
  send(message: Message): Promise<void>
  receive(): Promise<Uint8Array[]>
  [Symbol.asyncIterator](): AsyncIterator<Uint8Array[]>
}

/** DEALER: sends and receives messages as they are. */
export class Dealer extends Socket {
  send(message: Message): Promise<void>
  receive(): Promise<Uint8Array[]>
  [Symbol.asyncIterator](): AsyncIterator<Uint8Array[]>
}

/** PAIR: like Dealer, for a PAIR peer. */
export class Pair extends Dealer {}

/** PUSH: sends only. */
export class Push extends Socket {
  send(message: Message): Promise<void>
}

/** SUB: receives the messages whose first frame starts with a subscribed prefix. */
export class Subscriber extends Socket {
  /** Subscribes to each prefix (counted, as in libzmq); with none, to everything. */
  subscribe(...prefixes: Array<string | ArrayBufferView | ArrayBuffer>): void
  /** Undoes one subscribe() of each prefix; with none, of the empty prefix. Queued messages that no longer match are dropped. */
  unsubscribe(...prefixes: Array<string | ArrayBufferView | ArrayBuffer>): void
  receive(): Promise<Uint8Array[]>
  [Symbol.asyncIterator](): AsyncIterator<Uint8Array[]>
}

/** A new CURVE key pair, each key 40 Z85 characters (async: the crypto loads on first use). */
export function curveKeyPair(): Promise<{ publicKey: string, secretKey: string }>

// Socket above is a type only: the module exports the five classes and curveKeyPair.
export {}
