/**
 * The connection pool: per origin, a stack of idle connections, a count of open ones, and a queue of
 * waiters when the per-origin limit is reached. Every connection lives in its own Scope, forked from the
 * pool's, so closing the pool's scope closes every socket. A connection goes back to the idle stack only
 * when the transport says its last response ended cleanly; otherwise it is destroyed and its slot passed
 * to the next waiter.
 * @internal
 */
import * as Effect from "effect/Effect"
import * as ExecutionStrategy from "effect/ExecutionStrategy"
import * as Exit from "effect/Exit"
import * as Scope from "effect/Scope"
import type { ConnectError, ConnectOptions, Service as ConnectorService, Socket } from "../Connector.js"
import type { Origin } from "../Url.js"

export interface PoolOptions {
  readonly maxConnectionsPerOrigin: number
  readonly maxRequestsPerConnection: number
  readonly connect: ConnectOptions
}

export interface Conn {
  readonly socket: Socket
  readonly scope: Scope.CloseableScope
  readonly key: string
  requests: number
}

/** A connection held by one request. `reused` says whether it served an earlier request. */
export interface Lease {
  readonly conn: Conn
  readonly reused: boolean
  /** False once the lease has been released or discarded: later calls are no-ops. */
  active: boolean
}

type Grant = Conn | "connect"

interface OriginPool {
  readonly idle: Array<Conn>
  readonly waiters: Array<(grant: Grant) => void>
  /** Connections open or opening, idle included. */
  open: number
}

export interface Pool {
  /**
   * A connection for `origin`; with `fresh`, never an idle one. A healthy idle connection comes back at
   * once, as a plain Lease (the hot path); otherwise an Effect that connects or waits, interruptibly
   * through `restore`.
   */
  readonly acquire: (
    origin: Origin,
    fresh: boolean,
    restore: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>,
  ) => Lease | Effect.Effect<Lease, ConnectError>
  /**
   * Gives the connection back for reuse when `reusable`, destroys it otherwise. Returns the Effect that
   * closes it, or undefined when there is nothing to wait for.
   */
  readonly release: (lease: Lease, reusable: boolean) => Effect.Effect<void> | undefined
  /** Counts per origin, for tests and metrics. */
  readonly stats: (key: string) => { readonly open: number; readonly idle: number; readonly waiting: number }
}

export const make = (connector: ConnectorService, scope: Scope.Scope, options: PoolOptions): Pool => {
  const origins = new Map<string, OriginPool>()
  const poolFor = (key: string): OriginPool => {
    let p = origins.get(key)
    if (p === undefined) {
      p = { idle: [], waiters: [], open: 0 }
      origins.set(key, p)
    }
    return p
  }

  const close = (conn: Conn): Effect.Effect<void> => Scope.close(conn.scope, Exit.void)

  /** Frees a slot: the next waiter may open a connection in it. */
  const freeSlot = (p: OriginPool): void => {
    p.open--
    const next = p.waiters.shift()
    if (next !== undefined) {
      p.open++
      next("connect")
    }
  }

  const connect = (
    origin: Origin,
    p: OriginPool,
    restore: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>,
  ): Effect.Effect<Lease, ConnectError> =>
    Effect.flatMap(Scope.fork(scope, ExecutionStrategy.sequential), (connScope) =>
      restore(Scope.extend(connector.connect(origin, options.connect), connScope)).pipe(
        Effect.onExit((exit) =>
          Exit.isSuccess(exit)
            ? Effect.void
            : Effect.zipRight(
                Scope.close(connScope, Exit.void),
                Effect.sync(() => freeSlot(p)),
              ),
        ),
        Effect.map(
          (socket): Lease => ({
            conn: { socket, scope: connScope, key: origin.key, requests: 0 },
            reused: false,
            active: true,
          }),
        ),
      ),
    )

  const acquire: Pool["acquire"] = (origin, fresh, restore) => {
    const p = poolFor(origin.key)
    const stale: Array<Conn> = []
    let found: Conn | undefined
    while (!fresh && found === undefined && p.idle.length > 0) {
      const conn = p.idle.pop() as Conn
      if (conn.socket.reusable()) found = conn
      else {
        p.open--
        stale.push(conn)
      }
    }
    if (found !== undefined && stale.length === 0) return { conn: found, reused: true, active: true }
    return Effect.suspend(() => {
      const cleanup = stale.length === 0 ? Effect.void : Effect.forEach(stale, close, { discard: true })
      if (found !== undefined) return Effect.as(cleanup, { conn: found, reused: true, active: true })
      if (p.open < options.maxConnectionsPerOrigin) {
        p.open++
        return Effect.zipRight(cleanup, connect(origin, p, restore))
      }
      return Effect.zipRight(
        cleanup,
        Effect.flatMap(
          restore(
            Effect.async<Grant>((resume) => {
              const waiter = (grant: Grant) => resume(Effect.succeed(grant))
              p.waiters.push(waiter)
              return Effect.sync(() => {
                const i = p.waiters.indexOf(waiter)
                if (i !== -1) p.waiters.splice(i, 1)
              })
            }),
          ),
          (grant): Effect.Effect<Lease, ConnectError> =>
            grant === "connect"
              ? connect(origin, p, restore)
              : Effect.succeed({ conn: grant, reused: true, active: true }),
        ),
      )
    })
  }

  const release: Pool["release"] = (lease, reusable) => {
    if (!lease.active) return undefined
    lease.active = false
    const conn = lease.conn
    const p = poolFor(conn.key)
    conn.requests++
    if (reusable && conn.requests < options.maxRequestsPerConnection && conn.socket.reusable()) {
      const next = p.waiters.shift()
      if (next !== undefined) next(conn)
      else p.idle.push(conn)
      return undefined
    }
    freeSlot(p)
    return close(conn)
  }

  const stats: Pool["stats"] = (key) => {
    const p = origins.get(key)
    return p === undefined
      ? { open: 0, idle: 0, waiting: 0 }
      : { open: p.open, idle: p.idle.length, waiting: p.waiters.length }
  }

  return { acquire, release, stats }
}
