/**
 * The pool's Effect binding: dialling a connection (the Connector's Effect, then the Multiplexer's when the
 * socket negotiated a multiplexed protocol) in a scope of its own within the connect deadline, the Effect
 * form `acquire` (for callers in a fiber), closing a connection, and the sweep of idle connections past
 * their deadline. The pool itself (pool.ts) runs no Effect.
 * @internal
 */
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as Scope from "effect/Scope"
import { ConnectError, type Service as ConnectorService, type Socket } from "../../Connector.js"
import type { Deadlines } from "../../Deadlines.js"
import type { Connection as Multiplexed, Multiplexer } from "../../Multiplex.js"
import type { Origin } from "../../Url.js"
import * as Pool from "../engine/pool.js"
import { deadlinesOf, type Timers } from "../engine/timers.js"
import { callback, failureOf, forkScope, inScope, timeoutFail } from "../shared/edition-effect.js"

/** Waiting for a free connection took longer than the request's `acquire` deadline. */
export class WaitTimeout extends Data.TaggedError("WaitTimeout")<{ readonly millis: number }> {}

type Restore = <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>

/** Closes a connection: its scope, and the socket with it. */
const close = (conn: Pool.Conn): Effect.Effect<void> => Scope.close(conn.scope, Exit.void)

/** A socket just dialled, and the multiplexed connection over it when it negotiated one. */
type Dialled = readonly [Socket, Multiplexed | undefined]

export class Connections {
  readonly pool: Pool.Pool
  /** The transport's timer heap, as a multiplexed connection's deadlines. */
  private readonly deadlines: Deadlines

  constructor(
    private readonly connector: ConnectorService,
    /** The scope every connection's own scope is forked from. */
    private readonly scope: Scope.Scope,
    options: Pool.PoolOptions,
    timers: Timers,
    /** Turns a socket that negotiated a multiplexed protocol into a shared connection. */
    private readonly multiplexer: Multiplexer | undefined,
  ) {
    this.pool = Pool.make(options, timers, close)
    this.deadlines = deadlinesOf(timers)
  }

  /**
   * The Connector's dial, and the multiplexed connection over its socket when it negotiated one, within
   * the connect deadline. `changed` is the pool's, once the connection is in it.
   */
  private dial(origin: Origin, ask: Pool.Ask, changed: () => void): Effect.Effect<Dialled, ConnectError, Scope.Scope> {
    const socket = this.connector.connect(origin, ask.connect)
    const m = this.multiplexer
    const opening: Effect.Effect<Dialled, ConnectError, Scope.Scope> =
      m === undefined || !ask.multiplexable
        ? Effect.map(socket, (s) => [s, undefined] as const)
        : Effect.flatMap(socket, (s) =>
            Effect.map(m.open(s, origin, changed, this.deadlines), (mux) => [s, mux] as const),
          )
    const millis = ask.connect.timeoutMillis
    if (millis === undefined || millis === Number.POSITIVE_INFINITY) return opening
    return timeoutFail(
      opening,
      millis,
      () => new ConnectError({ code: "ETIMEDOUT", reason: `no connection in ${millis} ms`, timeout: true }),
    )
  }

  /**
   * Opens a connection in a slot granted by `request`; the dial is interruptible through `restore`, and a
   * dial that fails or is interrupted gives the slot back. Undefined: the connection is multiplexed and
   * has no room for the request yet (its peer grants no stream), which waits in line again.
   */
  open(origin: Origin, ask: Pool.Ask, restore: Restore): Effect.Effect<Pool.Lease | undefined, ConnectError> {
    return Effect.uninterruptibleMask((mask) =>
      Effect.flatMap(forkScope(this.scope), (connScope) => {
        let conn: Pool.Conn | undefined
        const changed = () => {
          if (conn !== undefined) this.pool.changed(conn)
        }
        return mask(restore(inScope(this.dial(origin, ask, changed), connScope))).pipe(
          Effect.onExit((exit) =>
            Exit.isSuccess(exit)
              ? Effect.void
              : Effect.andThen(
                  Scope.close(connScope, Exit.void),
                  Effect.sync(() => this.pool.freeSlot(origin, Option.getOrUndefined(failureOf(exit.cause)))),
                ),
          ),
          Effect.map(([socket, mux]) => {
            const admitted = this.pool.admit(origin, socket, connScope, ask, mux)
            conn = admitted.conn
            return admitted.lease
          }),
        )
      }),
    )
  }

  /** Gives back a grant that arrived for a caller interrupted before it could use it. */
  private giveBack(origin: Origin, grant: Pool.Grant): Effect.Effect<void> {
    switch (grant._tag) {
      case "Slot":
        return Effect.sync(() => this.pool.freeSlot(origin))
      case "Lease":
        return Effect.suspend(() => this.pool.release(grant.lease, "destroy") ?? Effect.void)
      case "Failed":
        return Effect.void
    }
  }

  /** `request`, then `open` for a slot, as an Effect: for callers in a fiber (the pinned transport). */
  acquire(origin: Origin, ask: Pool.Ask, restore: Restore): Effect.Effect<Pool.Lease, ConnectError | WaitTimeout> {
    return Effect.suspend(() => {
      let unused: Pool.Grant | undefined
      const wait = callback<Pool.Grant, WaitTimeout>((resume) => {
        const granted = (grant: Pool.Grant) => {
          unused = grant
          resume(Effect.succeed(grant))
        }
        const timedOut = () => resume(Effect.fail(new WaitTimeout({ millis: ask.waitMillis })))
        const waiting = this.pool.request(origin, ask, granted, timedOut)
        return waiting === undefined ? undefined : Effect.sync(() => this.pool.cancel(origin, waiting))
      })
      return restore(wait).pipe(
        Effect.onInterrupt(() => (unused === undefined ? Effect.void : this.giveBack(origin, unused))),
        Effect.flatMap((grant): Effect.Effect<Pool.Lease, ConnectError | WaitTimeout> => {
          unused = undefined
          if (grant._tag === "Lease") return Effect.succeed(grant.lease)
          if (grant._tag === "Failed") return Effect.fail(grant.error)
          return Effect.flatMap(this.open(origin, ask, restore), (lease) =>
            lease === undefined ? this.acquire(origin, ask, restore) : Effect.succeed(lease),
          )
        }),
      )
    })
  }

  /** Closes the idle connections past their deadline, so servers see them go. */
  readonly sweep: Effect.Effect<void> = Effect.suspend(() => {
    const expired = this.pool.expire()
    return expired.length === 0 ? Effect.void : Effect.forEach(expired, close, { discard: true })
  })
}
