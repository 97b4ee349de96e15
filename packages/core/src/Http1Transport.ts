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
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Metric from "effect/Metric"
import * as Schedule from "effect/Schedule"
import type * as Scope from "effect/Scope"
import { type ConnectError, type ConnectOptions, Connector } from "./Connector.js"
import type { Limits } from "./Http1.js"
import * as Http1 from "./Http1.js"
import { HTTPConnectionError, type HttpError, Timeout } from "./HttpError.js"
import { type Engine, Exchange, type Mode } from "./internal/engine/exchange.js"
import { pinned } from "./internal/engine/pinned.js"
import * as Pool from "./internal/engine/pool.js"
import { millisOf, type PhaseTimeouts, type Prepared, prepare } from "./internal/engine/prepare.js"
import { type ProxyOptions as InternalProxyOptions, router as proxyRouter } from "./internal/engine/proxy.js"
import { abandon, concluded, run, Streamed } from "./internal/engine/run.js"
import { Timers } from "./internal/engine/timers.js"
import type * as Request from "./Request.js"
import { info as requestInfo } from "./Request.js"
import type { Response } from "./Response.js"
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
 * Builds the transport; its connections live in the scope it is built in.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: Options = {}): Effect.Effect<TransportService, never, Connector | Scope.Scope> =>
  Effect.gen(function* () {
    const connector = yield* Connector
    const scope = yield* Effect.scope
    const limits: Limits = { ...Http1.defaultLimits, ...options.limits }
    const t = options.timeouts ?? {}
    const defaults: PhaseTimeouts = {
      acquire: millisOf(t.acquire, defaultTimeouts.acquire),
      connect: millisOf(t.connect, options.connectTimeoutMillis ?? defaultTimeouts.connect),
      send: millisOf(t.send, defaultTimeouts.send),
      head: millisOf(t.head, defaultTimeouts.head),
      body: millisOf(t.body, defaultTimeouts.body),
    }
    const clock = yield* Effect.clock
    const timers = new Timers(clock)
    yield* Effect.forkScoped(timers.run)
    const pool = Pool.make(
      connector,
      scope,
      {
        // 64: enough for heavy fan-out to one host while bounding sockets; undici's Pool is unbounded by default,
        // browsers use 6. Raise it for load tests.
        maxConnectionsPerOrigin: options.maxConnectionsPerOrigin ?? 64,
        maxRequestsPerConnection: options.maxRequestsPerConnection ?? Number.POSITIVE_INFINITY,
        idleTimeoutMillis: options.idleTimeoutMillis ?? 4000,
        maxIdleTimeoutMillis: options.maxIdleTimeoutMillis ?? 600_000,
        keepAliveMarginMillis: options.keepAliveMarginMillis ?? 1000,
        pipelining: Math.max(1, Math.floor(options.pipelining ?? 1)),
      },
      timers,
    )
    const engine: Engine = { pool, limits, timers }
    const pipelining = options.pipelining !== undefined && options.pipelining >= 2
    // Every second: idle sockets past their deadline are closed, so servers see them go, and the pool's
    // gauges are set. Metrics are sampled here rather than on each request, which pays nothing for them.
    const tagged = new Set<string>()
    const gauges = Effect.suspend(() => {
      const keys = pool.keys()
      for (const origin of keys) if (tagged.size < MAX_TAGGED_ORIGINS) tagged.add(origin)
      return Effect.zipRight(
        Metric.set(poolOrigins, keys.length),
        Effect.forEach(
          tagged,
          (origin) => {
            const s = pool.stats(origin)
            return Effect.all([
              Metric.set(Metric.tagged(poolOpen, "origin", origin), s.open),
              Metric.set(Metric.tagged(poolIdle, "origin", origin), s.idle),
              Metric.set(Metric.tagged(poolWaiting, "origin", origin), s.waiting),
            ])
          },
          { discard: true },
        ),
      )
    })
    yield* Effect.forkScoped(Effect.repeat(Effect.zipRight(pool.sweep, gauges), Schedule.spaced("1 second")))

    const connectFailed =
      (p: Prepared) =>
      (e: ConnectError | Pool.WaitTimeout): HttpError =>
        e._tag === "WaitTimeout"
          ? new Timeout({ request: p.info, phase: "acquire", millis: e.millis })
          : e.timeout === true
            ? new Timeout({ request: p.info, phase: "connect", millis: p.timeouts.connect })
            : new HTTPConnectionError({
                request: p.info,
                host: p.url.origin.host,
                port: p.url.origin.port,
                code: e.code,
                reason: e.reason,
              })

    const route = proxyRouter(options.proxy)

    /** Whether a request read whole may be pipelined: idempotent, no body, no `Connection: close`. */
    const mayPipeline = (p: Prepared): boolean =>
      p.replayable && !p.close && p.body._tag === "Fixed" && p.body.bytes.length === 0

    /** Where a request connects: its origin, the proxy it is forwarded to, or its origin through a tunnel. */
    const connectTo = (p: Prepared): readonly [Url.Origin, ConnectOptions] => {
      const timeoutMillis = p.timeouts.connect
      const r = route(p.url.origin)
      if (r._tag === "Direct") return [p.url.origin, { timeoutMillis }]
      if (r._tag === "Forward") return [{ ...r.proxy.origin, key: `forward ${r.proxy.origin.key}` }, { timeoutMillis }]
      return [
        { ...p.url.origin, key: `${p.url.origin.key} via ${r.proxy.origin.key}` },
        { timeoutMillis, tunnel: { proxy: r.proxy.origin, authorization: r.proxy.authorization } },
      ]
    }

    /**
     * One attempt at a request: a connection from the pool, then the exchange on it. A request that finds a
     * connection, or gets one while it waits in line, runs as the socket's callbacks inside one
     * `Effect.async`, and its request is written the moment the connection is handed to it, without waking
     * its fiber. A granted slot is opened as an Effect (the Connector's), then the exchange runs the same
     * way. A dead reused socket, or a request a failed pipeline refused, is sent once more on a fresh
     * connection (`Exchange.retryable`). Interrupting the fiber leaves the line, gives back the slot, or
     * abandons the exchange, whichever it is at.
     */
    const attempt = (p: Prepared, mode: Mode, fresh: boolean): Effect.Effect<Response, HttpError> =>
      Effect.async<Response, HttpError>((resume) => {
        const [origin, connect] = connectTo(p)
        const pipelinable = pipelining && mode === "buffered" && mayPipeline(p)
        const ask: Pool.Ask = { fresh, connect, pipelinable, waitMillis: p.timeouts.acquire }
        const retry = fresh ? () => undefined : () => attempt(p, mode, true)
        let cancel: Effect.Effect<void> = Effect.void
        const granted = (grant: Pool.Grant): void => {
          if (grant._tag === "Lease") {
            const ex = new Exchange(grant.lease, p, engine, mode)
            cancel = abandon(ex)
            if (p.whole) ex.start((outcome) => resume(concluded(ex, outcome, retry)))
            else resume(run(ex, retry))
            return
          }
          cancel = Effect.sync(() => pool.freeSlot(origin))
          resume(
            Effect.uninterruptibleMask((restore) =>
              Effect.flatMap(Effect.mapError(pool.open(origin, ask, restore), connectFailed(p)), (lease) =>
                restore(run(new Exchange(lease, p, engine, mode), retry)),
              ),
            ),
          )
        }
        const timedOut = () => resume(Effect.fail(connectFailed(p)(new Pool.WaitTimeout({ millis: ask.waitMillis }))))
        const waiting = pool.request(origin, ask, granted, timedOut)
        if (waiting !== undefined) cancel = Effect.sync(() => pool.cancel(origin, waiting))
        return Effect.suspend(() => cancel)
      })

    const start = (request: Parameters<TransportService["send"]>[0], url: Parameters<TransportService["send"]>[1]) => {
      const r = route(url.origin)
      return prepare(request, url, requestInfo(request), defaults, r._tag === "Forward" ? r.proxy : undefined)
    }

    const fetch: TransportService["fetch"] = (request, url) =>
      Effect.suspend(() => {
        const prepared = start(request, url)
        return Either.isLeft(prepared) ? Effect.fail(prepared.left) : attempt(prepared.right, "buffered", false)
      })

    const send: TransportService["send"] = (request, url) =>
      Effect.uninterruptibleMask((restore) => {
        const prepared = start(request, url)
        if (Either.isLeft(prepared)) return Effect.fail(prepared.left)
        return Effect.tap(restore(attempt(prepared.right, "streaming", false)), (response) => {
          const body = response.body
          // A body still on the wire holds its connection: if the scope closes first, destroy it.
          return body instanceof Streamed && body.exchange.lease.active
            ? Effect.addFinalizer(() => abandon(body.exchange))
            : Effect.void
        })
      })

    const pin = (origin: Url.Origin) => pinned({ pool, engine, origin, fetch, start, connectTo, connectFailed })

    return Transport.of({ send, fetch, pin })
  })

/**
 * The transport as a Layer over a Connector.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: Options = {}): Layer.Layer<Transport, never, Connector> =>
  Layer.scoped(Transport, make(options))
