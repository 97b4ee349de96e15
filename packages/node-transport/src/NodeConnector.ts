/**
 * Sockets for Courier over node:net and node:tls.
 *
 * TLS verifies certificates by default and sends SNI (never for an IP literal) and ALPN `http/1.1`. TCP
 * no-delay and keep-alive are on. Reads are pulled: bytes that arrive while nobody reads are queued, and
 * the socket is paused when the queue grows, so a slow reader applies back-pressure to the server.
 *
 * @since 0.1.0
 */
import * as net from "node:net"
import * as tls from "node:tls"
import { Connector, type Url } from "@courier/core"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"

/**
 * TLS options (the seeds' `ctx`): trust, client certificate, server name.
 *
 * @since 0.1.0
 * @category models
 */
export interface TlsOptions {
  /** Certificate authorities to trust instead of Node's bundled list (PEM). */
  readonly ca?: string | Buffer | ReadonlyArray<string | Buffer>
  /** Client certificate chain (PEM). */
  readonly cert?: string | Buffer
  /** Client private key (PEM). */
  readonly key?: string | Buffer
  /** Server name for SNI and certificate checks, when it differs from the URL's host. */
  readonly servername?: string
  /**
   * Verify the server's certificate.
   * @default true
   */
  readonly rejectUnauthorized?: boolean
}

/**
 * Connector options.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  readonly tls?: TlsOptions
}

/** Queue this many unread chunks before pausing the socket. */
const HIGH_WATER_CHUNKS = 16

let nextId = 0

class NodeSocket implements Connector.Socket {
  readonly id = ++nextId
  private queue: Array<Uint8Array> = []
  private ended = false
  private failure: Connector.SocketError | undefined
  private waiter: ((effect: Effect.Effect<Uint8Array | undefined, Connector.SocketError>) => void) | undefined

  constructor(private readonly socket: net.Socket) {
    socket.on("data", (chunk: Buffer) => {
      const waiter = this.waiter
      if (waiter !== undefined) {
        this.waiter = undefined
        waiter(Effect.succeed(chunk))
        return
      }
      this.queue.push(chunk)
      if (this.queue.length >= HIGH_WATER_CHUNKS) socket.pause()
    })
    socket.on("end", () => {
      this.ended = true
      this.wake(Effect.succeed(undefined))
    })
    socket.on("error", (e: NodeJS.ErrnoException) => {
      this.failure = new Connector.SocketError({ code: e.code ?? "EIO", reason: e.message })
      this.wake(Effect.fail(this.failure))
    })
    socket.on("close", () => {
      if (!this.ended && this.failure === undefined) {
        this.failure = new Connector.SocketError({ code: "ECONNRESET", reason: "socket closed" })
      }
      this.wake(this.failure === undefined ? Effect.succeed(undefined) : Effect.fail(this.failure))
    })
  }

  private wake(effect: Effect.Effect<Uint8Array | undefined, Connector.SocketError>): void {
    const waiter = this.waiter
    this.waiter = undefined
    waiter?.(effect)
  }

  readonly read: Effect.Effect<Uint8Array | undefined, Connector.SocketError> = Effect.suspend(() => {
    const chunk = this.queue.shift()
    if (chunk !== undefined) {
      if (this.queue.length === 0 && this.socket.isPaused()) this.socket.resume()
      return Effect.succeed(chunk)
    }
    if (this.failure !== undefined) return Effect.fail(this.failure)
    if (this.ended) return Effect.succeed(undefined)
    return Effect.async<Uint8Array | undefined, Connector.SocketError>((resume) => {
      this.waiter = resume
      return Effect.sync(() => {
        this.waiter = undefined
      })
    })
  })

  write(bytes: Uint8Array): Effect.Effect<void, Connector.SocketError> {
    return Effect.suspend(() => {
      if (this.failure !== undefined) return Effect.fail(this.failure)
      if (this.socket.destroyed || this.socket.writableEnded) {
        return Effect.fail(new Connector.SocketError({ code: "EPIPE", reason: "socket is closed" }))
      }
      if (this.socket.write(bytes)) return Effect.void
      // Above the high-water mark: wait for the kernel to take the bytes (back-pressure for big bodies).
      return Effect.async<void, Connector.SocketError>((resume) => {
        const done = () => {
          this.socket.off("drain", done)
          this.socket.off("close", done)
          resume(this.failure === undefined ? Effect.void : Effect.fail(this.failure))
        }
        this.socket.on("drain", done)
        this.socket.on("close", done)
        return Effect.sync(() => {
          this.socket.off("drain", done)
          this.socket.off("close", done)
        })
      })
    })
  }

  reusable(): boolean {
    return !this.ended && this.failure === undefined && this.queue.length === 0 && !this.socket.destroyed
  }

  readonly destroy: Effect.Effect<void> = Effect.sync(() => {
    this.socket.destroy()
  })
}

const connectError = (e: NodeJS.ErrnoException): Connector.ConnectError =>
  new Connector.ConnectError({ code: e.code ?? "ECONNECT", reason: e.message })

// The connect deadline is applied by the pool, on the Effect Clock, for every Connector alike.
const open = (origin: Url.Origin, options: Options) =>
  Effect.async<NodeSocket, Connector.ConnectError>((resume) => {
    const secure = origin.scheme === "https"
    const t = options.tls ?? {}
    const socket: net.Socket = secure
      ? tls.connect({
          host: origin.host,
          port: origin.port,
          // RFC 6066 §3: SNI carries host names only, never IP literals.
          ...(net.isIP(t.servername ?? origin.host) === 0 ? { servername: t.servername ?? origin.host } : {}),
          ALPNProtocols: ["http/1.1"],
          rejectUnauthorized: t.rejectUnauthorized ?? true,
          ...(t.ca === undefined ? {} : { ca: t.ca as string | Buffer | Array<string | Buffer> }),
          ...(t.cert === undefined ? {} : { cert: t.cert }),
          ...(t.key === undefined ? {} : { key: t.key }),
        })
      : net.connect({ host: origin.host, port: origin.port })
    socket.setNoDelay(true)
    socket.setKeepAlive(true, 60_000)
    const onError = (e: NodeJS.ErrnoException) => {
      cleanup()
      socket.destroy()
      resume(Effect.fail(connectError(e)))
    }
    const onConnect = () => {
      cleanup()
      // Wrap now, in the connect callback: an `end` or `error` that follows at once must not be missed.
      resume(Effect.succeed(new NodeSocket(socket)))
    }
    const cleanup = () => {
      socket.off("error", onError)
      socket.off(secure ? "secureConnect" : "connect", onConnect)
    }
    socket.once("error", onError)
    socket.once(secure ? "secureConnect" : "connect", onConnect)
    return Effect.sync(() => {
      cleanup()
      socket.destroy()
    })
  })

/**
 * Builds a node Connector.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: Options = {}): Connector.Service => ({
  connect: (origin) => Effect.acquireRelease(open(origin, options), (socket) => socket.destroy),
})

/**
 * The node Connector as a Layer.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: Options = {}): Layer.Layer<Connector.Connector> =>
  Layer.succeed(Connector.Connector, make(options))
