/**
 * The pool's Effect binding: dialling a connection (the Connector's Effect) in a scope of its own within
 * the connect deadline, the Effect form `acquire` (for callers in a fiber), closing a connection, and the
 * sweep of idle connections past their deadline. The pool itself (pool.ts) runs no Effect.
 * @internal
 */
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as ExecutionStrategy from "effect/ExecutionStrategy"
import * as Exit from "effect/Exit"
import * as Scope from "effect/Scope"
import { ConnectError, type ConnectOptions, type Service as ConnectorService } from "../../Connector.js"
import type { Origin } from "../../Url.js"
import * as Pool from "./pool.js"
import type { Timers } from "./timers.js"

/** Waiting for a free connection took longer than the request's `acquire` deadline. */
export class WaitTimeout extends Data.TaggedError("WaitTimeout")<{ readonly millis: number }> {}

type Restore = <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>

/** Closes a connection: its scope, and the socket with it. */
const close = (conn: Pool.Conn): Effect.Effect<void> => Scope.close(conn.scope, Exit.void)

export class Connections {
  readonly pool: Pool.Pool

  constructor(
    private readonly connector: ConnectorService,
    /** The scope every connection's own scope is forked from. */
    private readonly scope: Scope.Scope,
    options: Pool.PoolOptions,
    timers: Timers,
  ) {
    this.pool = Pool.make(options, timers, close)
  }

  /** The Connector's dial, within the connect deadline. */
  private dial(origin: Origin, connect: ConnectOptions) {
    const opening = this.connector.connect(origin, connect)
    const millis = connect.timeoutMillis
    if (millis === undefined || millis === Number.POSITIVE_INFINITY) return opening
    return Effect.timeoutFail(opening, {
      duration: millis,
      onTimeout: () => new ConnectError({ code: "ETIMEDOUT", reason: `no connection in ${millis} ms`, timeout: true }),
    })
  }

  /**
   * Opens a connection in a slot granted by `request`; the dial is interruptible through `restore`, and a
   * dial that fails or is interrupted gives the slot back.
   */
  open(origin: Origin, ask: Pool.Ask, restore: Restore): Effect.Effect<Pool.Lease, ConnectError> {
    return Effect.uninterruptibleMask((mask) =>
      Effect.flatMap(Scope.fork(this.scope, ExecutionStrategy.sequential), (connScope) =>
        mask(restore(Scope.extend(this.dial(origin, ask.connect), connScope))).pipe(
          Effect.onExit((exit) =>
            Exit.isSuccess(exit)
              ? Effect.void
              : Effect.zipRight(
                  Scope.close(connScope, Exit.void),
                  Effect.sync(() => this.pool.freeSlot(origin)),
                ),
          ),
          Effect.map((socket) => this.pool.admit(origin, socket, connScope, ask)),
        ),
      ),
    )
  }

  /** Gives back a grant that arrived for a caller interrupted before it could use it. */
  private giveBack(origin: Origin, grant: Pool.Grant): Effect.Effect<void> {
    return grant._tag === "Slot"
      ? Effect.sync(() => this.pool.freeSlot(origin))
      : Effect.suspend(() => this.pool.release(grant.lease, "destroy") ?? Effect.void)
  }

  /** `request`, then `open` for a slot, as an Effect: for callers in a fiber (the pinned transport). */
  acquire(origin: Origin, ask: Pool.Ask, restore: Restore): Effect.Effect<Pool.Lease, ConnectError | WaitTimeout> {
    return Effect.suspend(() => {
      let unused: Pool.Grant | undefined
      const wait = Effect.async<Pool.Grant, WaitTimeout>((resume) => {
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
        Effect.flatMap((grant) => {
          unused = undefined
          return grant._tag === "Lease" ? Effect.succeed(grant.lease) : this.open(origin, ask, restore)
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
