/**
 * The node socket in the Connector's push form: small writes batched to the end of the event-loop turn,
 * received bytes handed to one listener or queued (pausing the socket) while nobody listens.
 * @internal
 */
import type * as net from "node:net"
import type * as tls from "node:tls"
import { Connector } from "@courier/core"
import * as Effect from "effect/Effect"

/**
 * Writes up to this size are batched: kept per socket and flushed together once per event-loop turn
 * (setImmediate). Loopback writes cost most when they wake an idle server; with one request written as
 * each response arrives, the server woke for every write. Batched, it wakes once for all the requests
 * written in a turn (what it saved: docs/ARCHITECTURE.md, "Measured choices"). Larger writes go out at
 * once, after anything already pending.
 */
const BATCH_BYTES = 16 * 1024

/** How much a socket may hold unsent before a write waits for 'drain'. */
const WRITE_BUFFER_BYTES = 1024 * 1024

const dirty = new Set<NodeSocket>()
let flushScheduled = false
const flushAll = () => {
  flushScheduled = false
  const sockets = [...dirty]
  dirty.clear()
  for (const s of sockets) s.flush()
}

/** How long a socket node:http2 took over may take to close itself once its session is destroyed. */
const TAKEN_OVER_GRACE_MILLIS = 1000

/** Queue this many unread chunks before pausing the socket. */
const HIGH_WATER_CHUNKS = 16

let nextId = 0

const noop = (): void => undefined

/** Where `socket` is connected: its remote address and port, or the Unix domain socket's path. */
export const peerOf = (socket: net.Socket, socketPath?: string): Connector.Peer | undefined => {
  if (socket.remoteAddress !== undefined) return { address: socket.remoteAddress, port: socket.remotePort }
  return socketPath === undefined ? undefined : { address: socketPath }
}

export class NodeSocket implements Connector.Socket {
  readonly id = ++nextId
  readonly protocol: string | undefined
  private queue: Array<Uint8Array> = []
  private ended = false
  private failure: Connector.SocketError | undefined
  /** Small writes waiting for the end of the event-loop turn. */
  private batched: Array<Uint8Array> = []
  private corked = false
  /** Where received bytes go while someone listens (see `listen`). */
  private onBytes: ((bytes: Uint8Array | undefined) => boolean) | undefined
  private onError: ((error: Connector.SocketError) => void) | undefined
  /** node:http2 reads and writes it now (`takeOver`), and closes it when its session goes. */
  private takenOver = false

  readonly peer: Connector.Peer | undefined

  constructor(
    private readonly socket: net.Socket,
    /** The Unix domain socket's path, when it is one: it has no remote address of its own. */
    socketPath?: string,
    /** The protocol agreed without ALPN: `h2` by prior knowledge in clear text. */
    agreed?: string,
  ) {
    const alpn = (socket as tls.TLSSocket).alpnProtocol
    this.protocol = typeof alpn === "string" ? alpn : agreed
    this.peer = peerOf(socket, socketPath)
    socket.on("error", this.failed)
    socket.on("close", this.closed)
    // A socket for HTTP/2 is read by node:http2 once it is taken over (`takeOver`): nothing reads it here.
    if (this.protocol === "h2") return
    socket.on("data", (chunk: Buffer) => {
      const onBytes = this.onBytes
      if (onBytes !== undefined) {
        this.onBytes = undefined
        if (onBytes(chunk) && this.onBytes === undefined && !this.socket.destroyed) this.onBytes = onBytes
        else if (this.onBytes === undefined) this.onError = undefined
        return
      }
      this.queue.push(chunk)
      if (this.queue.length >= HIGH_WATER_CHUNKS) socket.pause()
    })
    socket.on("end", () => {
      this.ended = true
      this.wake()
    })
  }

  private readonly failed = (e: NodeJS.ErrnoException): void => {
    this.failure = new Connector.SocketError({ code: e.code ?? "EIO", reason: e.message })
    this.wake()
  }

  private readonly closed = (): void => {
    if (!this.ended && this.failure === undefined) {
      this.failure = new Connector.SocketError({ code: "ECONNRESET", reason: "socket closed" })
    }
    this.wake()
  }

  /**
   * The node socket of an HTTP/2 connection, for node:http2 to read and write from now on (this wrapper
   * then only destroys it), or the failure that ended it first.
   */
  takeOver(): net.Socket | Connector.SocketError {
    this.socket.off("error", this.failed)
    this.socket.off("close", this.closed)
    this.takenOver = true
    return this.failure ?? this.unwritable() ?? this.socket
  }

  /** Tells the listener, if any, that the stream ended or failed. */
  private wake(): void {
    const onBytes = this.onBytes
    const onError = this.onError
    if (onBytes === undefined || onError === undefined) return
    this.onBytes = undefined
    this.onError = undefined
    if (this.failure === undefined) onBytes(undefined)
    else onError(this.failure)
  }

  /** Why nothing can be written now, if so. */
  private unwritable(): Connector.SocketError | undefined {
    if (this.failure !== undefined) return this.failure
    if (this.socket.destroyed || this.socket.writableEnded) {
      return new Connector.SocketError({ code: "EPIPE", reason: "socket is closed" })
    }
    return undefined
  }

  /**
   * Hands bytes to the socket: small ones are batched until the end of the event-loop turn; larger ones
   * go after anything batched, and those made in one tick (a streamed body's pieces, up to
   * WRITE_BUFFER_BYTES) leave in one writev when the tick ends, as node:http's OutgoingMessage does.
   */
  private put(bytes: Uint8Array): void {
    if (bytes.length <= BATCH_BYTES) {
      this.batched.push(bytes)
      if (!dirty.has(this)) {
        dirty.add(this)
        if (!flushScheduled) {
          flushScheduled = true
          setImmediate(flushAll)
        }
      }
      return
    }
    this.flush()
    if (!this.corked) {
      this.corked = true
      this.socket.cork()
      process.nextTick(this.uncork)
    }
    this.socket.write(bytes)
  }

  // One call per write and one callback per chunk instead of an Effect for each, so no fiber is resumed
  // until the caller has what it waits for.
  readonly send = (bytes: Uint8Array): Connector.SocketError | undefined => {
    const failure = this.unwritable()
    if (failure === undefined) this.put(bytes)
    return failure
  }

  readonly listen = (
    onBytes: (bytes: Uint8Array | undefined) => boolean,
    onError: (error: Connector.SocketError) => void,
  ): (() => void) => {
    for (let chunk = this.queue.shift(); chunk !== undefined; chunk = this.queue.shift()) {
      if (this.queue.length === 0 && this.socket.isPaused()) this.socket.resume()
      if (!onBytes(chunk)) return noop
    }
    if (this.failure !== undefined) {
      onError(this.failure)
      return noop
    }
    if (this.ended) {
      onBytes(undefined)
      return noop
    }
    this.onBytes = onBytes
    this.onError = onError
    return () => {
      if (this.onBytes !== onBytes) return
      this.onBytes = undefined
      this.onError = undefined
    }
  }

  // Wait for the kernel only past 1 MiB buffered rather than Node's 16 KiB high-water mark: a streamed body
  // of 64 KiB pieces would otherwise wait for 'drain' after every piece.
  readonly whenWritable = (ready: (failure: Connector.SocketError | undefined) => void): (() => void) => {
    if (this.failure !== undefined || this.socket.writableLength <= WRITE_BUFFER_BYTES) {
      ready(this.failure ?? this.unwritable())
      return noop
    }
    const done = () => {
      cancel()
      ready(this.failure)
    }
    const cancel = () => {
      this.socket.off("drain", done)
      this.socket.off("close", done)
    }
    this.socket.on("drain", done)
    this.socket.on("close", done)
    return cancel
  }

  private readonly uncork = (): void => {
    this.corked = false
    this.socket.uncork()
  }

  /** Writes what was batched, in order, in one syscall where Node can (cork/uncork gives writev). */
  flush(): void {
    const pending = this.batched
    if (pending.length === 0) return
    this.batched = []
    dirty.delete(this)
    if (this.socket.destroyed) return
    const only = pending.length === 1 ? pending[0] : undefined
    if (only !== undefined) {
      this.socket.write(only)
      return
    }
    this.socket.cork()
    for (const bytes of pending) this.socket.write(bytes)
    this.socket.uncork()
  }

  reusable(): boolean {
    return !this.ended && this.failure === undefined && this.queue.length === 0 && !this.socket.destroyed
  }

  readonly destroy: Effect.Effect<void> = Effect.sync(() => {
    this.onBytes = undefined
    this.onError = undefined
    this.batched = []
    dirty.delete(this)
    if (!this.takenOver) return this.socket.destroy()
    // An HTTP/2 session destroyed just before flushes its last frames (a stream's RST_STREAM, its GOAWAY)
    // and then closes this socket itself: destroying it now would drop them. It gets a moment to.
    if (this.socket.destroyed) return
    const grace = setTimeout(() => this.socket.destroy(), TAKEN_OVER_GRACE_MILLIS)
    grace.unref()
    this.socket.once("close", () => clearTimeout(grace))
  })
}
