/**
 * The byte-level seam under the HTTP/1.1 transport: a Connector opens sockets to an origin.
 *
 * A `Socket` is the smallest interface the codec needs — write bytes, read the next chunk or the end,
 * say whether it is still fit for another request, and destroy it. The node transport implements it over
 * node:net and node:tls; the mock transport's scripted peer implements it in memory. Errors here know
 * nothing of requests: the transport maps `ConnectError` to `HTTPConnectionError` and `SocketError` to
 * `IOError`, adding the request they belong to.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import type * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import type { Origin } from "./Url.js"

/**
 * The socket could not be opened (DNS, refused, TLS handshake, connect timeout).
 *
 * @since 0.1.0
 * @category errors
 */
export class ConnectError extends Data.TaggedError("ConnectError")<{
  readonly code: string
  readonly reason: string
  /** True when the connect deadline passed. */
  readonly timeout?: boolean
}> {}

/**
 * The open socket failed (reset, broken pipe, closed while writing).
 *
 * @since 0.1.0
 * @category errors
 */
export class SocketError extends Data.TaggedError("SocketError")<{
  readonly code: string
  readonly reason: string
}> {}

/**
 * An open, bidirectional byte stream.
 *
 * @since 0.1.0
 * @category models
 */
export interface Socket {
  /** A number unique among the sockets of one connector, for history and logs. */
  readonly id: number
  /** Writes bytes; resolves once they are handed to the OS (or buffered below its high-water mark). */
  readonly write: (bytes: Uint8Array) => Effect.Effect<void, SocketError>
  /** The next bytes received, or `undefined` when the peer has closed its side. */
  readonly read: Effect.Effect<Uint8Array | undefined, SocketError>
  /** Whether the socket can carry another request: open, not ended by the peer, no unread bytes. */
  readonly reusable: () => boolean
  /** Closes the socket at once, dropping anything unsent. */
  readonly destroy: Effect.Effect<void>
  /**
   * Optional, with `listen`: the push form, for sockets that can do better than one Effect per write and
   * read. The HTTP/1.1 transport uses it for requests whose body is in memory and whose response is read
   * whole. `send` writes at once (as `write` would), returning the failure if the socket cannot take the
   * bytes.
   */
  readonly send?: (bytes: Uint8Array) => SocketError | undefined
  /**
   * Hands every chunk received (`undefined`: the peer closed) to `onBytes` until it returns false, or the
   * failure to `onError`; bytes received while nobody listened come first. Delivery stops when the
   * socket is destroyed, or when the function returned is called (bytes then wait for `read` or the next
   * `listen`).
   */
  readonly listen?: (
    onBytes: (bytes: Uint8Array | undefined) => boolean,
    onError: (error: SocketError) => void,
  ) => () => void
}

/**
 * Options for opening a connection.
 *
 * @since 0.1.0
 * @category models
 */
export interface ConnectOptions {
  /** Give up connecting after this many milliseconds. */
  readonly timeoutMillis?: number | undefined
  /**
   * Reach the origin through a CONNECT tunnel opened on this proxy (RFC 9110 §9.3.6); TLS, for https,
   * then runs inside the tunnel.
   */
  readonly tunnel?: { readonly proxy: Origin; readonly authorization: string | undefined } | undefined
}

/**
 * Opens sockets; each socket is closed when the scope it was opened in closes.
 *
 * @since 0.1.0
 * @category models
 */
export interface Service {
  readonly connect: (origin: Origin, options: ConnectOptions) => Effect.Effect<Socket, ConnectError, Scope.Scope>
}

/**
 * The Connector service.
 *
 * @since 0.1.0
 * @category tags
 */
export class Connector extends Context.Tag("@courier/core/Connector")<Connector, Service>() {}
