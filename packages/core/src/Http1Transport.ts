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
import type * as Scope from "effect/Scope"
import { Connector } from "./Connector.js"
import type { Limits } from "./Http1.js"
import * as Http1 from "./Http1.js"
import { HTTPConnectionError, type HttpError, Timeout } from "./HttpError.js"
import { exchange, type Prepared, prepare } from "./internal/exchange.js"
import * as Pool from "./internal/pool.js"
import { info as requestInfo } from "./Request.js"
import type { Response } from "./Response.js"
import { Transport, type Service as TransportService } from "./Transport.js"

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
   * Give up connecting after this many milliseconds.
   * @default 30000
   */
  readonly connectTimeoutMillis?: number
  /** Decoder limits; see the `Http1` module for each default. */
  readonly limits?: Partial<Limits>
}

/**
 * Builds the transport; its connections live in the scope it is built in.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: Options = {}) =>
  Effect.gen(function* () {
    const connector = yield* Connector
    const scope = yield* Effect.scope
    const limits: Limits = { ...Http1.defaultLimits, ...options.limits }
    const connectTimeout = options.connectTimeoutMillis ?? 30_000
    const pool = Pool.make(connector, scope, {
      // 64: enough for heavy fan-out to one host while bounding sockets; undici's Pool is unbounded by default,
      // browsers use 6. Raise it for load tests.
      maxConnectionsPerOrigin: options.maxConnectionsPerOrigin ?? 64,
      maxRequestsPerConnection: options.maxRequestsPerConnection ?? Number.POSITIVE_INFINITY,
      connect: { timeoutMillis: connectTimeout },
    })

    const attempt = (
      p: Prepared,
      fresh: boolean,
      restore: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>,
    ): Effect.Effect<Response, HttpError, Scope.Scope> =>
      Effect.flatMap(
        Effect.mapError(
          pool.acquire(p.url.origin, fresh, restore),
          (e): HttpError =>
            e.timeout === true
              ? new Timeout({ request: p.info, phase: "connect", millis: connectTimeout })
              : new HTTPConnectionError({
                  request: p.info,
                  host: p.url.origin.host,
                  port: p.url.origin.port,
                  code: e.code,
                  reason: e.reason,
                }),
        ),
        (lease) =>
          restore(exchange(lease, p, pool, limits)).pipe(
            Effect.tapErrorCause(() => pool.release(lease, false)),
            // A body still on the wire holds the connection: if the scope closes first, destroy it.
            Effect.tap(() => (lease.active ? Effect.addFinalizer(() => pool.release(lease, false)) : Effect.void)),
            Effect.catchAll(({ error, retryable }) => {
              const deadSocket = error._tag === "IOError" || (error._tag === "BadStatusLine" && error.line === "")
              return lease.reused && !fresh && retryable && p.replayable && deadSocket
                ? attempt(p, true, restore)
                : Effect.fail(error)
            }),
          ),
      )

    const send: TransportService["send"] = (request, url) =>
      Effect.uninterruptibleMask((restore) => {
        const prepared = prepare(request, url, requestInfo(request))
        return Either.isLeft(prepared) ? Effect.fail(prepared.left) : attempt(prepared.right, false, restore)
      })

    return Transport.of({ send })
  })

/**
 * The transport as a Layer over a Connector.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: Options = {}): Layer.Layer<Transport, never, Connector> =>
  Layer.scoped(Transport, make(options))
