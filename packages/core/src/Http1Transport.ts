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
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Metric from "effect/Metric"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import type * as Scope from "effect/Scope"
import { type ConnectError, type ConnectOptions, Connector } from "./Connector.js"
import type { Limits } from "./Http1.js"
import * as Http1 from "./Http1.js"
import { HTTPConnectionError, type HttpError, Timeout } from "./HttpError.js"
import { type Engine, Wire } from "./internal/engine/exchange.js"
import * as Pool from "./internal/engine/pool.js"
import { millisOf, type PhaseTimeouts, type Prepared, prepare } from "./internal/engine/prepare.js"
import { type ProxyOptions as InternalProxyOptions, router as proxyRouter } from "./internal/engine/proxy.js"
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

type Restore = <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>

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
      clock,
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

    /** A socket that died while idle shows as a reset or a close before any byte of the response. */
    const deadSocket = (wire: Wire, error: HttpError): boolean =>
      !wire.gotBytes && (error._tag === "IOError" || (error._tag === "BadStatusLine" && error.line === ""))

    /**
     * Runs one exchange on a lease. Called inside the caller's uninterruptible region, so one
     * matchCauseEffect does what onExit and catchAll would (each with a mask of its own): on any failure or
     * interruption the connection is destroyed, and a dead reused socket is retried once on a fresh one,
     * as is a request refused by a failed pipeline.
     */
    const exchange = (
      p: Prepared,
      lease: Pool.Lease,
      fresh: boolean,
      restore: Restore,
      buffered: boolean,
    ): Effect.Effect<Response, HttpError> => {
      const wire = new Wire(lease, p, engine, buffered)
      return Effect.matchCauseEffect(restore(wire.run()), {
        onFailure: (cause) => {
          const closing = wire.abandon()
          const error = Cause.failureOption(cause)
          const next: Effect.Effect<Response, HttpError> =
            !fresh &&
            p.replayable &&
            Option.isSome(error) &&
            !Cause.isInterrupted(cause) &&
            (wire.refused || (lease.reused && deadSocket(wire, error.value)))
              ? attempt(p, true, restore, buffered)
              : Effect.failCause(cause)
          return closing === undefined ? next : Effect.zipRight(closing, next)
        },
        onSuccess: Effect.succeed,
      })
    }

    const route = proxyRouter(options.proxy)

    /** Whether a request read whole may be pipelined: idempotent, no body, no `Connection: close`. */
    const mayPipeline = (p: Prepared): boolean =>
      p.replayable && !p.close && p.body._tag === "Fixed" && p.body.bytes.length === 0

    /** Whether a buffered request can take the fast path (see `fetchPushed`). */
    const pushable = (p: Prepared): boolean => p.onInformational === undefined && p.whole

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

    const attempt = (
      p: Prepared,
      fresh: boolean,
      restore: Restore,
      buffered: boolean,
    ): Effect.Effect<Response, HttpError> => {
      const [origin, connect] = connectTo(p)
      const pipelinable = pipelining && buffered && mayPipeline(p)
      const lease = pool.acquire(origin, { fresh, restore, connect, pipelinable, waitMillis: p.timeouts.acquire })
      return Effect.isEffect(lease)
        ? Effect.flatMap(Effect.mapError(lease, connectFailed(p)), (l) => exchange(p, l, fresh, restore, buffered))
        : exchange(p, lease, fresh, restore, buffered)
    }

    const start = (request: Parameters<TransportService["send"]>[0], url: Parameters<TransportService["send"]>[1]) => {
      const r = route(url.origin)
      return prepare(request, url, requestInfo(request), defaults, r._tag === "Forward" ? r.proxy : undefined)
    }

    /** The general path of a buffered request: the exchange as Effects, in an uninterruptible region. */
    const fetchEffect = (p: Prepared) => Effect.uninterruptibleMask((restore) => attempt(p, false, restore, true))

    /**
     * The fast path of a buffered request: one `Effect.async` for the whole exchange, driven by the
     * socket's callbacks (`Wire.push`). A request that finds no idle connection waits in the pool's line as
     * a callback, and its request is written the moment a connection is handed to it, without waking its
     * fiber; with pipelining it may join a busy connection the same way. Whatever needs Effects
     * (connecting, a retry on a fresh connection, a socket without the push form) continues on the general
     * path. `pending` is what the canceller runs if the fiber is
     * interrupted: leaving the line, destroying the connection mid-exchange, or giving back a slot.
     */
    const fetchPushed = (p: Prepared, pipelinable: boolean): Effect.Effect<Response, HttpError> =>
      Effect.async<Response, HttpError>((resume) => {
        const [origin, connect] = connectTo(p)
        let pending: Effect.Effect<void> | undefined
        const general = (run: (restore: Restore) => Effect.Effect<Response, HttpError>) =>
          Effect.uninterruptibleMask((restore) =>
            Effect.suspend(() => {
              pending = undefined
              return run(restore)
            }),
          )
        const then = (closing: Effect.Effect<void> | undefined, next: Effect.Effect<Response, HttpError>) => {
          pending = closing
          resume(closing === undefined ? next : Effect.zipRight(closing, next))
        }
        const start = (lease: Pool.Lease) => {
          const wire = new Wire(lease, p, engine, true)
          const socket = lease.conn.socket
          pending = Effect.suspend(() => wire.abandon() ?? Effect.void)
          if (socket.send === undefined || socket.listen === undefined) {
            return resume(general((restore) => exchange(p, lease, false, restore, true)))
          }
          wire.push({ send: socket.send, listen: socket.listen }, (outcome, closing) => {
            if (Either.isRight(outcome)) return then(closing, Effect.succeed(outcome.right))
            const retry = p.replayable && (wire.refused || (lease.reused && deadSocket(wire, outcome.left)))
            then(closing, retry ? general((restore) => attempt(p, true, restore, true)) : Effect.fail(outcome.left))
          })
        }
        const idle = pool.take(origin, pipelinable)
        if (idle !== undefined) start(idle)
        else {
          const waitMillis = p.timeouts.acquire
          const granted = (grant: Pool.Grant) => {
            if (grant !== "connect") return start(grant)
            pending = Effect.sync(() => pool.freeSlot(origin))
            resume(
              general((restore) =>
                Effect.flatMap(
                  Effect.mapError(
                    pool.openGranted(origin, { fresh: false, restore, connect, pipelinable, waitMillis }),
                    connectFailed(p),
                  ),
                  (l) => exchange(p, l, false, restore, true),
                ),
              ),
            )
          }
          const timedOut = () => {
            pending = undefined
            resume(Effect.fail(connectFailed(p)(new Pool.WaitTimeout({ millis: waitMillis }))))
          }
          const waiter = pool.enqueue(origin, pipelinable, waitMillis, granted, timedOut)
          if (waiter === undefined) return resume(fetchEffect(p))
          pending = Effect.sync(() => pool.dequeue(origin, waiter))
        }
        return Effect.suspend(() => pending ?? Effect.void)
      })

    const fetch: TransportService["fetch"] = (request, url) =>
      Effect.suspend(() => {
        const prepared = start(request, url)
        if (Either.isLeft(prepared)) return Effect.fail(prepared.left)
        const p = prepared.right
        return pushable(p) ? fetchPushed(p, pipelining && mayPipeline(p)) : fetchEffect(p)
      })

    const send: TransportService["send"] = (request, url) =>
      Effect.uninterruptibleMask((restore) => {
        const prepared = start(request, url)
        if (Either.isLeft(prepared)) return Effect.fail(prepared.left)
        return Effect.tap(attempt(prepared.right, false, restore, false), (response) => {
          const body = response.body
          // A body still on the wire holds its connection: if the scope closes first, destroy it.
          return body instanceof Wire && body.lease.active
            ? Effect.addFinalizer(() => body.abandon() ?? Effect.void)
            : Effect.void
        })
      })

    /**
     * A pinned transport: one connection, opened on the first request, carries every request in turn (a
     * semaphore keeps them in order); a connection the server closes is replaced on the next request. Its
     * responses are read whole, since the next request needs the connection. At the end of the scope the
     * connection goes back to the pool.
     */
    const pin = (origin: Url.Origin): Effect.Effect<TransportService, never, Scope.Scope> =>
      Effect.gen(function* () {
        const turn = yield* Effect.makeSemaphore(1)
        let held: Pool.Lease | undefined
        let used = 0
        const holder: Pick<Pool.Pool, "release"> = {
          release: (lease, reusable) => {
            lease.active = false
            if (reusable || held === undefined) return undefined
            const dead = held
            held = undefined
            return pool.release(dead, false)
          },
        }
        const lease = (p: Prepared, restore: Restore): Effect.Effect<Pool.Lease, HttpError> => {
          if (held !== undefined) {
            used++
            return Effect.succeed({ conn: held.conn, reused: true, active: true, pinned: true })
          }
          const [target, connect] = connectTo(p)
          const ask = { fresh: true, restore, connect, pipelinable: false, waitMillis: p.timeouts.acquire }
          const opening = pool.acquire(target, ask)
          return Effect.map(
            Effect.mapError(Effect.isEffect(opening) ? opening : Effect.succeed(opening), connectFailed(p)),
            (l) => {
              held = l
              used = 1
              return { conn: l.conn, reused: false, active: true, pinned: true }
            },
          )
        }
        // Requests to another origin are not pinned: they take the pool as usual.
        const run: TransportService["fetch"] = (request, url) =>
          url.origin.key !== origin.key
            ? fetch(request, url)
            : turn.withPermits(1)(
                Effect.uninterruptibleMask((restore) => {
                  const prepared = start(request, url)
                  if (Either.isLeft(prepared)) return Effect.fail(prepared.left)
                  const p = prepared.right
                  return Effect.flatMap(lease(p, restore), (l) => {
                    const wire = new Wire(l, p, { ...engine, pool: holder }, true)
                    return restore(wire.run()).pipe(
                      Effect.onExit((exit) => (Exit.isSuccess(exit) ? Effect.void : (wire.abandon() ?? Effect.void))),
                    )
                  })
                }),
              )
        yield* Effect.addFinalizer(() =>
          Effect.suspend(() => (held === undefined ? Effect.void : (pool.release(held, used > 0) ?? Effect.void))),
        )
        return Transport.of({ send: run, fetch: run })
      })

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
