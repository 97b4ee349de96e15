/**
 * Sockets for Courier over node:net and node:tls.
 *
 * TLS verifies certificates by default and sends SNI (never for an IP literal) and ALPN `http/1.1`. TCP
 * no-delay and keep-alive are on. Bytes are pushed to a listener (`listen`); bytes that arrive while nobody
 * listens are queued, and the socket is paused when the queue grows, so a slow reader applies back-pressure
 * to the server.
 *
 * @since 0.1.0
 */
import { Connector, type Http1, type Url } from "@courier/core"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { reach, toProxy } from "./internal/dial.js"
import { NodeSocket } from "./internal/socket.js"

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
  /** TLS to origins. */
  readonly tls?: TlsOptions
  /**
   * TLS to an `https://` proxy, on every path (a CONNECT tunnel and a forwarded request alike): its trust and
   * server name, apart from the origins' (undici's `proxyTls`).
   *
   * @since 0.5.0
   */
  readonly proxyTls?: TlsOptions
  /**
   * Decoder limits, which a proxy's reply to CONNECT is read under too (see the `Http1` module for each
   * default): a reply past them fails with `HeaderOverflow`.
   */
  readonly limits?: Partial<Http1.Limits>
  /**
   * Connect to this Unix domain socket instead of the URL's host and port (undici's `socketPath`, curl's
   * `--unix-socket`): a Docker daemon, a local agent. The URL still gives `Host`, the path and, with
   * `https:`, the name TLS verifies. Connections are pooled per origin of the URL within the client, all
   * over this socket; proxies are not used.
   *
   * @since 0.5.0
   */
  readonly socketPath?: string
}

// The connect deadline is applied by the pool, on the Effect Clock, for every Connector alike. The wrapper
// is made as soon as the socket is ready, so an `end` or `error` that follows at once is not missed.
const open = (origin: Url.Origin, options: Options, connect: Connector.ConnectOptions) =>
  Effect.map(
    connect.forwardProxy === true ? toProxy(origin, options) : reach(origin, options, connect.tunnel),
    (s) => new NodeSocket(s),
  )

/**
 * Builds a node Connector.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: Options = {}): Connector.Service => ({
  // Dialling stays interruptible (a deadline or Fiber.interrupt ends a connect, handshake or CONNECT that
  // gets no answer; each step destroys its half-open socket); only adding the finalizer is not.
  connect: (origin, connect) =>
    Effect.uninterruptibleMask((restore) =>
      Effect.tap(restore(open(origin, options, connect)), (socket) => Effect.addFinalizer(() => socket.destroy)),
    ),
})

/**
 * The node Connector as a Layer.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: Options = {}): Layer.Layer<Connector.Connector> =>
  Layer.succeed(Connector.Connector, make(options))
