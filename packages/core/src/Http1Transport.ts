/**
 * The HTTP/1.1 transport: the codec and the connection pool over any Connector.
 *
 * Connections are kept alive and reused per origin, up to a per-origin limit beyond which requests wait
 * their turn in order. A connection goes back to the pool only after its response was read to the end;
 * a response abandoned mid-body (its scope closed, its fiber interrupted) destroys its connection. When an
 * idempotent request fails on a reused connection before any response byte — the server closed the idle
 * socket — it is sent once more on a fresh connection. Closing the layer's scope closes every socket.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import * as Metric from "effect/Metric"
import * as Schedule from "effect/Schedule"
import type * as Scope from "effect/Scope"
import { Connector, type Socks } from "./Connector.js"
import * as Deadlines from "./Deadlines.js"
import type { Limits } from "./Http1.js"
import * as Http1 from "./Http1.js"
import type * as HttpError from "./HttpError.js"
import { Connections } from "./internal/binding/connections.js"
import { Dispatcher } from "./internal/binding/dispatch.js"
import { timers as driven } from "./internal/binding/driver.js"
import type { Engine } from "./internal/engine/exchange.js"
import { type ProxyOptions as InternalProxyOptions, router as proxyRouter, refusal } from "./internal/engine/proxy.js"
import { layerScoped, tagged } from "./internal/shared/edition-effect.js"
import type { Multiplexer } from "./Multiplex.js"
import * as Request from "./Request.js"
import { Transport, type Service as TransportService } from "./Transport.js"
import type * as Url from "./Url.js"

/**
 * Options of the HTTP/1.1 transport.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /**
   * The most connections open to one origin; further requests wait in order.
   * @default 64
   */
  readonly maxConnectionsPerOrigin?: number
  /**
   * Requests one connection carries before it is closed.
   * @default Infinity
   */
  readonly maxRequestsPerConnection?: number
  /**
   * Give up connecting after this many milliseconds (the same as `timeouts.connect`).
   * @default 10000
   */
  readonly connectTimeoutMillis?: number
  /**
   * Default deadlines for each phase below the Client; a request's own win, phase by phase. Any phase
   * left out keeps its default from `defaultTimeouts`; `Duration.infinity` turns one off.
   */
  readonly timeouts?: Omit<Request.Timeouts, "total">
  /**
   * How long an idle connection is kept when the server sends no `Keep-Alive: timeout=` hint.
   * @default 4000 (undici's keepAliveTimeout)
   */
  readonly idleTimeoutMillis?: number
  /**
   * The longest idle time a server's hint may ask for.
   * @default 600000
   */
  readonly maxIdleTimeoutMillis?: number
  /**
   * Taken off the server's `Keep-Alive: timeout=` hint, so Courier closes an idle socket before the server does.
   * @default 1000 (undici's keepAliveTimeoutThreshold)
   */
  readonly keepAliveMarginMillis?: number
  /**
   * HTTP/1.1 pipelining: how many requests one connection may carry at once. Above 1, once every
   * connection allowed is open, a request joins a busy connection rather than wait — but only an
   * idempotent request without a body whose response is read whole (`fetch`), and never behind a request
   * that is not one (it takes a connection with nothing in flight, and nothing joins behind it). Responses
   * are read in the order the requests were written. When a response on a pipelined connection fails, the
   * requests behind it are sent again on a fresh connection. Values below 1 count as 1.
   * @default 1 (off, as in undici)
   */
  readonly pipelining?: number
  /** Decoder limits; see the `Http1` module for each default. */
  readonly limits?: Partial<Limits>
  /**
   * Proxies: http requests are forwarded through `http`, https ones tunnelled through `https` with
   * CONNECT, except to hosts in `noProxy` and to loopback addresses. The proxy URLs may carry credentials.
   */
  readonly proxy?: ProxyOptions
}

/**
 * Proxy settings.
 *
 * @since 0.1.0
 * @category models
 */
export interface ProxyOptions extends InternalProxyOptions {}

/**
 * The deadlines a request gets when neither it nor its Client sets one, so that nothing waits forever:
 * - `connect` 10 s: undici's `connect.timeout`;
 * - `head` 300 s and `body` 300 s (between two pieces of the body): undici's `headersTimeout` and
 *   `bodyTimeout`;
 * - `send` 300 s (the longest wait for the peer to take more of the request body), matching `body` for the
 *   other direction;
 * - `acquire` 300 s (waiting for a free connection): undici has none, httpx's pool timeout is 5 s; a
 *   request in line waits for responses that are bounded by the head and body deadlines, so the same bound.
 * There is no default total deadline, as in undici, requests and httpx.
 *
 * @since 0.2.0
 * @category constants
 */
export const defaultTimeouts: { readonly [K in keyof Omit<Request.Timeouts, "total">]-?: number } = {
  acquire: 300_000,
  connect: 10_000,
  send: 300_000,
  head: 300_000,
  body: 300_000,
}

/**
 * The pool's defaults, for HTTP/1.1 and multiplexed connections alike, each with its precedent:
 * - `maxConnectionsPerOrigin` 64: enough for heavy fan-out to one host while bounding sockets (undici's Pool
 *   is unbounded by default, browsers use 6); raise it for load tests;
 * - `maxRequestsPerConnection` Infinity: undici's `maxRequestsPerClient`, unset;
 * - `idleTimeoutMillis` 4000: undici's `keepAliveTimeout`;
 * - `maxIdleTimeoutMillis` 600000: undici's `keepAliveMaxTimeout`;
 * - `keepAliveMarginMillis` 1000: undici's `keepAliveTimeoutThreshold`;
 * - `pipelining` 1 (off): undici's.
 * The deadlines' defaults are `defaultTimeouts`, the decoder's `Http1.defaultLimits`.
 *
 * @since 0.6.0
 * @category constants
 */
export const defaultPool = {
  maxConnectionsPerOrigin: 64,
  maxRequestsPerConnection: Number.POSITIVE_INFINITY,
  idleTimeoutMillis: 4000,
  maxIdleTimeoutMillis: 600_000,
  keepAliveMarginMillis: 1000,
  pipelining: 1,
} as const

/**
 * The deadlines a transport built with `options` gives requests that set none: `defaultTimeouts`, then
 * `connectTimeoutMillis`, then `timeouts`, phase by phase. Other transports over sockets (the node
 * transport's HTTP/2) take the same options and use this.
 *
 * @since 0.4.0
 * @category constructors
 */
export const phaseDefaults = (options: Pick<Options, "timeouts" | "connectTimeoutMillis">): Deadlines.Phases =>
  Deadlines.phases(options.timeouts, {
    ...defaultTimeouts,
    connect: options.connectTimeoutMillis ?? defaultTimeouts.connect,
  })

/**
 * How the proxy settings route requests to an origin, by the rules of `Options.proxy`: directly, forwarded
 * to a proxy (an http request sent to it in absolute form), or through a CONNECT tunnel opened on it, with
 * the proxy's `Proxy-Authorization` when its URL carries credentials.
 *
 * @since 0.4.0
 * @category proxies
 */
export type ProxyRoute =
  | { readonly _tag: "Direct" }
  | { readonly _tag: "Forward"; readonly proxy: Url.Origin; readonly authorization: string | undefined }
  | { readonly _tag: "Tunnel"; readonly proxy: Url.Origin; readonly authorization: string | undefined }
  /** Through a SOCKS5 tunnel, for http and https origins alike (`socks5:` or `socks5h:` proxy URLs). */
  | { readonly _tag: "Socks"; readonly proxy: Socks & { readonly key: string } }
  /** The proxy that should carry the request has a URL Courier cannot use: the request fails, never goes direct. */
  | {
      readonly _tag: "Invalid"
      readonly error: (request: HttpError.RequestInfo) => HttpError.InvalidURL | HttpError.UnknownProtocol
    }

/**
 * The route of each origin under the proxy settings (see `ProxyRoute`).
 *
 * @since 0.4.0
 * @category proxies
 */
export const proxyRoute = (proxy: ProxyOptions | undefined): ((origin: Url.Origin) => ProxyRoute) => {
  const route = proxyRouter(proxy)
  return (origin) => {
    const r = route(origin)
    return r._tag === "Direct" || r._tag === "Invalid" || r._tag === "Socks"
      ? r
      : { _tag: r._tag, proxy: r.proxy.origin, authorization: r.proxy.authorization }
  }
}

/**
 * Why `request` cannot take `route`, if so: the proxy's URL is unusable (`InvalidURL`, or `UnknownProtocol`
 * for a scheme such as `socks4:`), or the request is tunnelled (CONNECT or SOCKS5) and carries its own
 * `Proxy-Authorization` (`InvalidHeader`: that field is for the proxy alone, and would reach the origin
 * through the tunnel). A direct or forwarded request is never refused, and costs nothing to check.
 *
 * @since 0.5.0
 * @category proxies
 */
export const proxyRefusal = (route: ProxyRoute, request: Request.Request): HttpError.HttpError | undefined =>
  route._tag === "Direct" || route._tag === "Forward"
    ? undefined
    : refusal(
        route._tag === "Tunnel"
          ? { _tag: "Tunnel", proxy: { origin: route.proxy, authorization: route.authorization } }
          : route,
        request,
        Request.info(request),
      )

/**
 * Connections open or opening, per origin (tag `origin`), sampled every second.
 *
 * @since 0.1.0
 * @category metrics
 */
export const poolOpen = Metric.gauge("courier.pool.connections.open", { description: "Connections open or opening" })

/**
 * Idle keep-alive connections, per origin, sampled every second.
 *
 * @since 0.1.0
 * @category metrics
 */
export const poolIdle = Metric.gauge("courier.pool.connections.idle", { description: "Idle keep-alive connections" })

/**
 * Requests waiting for a connection, per origin, sampled every second.
 *
 * @since 0.1.0
 * @category metrics
 */
export const poolWaiting = Metric.gauge("courier.pool.requests.waiting", {
  description: "Requests waiting for a connection",
})

/**
 * Origins the pool holds state for (connections open or opening, or requests waiting), sampled every
 * second; an origin with neither is forgotten, so this stays flat for a client that talks to many hosts.
 *
 * @since 0.2.0
 * @category metrics
 */
export const poolOrigins = Metric.gauge("courier.pool.origins", { description: "Origins with connections or waiters" })

/**
 * The most origins that get gauges of their own (tag `origin`): each tagged gauge stays in Effect's metric
 * registry for good, so a client that talks to many hosts tags the first ones it sees and counts the rest
 * only in `poolOrigins`.
 *
 * @since 0.2.0
 * @category metrics
 */
export const MAX_TAGGED_ORIGINS = 256

/**
 * What a pool tells its gauges: the origins it holds state for, and per origin its connections open or
 * opening, the idle ones, and the requests waiting.
 *
 * @since 0.4.0
 * @category metrics
 */
export interface PoolStats {
  readonly keys: () => ReadonlyArray<string>
  readonly stats: (origin: string) => { readonly open: number; readonly idle: number; readonly waiting: number }
}

/**
 * One sampling of a pool's gauges: `poolOrigins`, and `poolOpen`, `poolIdle` and `poolWaiting` tagged with
 * the origin for the first `MAX_TAGGED_ORIGINS` origins it has seen. This transport's pool holds every
 * connection, HTTP/1.1 and multiplexed alike, and samples it untagged; a transport with a pool of its own
 * samples it with `protocol`, which tags its `poolOrigins` apart so the two counts do not overwrite each other.
 *
 * @since 0.4.0
 * @category metrics
 */
export const sampleGauges = (pool: PoolStats, protocol?: string): Effect.Effect<void> => {
  const seen = new Set<string>()
  const origins = protocol === undefined ? poolOrigins : tagged(poolOrigins, { protocol })
  return Effect.suspend(() => {
    const keys = pool.keys()
    for (const origin of keys) if (seen.size < MAX_TAGGED_ORIGINS) seen.add(origin)
    return Effect.andThen(
      Metric.update(origins, keys.length),
      Effect.forEach(
        seen,
        (origin) => {
          const s = pool.stats(origin)
          return Effect.all([
            Metric.update(tagged(poolOpen, { origin }), s.open),
            Metric.update(tagged(poolIdle, { origin }), s.idle),
            Metric.update(tagged(poolWaiting, { origin }), s.waiting),
          ])
        },
        { discard: true },
      ),
    )
  })
}

/**
 * Builds the transport; its connections live in the scope it is built in. With a `multiplexer`, dials
 * offer its protocol too (HTTP/2 by ALPN), and a connection that negotiates it is shared by many requests
 * at once, in the same pool, under the same limits and deadlines.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  options: Options = {},
  multiplexer?: Multiplexer,
): Effect.Effect<TransportService, never, Connector | Scope.Scope> =>
  Effect.gen(function* () {
    const connector = yield* Connector
    const scope = yield* Effect.scope
    const limits: Limits = { ...Http1.defaultLimits, ...options.limits }
    const defaults = phaseDefaults(options)
    const timers = yield* driven
    const connections = new Connections(
      connector,
      scope,
      {
        maxConnectionsPerOrigin: options.maxConnectionsPerOrigin ?? defaultPool.maxConnectionsPerOrigin,
        maxRequestsPerConnection: options.maxRequestsPerConnection ?? defaultPool.maxRequestsPerConnection,
        idleTimeoutMillis: options.idleTimeoutMillis ?? defaultPool.idleTimeoutMillis,
        maxIdleTimeoutMillis: options.maxIdleTimeoutMillis ?? defaultPool.maxIdleTimeoutMillis,
        keepAliveMarginMillis: options.keepAliveMarginMillis ?? defaultPool.keepAliveMarginMillis,
        pipelining: Math.max(1, Math.floor(options.pipelining ?? defaultPool.pipelining)),
      },
      timers,
      multiplexer,
    )
    const pool = connections.pool
    const engine: Engine = { pool, limits, timers }
    // Every second: idle sockets past their deadline are closed, so servers see them go, and the pool's
    // gauges are set. Metrics are sampled here rather than on each request, which pays nothing for them.
    const gauges = sampleGauges(pool)
    yield* Effect.forkScoped(Effect.repeat(Effect.andThen(connections.sweep, gauges), Schedule.spaced("1 second")))

    const dispatcher = new Dispatcher({
      connections,
      engine,
      defaults,
      route: proxyRouter(options.proxy),
      pipelining: options.pipelining !== undefined && options.pipelining >= 2,
      multiplexer,
    })
    return { send: dispatcher.send, fetch: dispatcher.fetch, pin: dispatcher.pin }
  })

/**
 * The transport as a Layer over a Connector.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: Options = {}): Layer.Layer<Transport, never, Connector> =>
  layerScoped(Transport, make(options))
