/**
 * A pinned transport: one connection, opened on the first request, carries every request to its origin in
 * turn (a semaphore keeps them in order); a connection the server closes is replaced on the next request.
 * Its responses are read whole, since the next request needs the connection. At the end of the scope the
 * connection goes back to the pool. Requests to another origin are not pinned: they take the pool as usual,
 * and so do all of them once the origin answers on a multiplexed connection (HTTP/2), whose streams every
 * request shares anyway.
 * @internal
 */
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import type { ConnectError } from "../../Connector.js"
import type { HttpError } from "../../HttpError.js"
import type { Service as TransportService } from "../../Transport.js"
import type * as Url from "../../Url.js"
import { type Engine, Exchange } from "../engine/exchange.js"
import type { Ask, Lease } from "../engine/pool.js"
import type { Prepared } from "../engine/prepare.js"
import { Result } from "../shared/edition.js"
import { makeSemaphore } from "../shared/edition-effect.js"
import type { Connections, WaitTimeout } from "./connections.js"
import { run } from "./run.js"

/** What a pinned transport borrows from the transport that pins it. */
export interface Pinning {
  readonly connections: Connections
  readonly engine: Engine
  readonly origin: Url.Origin
  /** The transport's own fetch, for requests to other origins. */
  readonly fetch: TransportService["fetch"]
  readonly start: (...args: Parameters<TransportService["fetch"]>) => Result<Prepared, HttpError>
  readonly askOf: (p: Prepared, pipelinable: boolean, fresh: boolean) => Ask
  readonly connectFailed: (p: Prepared) => (e: ConnectError | WaitTimeout) => HttpError
}

type Restore = <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>

const noRetry = () => undefined

export const pinned = (pinning: Pinning): Effect.Effect<TransportService, never, Scope.Scope> =>
  Effect.gen(function* () {
    const { connections, origin } = pinning
    const pool = connections.pool
    const turn = yield* makeSemaphore(1)
    let held: Lease | undefined
    let used = 0
    /** The origin speaks a multiplexed protocol: nothing to pin. */
    let shared = false
    // Exchanges give their lease back here: the held connection stays, unless it may not be reused.
    const holder: Engine["pool"] = {
      release: (lease, fate) => {
        lease.active = false
        if (fate === "reuse" || held === undefined) return undefined
        const dead = held
        held = undefined
        return pool.release(dead, "destroy")
      },
    }
    const engine: Engine = { ...pinning.engine, pool: holder }
    /** The pinned connection's lease; undefined when the origin's connection is multiplexed. */
    const lease = (p: Prepared, restore: Restore): Effect.Effect<Lease | undefined, HttpError> => {
      if (held !== undefined) {
        used++
        return Effect.succeed({ conn: held.conn, reused: true, active: true, pinned: true })
      }
      const target = p.via.origin
      // An origin known to speak a multiplexed protocol needs no connection of its own: its streams are shared.
      if (pool.multiplexed(target.key) === true) {
        shared = true
        return Effect.succeed(undefined)
      }
      const ask = pinning.askOf(p, false, true)
      return Effect.map(Effect.mapError(connections.acquire(target, ask, restore), pinning.connectFailed(p)), (l) => {
        if (l.conn.mux !== undefined) {
          shared = true
          pool.release(l, "reuse")
          return undefined
        }
        held = l
        used = 1
        return { conn: l.conn, reused: false, active: true, pinned: true }
      })
    }
    const fetch: TransportService["fetch"] = (request, url) =>
      url.origin.key !== origin.key || shared
        ? pinning.fetch(request, url)
        : turn.withPermits(1)(
            Effect.uninterruptibleMask((restore) => {
              const prepared = pinning.start(request, url)
              if (Result.isFailure(prepared)) return Effect.fail(Result.failure(prepared))
              const p = Result.success(prepared)
              return Effect.flatMap(lease(p, restore), (l) =>
                l === undefined
                  ? restore(pinning.fetch(request, url))
                  : restore(run(new Exchange(l, p, engine, "buffered"), noRetry)),
              )
            }),
          )
    yield* Effect.addFinalizer(() =>
      Effect.suspend(() =>
        held === undefined ? Effect.void : (pool.release(held, used > 0 ? "reuse" : "destroy") ?? Effect.void),
      ),
    )
    return { send: fetch, fetch }
  })
