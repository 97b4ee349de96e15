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
import type * as net from "node:net"
import { Connector, type Http1, type Url } from "@courier/core"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { reach, toProxy, viaOf } from "./internal/dial.js"
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
  /**
   * Resolves host names, with `dns.lookup`'s signature: a cache such as `cacheable-lookup`'s `lookup`, or a
   * table of your own. Default: the system's `dns.lookup` (or the cache, with `dnsCache`).
   *
   * @since 0.5.0
   */
  readonly lookup?: net.LookupFunction
  /**
   * Fixed addresses for a host and port, as curl's `--resolve`: `"HOST:PORT:ADDRESS[,ADDRESS…]"` (an IPv6
   * address in brackets). The URL's host is still what `Host`, SNI and certificate checks use. An entry
   * not of that form fails each connection with `HTTPConnectionError` (code `EINVAL`).
   *
   * @since 0.5.0
   */
  readonly resolve?: ReadonlyArray<string>
  /**
   * Keep the system resolver's answers for their TTL (capped at `maxTtlMillis`, default a day), at most
   * `maxEntries` names (default 1000, least recently used dropped), as `cacheable-lookup` does; a name DNS
   * does not know (the hosts file's) is looked up with getaddrinfo and kept `fallbackTtlMillis` (default
   * 60 s). Times are the Effect Clock's. Ignored when `lookup` is given.
   * @default false
   * @since 0.5.0
   */
  readonly dnsCache?:
    | boolean
    | { readonly maxEntries?: number; readonly maxTtlMillis?: number; readonly fallbackTtlMillis?: number }
  /**
   * Connect over IPv4 (`4`) or IPv6 (`6`) only.
   *
   * @since 0.5.0
   */
  readonly family?: 4 | 6
  /**
   * Happy eyeballs (RFC 8305, node's `autoSelectFamily`): with several addresses, the next is tried when
   * one has not connected within the attempt delay (default 250 ms, at least 10), alternating IPv6 and
   * IPv4. `false` tries the first address only.
   * @default true
   * @since 0.5.0
   */
  readonly happyEyeballs?: boolean | { readonly attemptDelayMillis?: number }
}

// The connect deadline is applied by the pool, on the Effect Clock, for every Connector alike. The wrapper
// is made as soon as the socket is ready, so an `end` or `error` that follows at once is not missed.
// Over TLS the socket offers `connect.alpn`; in clear text, HTTP/2 alone is prior knowledge (RFC 9113 §3.3).
const open = (origin: Url.Origin, options: Options, connect: Connector.ConnectOptions) => {
  if (connect.forwardProxy === true)
    return Effect.map(toProxy(origin, options), (s) => new NodeSocket(s, options.socketPath))
  const alpn = connect.alpn
  const prior = origin.scheme === "http" && alpn?.length === 1 && alpn[0] === "h2" ? "h2" : undefined
  return Effect.map(reach(origin, options, viaOf(connect), alpn), (s) => new NodeSocket(s, options.socketPath, prior))
}

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
