/**
 * The byte-level seam under the HTTP/1.1 transport: a Connector opens sockets to an origin.
 *
 * A `Socket` is the smallest interface the engine needs — send bytes, wait until more may be sent, listen
 * for the chunks received and the end, say whether it is still fit for another request, and destroy it.
 * The node transport implements it over node:net and node:tls; the mock transport's scripted peer
 * implements it in memory; `fromPull` builds one from any socket read and written with Effects. Errors here know
 * nothing of requests: the transport maps `ConnectError` to `HTTPConnectionError` and `SocketError` to
 * `IOError`, adding the request they belong to.
 *
 * @since 0.1.0
 */
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import type { HttpError, RequestInfo } from "./HttpError.js"
import { PullAdapter } from "./internal/binding/pull.js"
import { connectFailure } from "./internal/engine/failures.js"
import type { Failure } from "./internal/http1/model.js"
import * as Edition from "./internal/shared/edition-effect.js"
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
  /**
   * The proxy's reply to CONNECT broke HTTP/1.1 (a bad status line, a head past the decoder's limits): the
   * codec's failure, which the request sees as that failure's error.
   */
  readonly proxyReply?: Failure
}> {}

/**
 * The error a request sees when its connection could not be opened: `Timeout` (phase `connect`) when the
 * deadline passed, the codec's error (`BadStatusLine`, `HeaderOverflow`, `ProtocolError`) when a proxy's
 * reply to CONNECT broke HTTP/1.1, and otherwise `HTTPConnectionError` naming the origin.
 *
 * @since 0.5.0
 * @category errors
 */
export const toHttpError = (e: ConnectError, request: RequestInfo, origin: Origin, connectMillis: number): HttpError =>
  connectFailure(e, request, origin, connectMillis)

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
 * Where a connection went: the address it was made to (an IP address, or a Unix domain socket's path) and
 * the port, when there is one.
 *
 * @since 0.5.0
 * @category models
 */
export interface Peer {
  readonly address: string
  readonly port?: number | undefined
}

/**
 * An open, bidirectional byte stream, in push form: bytes are sent with a call and received through a
 * listener, so an exchange runs on the socket's own callbacks with no Effect per read or write. A socket
 * that can only be read and written with Effects becomes one with `fromPull`.
 *
 * @since 0.1.0
 * @category models
 */
export interface Socket {
  /** A number unique among the sockets of one connector, for history and logs. */
  readonly id: number
  /**
   * The application protocol TLS negotiated by ALPN (`"http/1.1"`, `"h2"`), when it negotiated one.
   * @since 0.4.0
   */
  readonly protocol?: string | undefined
  /**
   * The address it is connected to, as resolved (happy eyeballs' choice among several): an IP address and
   * port, or a Unix domain socket's path.
   * @since 0.5.0
   */
  readonly peer?: Peer | undefined
  /** Writes bytes at once, or returns the failure if the socket cannot take them. */
  readonly send: (bytes: Uint8Array) => SocketError | undefined
  /**
   * Calls `ready` once the socket holds few enough unsent bytes to take more — at once when it does now —
   * or with the failure if it dies first; the function returned cancels the wait. A writer of a large
   * body waits on it between pieces, so memory stays bounded when the peer reads slowly.
   */
  readonly whenWritable: (ready: (failure: SocketError | undefined) => void) => () => void
  /**
   * Hands every chunk received (`undefined`: the peer closed) to `onBytes` until it returns false, or the
   * failure to `onError`; bytes received while nobody listened come first. Delivery stops when the
   * socket is destroyed, or when the function returned is called (bytes then wait for the next `listen`).
   */
  readonly listen: (
    onBytes: (bytes: Uint8Array | undefined) => boolean,
    onError: (error: SocketError) => void,
  ) => () => void
  /** Whether the socket can carry another request: open, not ended by the peer, no unread bytes. */
  readonly reusable: () => boolean
  /** Closes the socket at once, dropping anything unsent. */
  readonly destroy: Effect.Effect<void>
}

/**
 * A socket read and written with Effects, the form most byte streams offer; `fromPull` turns it into a
 * `Socket`.
 *
 * @since 0.4.0
 * @category models
 */
export interface PullSocket {
  /** A number unique among the sockets of one connector. */
  readonly id: number
  /** Writes bytes; succeeds once the socket has taken them. */
  readonly write: (bytes: Uint8Array) => Effect.Effect<void, SocketError>
  /** The next bytes received, or `undefined` when the peer has closed its side. */
  readonly read: Effect.Effect<Uint8Array | undefined, SocketError>
  /** Whether the socket can carry another request. */
  readonly reusable: () => boolean
  /** Closes the socket at once. */
  readonly destroy: Effect.Effect<void>
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
   * The application protocols to offer, most preferred first: by ALPN over TLS (`["h2", "http/1.1"]`); in
   * clear text, `["h2"]` alone asks for HTTP/2 with prior knowledge, and the socket's `protocol` is then
   * `"h2"`. Unset: HTTP/1.1.
   * @since 0.6.0
   */
  readonly alpn?: ReadonlyArray<string> | undefined
  /**
   * Reach the origin through a CONNECT tunnel opened on this proxy (RFC 9110 §9.3.6); TLS, for https,
   * then runs inside the tunnel.
   */
  readonly tunnel?: { readonly proxy: Origin; readonly authorization: string | undefined } | undefined
  /**
   * The origin is a proxy that requests are forwarded to: a connector speaks TLS to an `https` one with its
   * proxy TLS settings, not the origin's.
   */
  readonly forwardProxy?: boolean | undefined
  /**
   * Reach the origin through a SOCKS5 tunnel (RFC 1928) opened on this proxy, with RFC 1929 credentials when
   * `username` is not empty; `remoteDns` sends the origin's name for the proxy to resolve (`socks5h:`).
   * @since 0.5.0
   */
  readonly socks?: Socks | undefined
}

/**
 * A SOCKS5 proxy, as `ConnectOptions.socks` names it.
 *
 * @since 0.5.0
 * @category models
 */
export interface Socks {
  readonly host: string
  readonly port: number
  readonly username: string
  readonly password: string
  readonly remoteDns: boolean
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
export class Connector extends Edition.Service<Connector, Service>()("@courier/core/Connector") {}

/**
 * Builds a `Socket` from a `PullSocket`: a fiber in the scope reads only while someone listens, so a
 * reader that stops applies back-pressure, and writes go out one after another in the order sent.
 *
 * @since 0.4.0
 * @category constructors
 */
export const fromPull = (socket: PullSocket): Effect.Effect<Socket, never, Scope.Scope> =>
  Effect.flatMap(Edition.runner, (run) => {
    const closed = () => new SocketError({ code: "EPIPE", reason: "socket is closed" })
    const adapter = new PullAdapter(socket, run, closed)
    return Effect.as(
      Effect.addFinalizer(() => adapter.destroy),
      adapter,
    )
  })
