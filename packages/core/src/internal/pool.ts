/**
 * The connection pool: per origin, a stack of idle connections, a count of open ones, and a queue of
 * waiters when the per-origin limit is reached. Every connection lives in its own Scope, forked from the
 * pool's, so closing the pool's scope closes every socket. A connection goes back to the idle stack only
 * when the transport says its last response ended cleanly; otherwise it is destroyed and its slot passed
 * to the next waiter. Idle connections expire on the Effect Clock: after the default idle timeout, or the
 * server's `Keep-Alive: timeout=` hint less a margin, whichever the server asked for.
 * @internal
 */
import type * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as ExecutionStrategy from "effect/ExecutionStrategy"
import * as Exit from "effect/Exit"
import * as Scope from "effect/Scope"
import { ConnectError, type ConnectOptions, type Service as ConnectorService, type Socket } from "../Connector.js"
import type { Origin } from "../Url.js"

export interface PoolOptions {
  readonly maxConnectionsPerOrigin: number
  readonly maxRequestsPerConnection: number
  /** How long an idle connection is kept when the server gives no hint. */
  readonly idleTimeoutMillis: number
  /** The longest idle time a server's hint may ask for. */
  readonly maxIdleTimeoutMillis: number
  /** Taken off the server's hint, so that Courier closes first and never reuses a socket being closed. */
  readonly keepAliveMarginMillis: number
}

export interface Conn {
  readonly socket: Socket
  readonly scope: Scope.CloseableScope
  readonly key: string
  requests: number
  /** Clock time after which this idle connection may not be reused. */
  idleUntil: number
}

/** A connection held by one request. `reused` says whether it served an earlier request. */
export interface Lease {
  readonly conn: Conn
  readonly reused: boolean
  /** False once the lease has been released or discarded: later calls are no-ops. */
  active: boolean
  /** Held by a pinned client for a sequence of requests rather than by one request. */
  readonly pinned?: boolean
}

type Grant = Conn | "connect"
type Restore = <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>

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
    restore: Restore,
    connect: ConnectOptions,
  ) => Lease | Effect.Effect<Lease, ConnectError>
  /**
   * Gives the connection back for reuse when `reusable`, destroys it otherwise; `keepAliveHint` is the
   * server's `Keep-Alive: timeout=` in seconds. Returns the Effect that closes the connection, or
   * undefined when there is nothing to wait for.
   */
  readonly release: (lease: Lease, reusable: boolean, keepAliveHint?: number) => Effect.Effect<void> | undefined
  /** Closes idle connections past their deadline. */
  readonly sweep: Effect.Effect<void>
  /** Counts per origin, for tests and metrics. */
  readonly stats: (key: string) => { readonly open: number; readonly idle: number; readonly waiting: number }
  /** The origins the pool has seen. */
  readonly keys: () => ReadonlyArray<string>
}

export const make = (
  connector: ConnectorService,
  scope: Scope.Scope,
  clock: Clock.Clock,
  options: PoolOptions,
): Pool => {
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
  const closeAll = (conns: ReadonlyArray<Conn>) =>
    conns.length === 0 ? Effect.void : Effect.forEach(conns, close, { discard: true })

  /** Frees a slot: the next waiter may open a connection in it. */
  const freeSlot = (p: OriginPool): void => {
    p.open--
    const next = p.waiters.shift()
    if (next !== undefined) {
      p.open++
      next("connect")
    }
  }

  const open = (origin: Origin, p: OriginPool, restore: Restore, connect: ConnectOptions) => {
    const opening = connector.connect(origin, connect)
    const timed =
      connect.timeoutMillis === undefined
        ? opening
        : Effect.timeoutFail(opening, {
            duration: connect.timeoutMillis,
            onTimeout: () =>
              new ConnectError({
                code: "ETIMEDOUT",
                reason: `no connection in ${connect.timeoutMillis} ms`,
                timeout: true,
              }),
          })
    return Effect.flatMap(Scope.fork(scope, ExecutionStrategy.sequential), (connScope) =>
      restore(Scope.extend(timed, connScope)).pipe(
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
            conn: { socket, scope: connScope, key: origin.key, requests: 0, idleUntil: 0 },
            reused: false,
            active: true,
          }),
        ),
      ),
    )
  }

  const acquire: Pool["acquire"] = (origin, fresh, restore, connect) => {
    const p = poolFor(origin.key)
    const stale: Array<Conn> = []
    let found: Conn | undefined
    if (!fresh && p.idle.length > 0) {
      const now = clock.unsafeCurrentTimeMillis()
      while (found === undefined && p.idle.length > 0) {
        const conn = p.idle.pop() as Conn
        if (conn.idleUntil > now && conn.socket.reusable()) found = conn
        else {
          p.open--
          stale.push(conn)
        }
      }
    }
    if (found !== undefined && stale.length === 0) return { conn: found, reused: true, active: true }
    return Effect.suspend(() => {
      const cleanup = closeAll(stale)
      if (found !== undefined) return Effect.as(cleanup, { conn: found, reused: true, active: true })
      if (p.open < options.maxConnectionsPerOrigin) {
        p.open++
        return Effect.zipRight(cleanup, open(origin, p, restore, connect))
      }
      const wait = Effect.async<Grant>((resume) => {
        const waiter = (grant: Grant) => resume(Effect.succeed(grant))
        p.waiters.push(waiter)
        return Effect.sync(() => {
          const i = p.waiters.indexOf(waiter)
          if (i !== -1) p.waiters.splice(i, 1)
        })
      })
      return Effect.zipRight(
        cleanup,
        Effect.flatMap(
          restore(wait),
          (grant): Effect.Effect<Lease, ConnectError> =>
            grant === "connect"
              ? open(origin, p, restore, connect)
              : Effect.succeed({ conn: grant, reused: true, active: true }),
        ),
      )
    })
  }

  /** How long a connection may stay idle: the server's hint less the margin, capped, or the default. */
  const idleFor = (hintSeconds: number | undefined): number =>
    hintSeconds === undefined
      ? options.idleTimeoutMillis
      : Math.min(options.maxIdleTimeoutMillis, hintSeconds * 1000 - options.keepAliveMarginMillis)

  const release: Pool["release"] = (lease, reusable, keepAliveHint) => {
    if (!lease.active) return undefined
    lease.active = false
    const conn = lease.conn
    const p = poolFor(conn.key)
    conn.requests++
    const idle = idleFor(keepAliveHint)
    if (reusable && idle > 0 && conn.requests < options.maxRequestsPerConnection && conn.socket.reusable()) {
      const next = p.waiters.shift()
      if (next !== undefined) next(conn)
      else {
        conn.idleUntil = clock.unsafeCurrentTimeMillis() + idle
        p.idle.push(conn)
      }
      return undefined
    }
    freeSlot(p)
    return close(conn)
  }

  const sweep: Pool["sweep"] = Effect.suspend(() => {
    const now = clock.unsafeCurrentTimeMillis()
    const expired: Array<Conn> = []
    for (const p of origins.values()) {
      for (let i = p.idle.length - 1; i >= 0; i--) {
        const conn = p.idle[i] as Conn
        if (conn.idleUntil <= now || !conn.socket.reusable()) {
          p.idle.splice(i, 1)
          expired.push(conn)
          freeSlot(p)
        }
      }
    }
    return closeAll(expired)
  })

  const stats: Pool["stats"] = (key) => {
    const p = origins.get(key)
    return p === undefined
      ? { open: 0, idle: 0, waiting: 0 }
      : { open: p.open, idle: p.idle.length, waiting: p.waiters.length }
  }

  return { acquire, release, sweep, stats, keys: () => [...origins.keys()] }
}
