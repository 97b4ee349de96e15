/**
 * The connection pool: per origin, a stack of idle connections, a count of open ones, and a queue of
 * waiters when the per-origin limit is reached. Every connection lives in its own Scope, forked from the
 * pool's, so closing the pool's scope closes every socket. A connection goes back to the idle stack only
 * when the transport says its last response ended cleanly; otherwise it is destroyed and its slot passed
 * to the next waiter. Idle connections expire on the Effect Clock: after the default idle timeout, or the
 * server's `Keep-Alive: timeout=` hint less a margin, whichever the server asked for.
 *
 * With pipelining on (a depth above 1), every connection carries a Pipeline and every lease a ticket. A
 * request that may be pipelined joins a busy connection once every connection allowed is open, rather
 * than wait; a request that may not be takes only a connection with nothing in flight, and nothing joins
 * behind it.
 *
 * The rules live in one callback form (`request`, `cancel`, `release`): a request that finds a connection
 * gets it at once, with no Effect; one that waits is called back when a connection or a slot frees up.
 * Only opening a socket and closing one are Effects (the Connector's and the Scope's). `acquire`, for
 * callers in a fiber, is `request` wrapped in `Effect.async`, with the opening of a granted slot after it.
 * @internal
 */
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as ExecutionStrategy from "effect/ExecutionStrategy"
import * as Exit from "effect/Exit"
import * as Scope from "effect/Scope"
import { ConnectError, type ConnectOptions, type Service as ConnectorService, type Socket } from "../../Connector.js"
import type { Origin } from "../../Url.js"
import { Pipeline } from "./pipeline.js"
import { type Timer, type Timers, timer } from "./timers.js"

export interface PoolOptions {
  readonly maxConnectionsPerOrigin: number
  readonly maxRequestsPerConnection: number
  /** How long an idle connection is kept when the server gives no hint. */
  readonly idleTimeoutMillis: number
  /** The longest idle time a server's hint may ask for. */
  readonly maxIdleTimeoutMillis: number
  /** Taken off the server's hint, so that Courier closes first and never reuses a socket being closed. */
  readonly keepAliveMarginMillis: number
  /** Requests one connection may carry at once; 1 turns pipelining off. */
  readonly pipelining: number
}

export interface Conn {
  readonly socket: Socket
  readonly scope: Scope.CloseableScope
  readonly key: string
  requests: number
  /** Clock time after which this idle connection may not be reused. */
  idleUntil: number
  /** The order of exchanges, when the pool pipelines. */
  readonly pipeline: Pipeline | undefined
}

/** A connection held by one request. `reused` says whether it served an earlier request. */
export interface Lease {
  readonly conn: Conn
  readonly reused: boolean
  /** False once the lease has been released or discarded: later calls are no-ops. */
  active: boolean
  /** Held by a pinned client for a sequence of requests rather than by one request. */
  readonly pinned?: boolean
  /** The lease's place in its connection's pipeline, when the pool pipelines. */
  readonly ticket?: number
}

/** What a waiter gets: a connection, or a free slot to open one in (the slot is then the waiter's). */
export type Grant = { readonly _tag: "Lease"; readonly lease: Lease } | { readonly _tag: "Slot" }

/** What becomes of a connection when its lease is given back. */
export type Fate = "reuse" | "destroy"

interface Waiter extends Waiting {
  readonly grant: (grant: Grant) => void
  readonly pipelinable: boolean
  /** The waiter's deadline, when it has one. */
  readonly timer: Timer | undefined
}

/** Waiting for a free connection took longer than the request's `acquire` deadline. */
export class WaitTimeout extends Data.TaggedError("WaitTimeout")<{ readonly millis: number }> {}

/** How a request asks for a connection. */
export interface Ask {
  /** Never an idle or busy connection: a new one. */
  readonly fresh: boolean
  readonly connect: ConnectOptions
  /** The request may join a busy pipelined connection. */
  readonly pipelinable: boolean
  /** The longest wait in line for a connection (Infinity: no limit). */
  readonly waitMillis: number
}

interface OriginPool {
  readonly key: string
  readonly idle: Array<Conn>
  readonly waiters: Array<Waiter>
  /** Pipelined connections with exchanges in flight. */
  readonly busy: Set<Conn>
  /** Connections open or opening, idle included. */
  open: number
}

export interface Pool {
  /**
   * Asks for a connection for `origin`; with `ask.fresh`, never an idle or busy one. A healthy idle
   * connection (or, for a pipelinable request, a busy one it may join) or a free slot to open one in is
   * granted at once: `granted` is called before `request` returns, which returns undefined. Otherwise the
   * request waits in line: `granted` is called when a connection or a slot frees up, or `timedOut` after
   * `ask.waitMillis`, and the place in line is returned, for `cancel`.
   */
  readonly request: (
    origin: Origin,
    ask: Ask,
    granted: (grant: Grant) => void,
    timedOut: () => void,
  ) => Waiting | undefined
  /** Takes a request out of line (it gave up); nothing if it has been granted meanwhile. */
  readonly cancel: (origin: Origin, waiting: Waiting) => void
  /**
   * Opens a connection in a slot granted by `request`; the dial is interruptible through `restore`, and a
   * dial that fails or is interrupted gives the slot back.
   */
  readonly open: (origin: Origin, ask: Ask, restore: Restore) => Effect.Effect<Lease, ConnectError>
  /** Gives back a slot granted by `request` and not used. */
  readonly freeSlot: (origin: Origin) => void
  /** `request`, then `open` for a slot, as an Effect: for callers in a fiber (the pinned transport). */
  readonly acquire: (origin: Origin, ask: Ask, restore: Restore) => Effect.Effect<Lease, ConnectError | WaitTimeout>
  /**
   * Gives the connection back (`reuse`) or destroys it; `keepAliveHint` is the server's `Keep-Alive:
   * timeout=` in seconds. Returns the Effect that closes the connection, or undefined when there is
   * nothing to wait for.
   */
  readonly release: (lease: Lease, fate: Fate, keepAliveHint?: number) => Effect.Effect<void> | undefined
  /** Closes idle connections past their deadline. */
  readonly sweep: Effect.Effect<void>
  /** Counts per origin, for tests and metrics. */
  readonly stats: (key: string) => { readonly open: number; readonly idle: number; readonly waiting: number }
  /** The origins the pool holds state for: those with connections or waiters. */
  readonly keys: () => ReadonlyArray<string>
}

/** A place in an origin's line. */
export interface Waiting {
  readonly _tag: "Waiting"
}

type Restore = <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>

const SLOT: Grant = { _tag: "Slot" }

export const make = (connector: ConnectorService, scope: Scope.Scope, options: PoolOptions, timers: Timers): Pool => {
  const origins = new Map<string, OriginPool>()
  const poolFor = (key: string): OriginPool => {
    let p = origins.get(key)
    if (p === undefined) {
      p = { key, idle: [], waiters: [], busy: new Set(), open: 0 }
      origins.set(key, p)
    }
    return p
  }
  /** Forgets an origin with nothing open and nobody waiting, so talking to many hosts keeps memory flat. */
  const forget = (p: OriginPool): void => {
    if (p.open === 0 && p.waiters.length === 0 && origins.get(p.key) === p) origins.delete(p.key)
  }

  const close = (conn: Conn): Effect.Effect<void> => Scope.close(conn.scope, Exit.void)
  /** Whether an idle connection may carry a request: within its idle deadline, and healthy. */
  const usable = (conn: Conn, now: number): boolean => conn.idleUntil > now && conn.socket.reusable()

  /** Frees a slot: the next waiter may open a connection in it. */
  const freeSlot = (p: OriginPool): void => {
    p.open--
    const next = nextWaiter(p)
    if (next !== undefined) {
      p.open++
      next.grant(SLOT)
    } else forget(p)
  }

  /** Takes the first waiter out of line, its deadline with it. */
  const nextWaiter = (p: OriginPool): Waiter | undefined => {
    const next = p.waiters.shift()
    if (next?.timer !== undefined) timers.cancel(next.timer)
    return next
  }

  /** Puts a waiter in line, with a deadline when `waitMillis` is finite. */
  const line = (
    p: OriginPool,
    pipelinable: boolean,
    waitMillis: number,
    grant: (grant: Grant) => void,
    onTimeout: () => void,
  ): Waiter => {
    const deadline =
      waitMillis === Number.POSITIVE_INFINITY
        ? undefined
        : timer(() => {
            leave(p, waiter)
            onTimeout()
            return undefined
          })
    const waiter: Waiter = { _tag: "Waiting", grant, pipelinable, timer: deadline }
    p.waiters.push(waiter)
    if (deadline !== undefined) timers.schedule(deadline, timers.now() + waitMillis)
    return waiter
  }

  /** Takes a waiter out of line (it gave up: interrupted, or past its deadline). */
  const leave = (p: OriginPool, waiter: Waiter): void => {
    const i = p.waiters.indexOf(waiter)
    if (i === -1) return
    p.waiters.splice(i, 1)
    if (waiter.timer !== undefined) timers.cancel(waiter.timer)
    forget(p)
  }

  const depth = options.pipelining
  const pipelining = depth > 1

  /** A lease on `conn`; on a pipelined connection it takes a ticket, and the connection counts as busy. */
  const lease = (p: OriginPool, conn: Conn, reused: boolean, pipelinable: boolean): Lease => {
    const pl = conn.pipeline
    if (pl === undefined) return { conn, reused, active: true }
    p.busy.add(conn)
    return { conn, reused, active: true, ticket: pl.issue(pipelinable) }
  }
  const granting = (p: OriginPool, conn: Conn, reused: boolean, pipelinable: boolean): Grant => ({
    _tag: "Lease",
    lease: lease(p, conn, reused, pipelinable),
  })

  /**
   * Grants free places in `conn`'s pipeline to the waiting requests at the head of the line, while they
   * may be pipelined. A request that may not stops the filling: connections then drain until one is free
   * for it, so a stream of pipelined GETs cannot starve a POST that waits.
   */
  const fill = (p: OriginPool, conn: Conn): void => {
    const pl = conn.pipeline
    if (pl === undefined) return
    while (p.waiters[0]?.pipelinable === true && pl.accepts(depth) && fits(conn)) {
      const w = nextWaiter(p) as Waiter
      w.grant(granting(p, conn, true, true))
    }
  }

  /** Whether `conn` may take one more request under `maxRequestsPerConnection`. */
  const fits = (conn: Conn): boolean =>
    conn.requests + (conn.pipeline?.inFlight ?? 0) < options.maxRequestsPerConnection

  /** The busy connection with the fewest requests in flight that a pipelinable request may join. */
  const joinable = (p: OriginPool): Conn | undefined => {
    let best: Conn | undefined
    for (const conn of p.busy) {
      const pl = conn.pipeline as Pipeline
      if (
        pl.accepts(depth) &&
        fits(conn) &&
        (best === undefined || pl.inFlight < (best.pipeline as Pipeline).inFlight)
      ) {
        best = conn
      }
    }
    return best
  }

  /** The newest healthy idle connection; stale ones found on the way are closed by the timer driver. */
  const takeIdle = (p: OriginPool): Conn | undefined => {
    const now = timers.now()
    for (let conn = p.idle.pop(); conn !== undefined; conn = p.idle.pop()) {
      if (usable(conn, now)) return conn
      p.open--
      timers.defer(close(conn))
    }
    return undefined
  }

  const request: Pool["request"] = (origin, ask, granted, timedOut) => {
    const p = poolFor(origin.key)
    const idle = ask.fresh ? undefined : takeIdle(p)
    let grant: Grant | undefined
    if (idle !== undefined) grant = granting(p, idle, true, ask.pipelinable)
    else if (p.open < options.maxConnectionsPerOrigin) {
      p.open++
      grant = SLOT
    } else {
      // Joining a busy connection would pass the requests already in line.
      const busy = ask.pipelinable && pipelining && !ask.fresh && p.waiters.length === 0 ? joinable(p) : undefined
      if (busy !== undefined) grant = granting(p, busy, true, true)
    }
    if (grant !== undefined) {
      granted(grant)
      return undefined
    }
    return line(p, ask.pipelinable && !ask.fresh, ask.waitMillis, granted, timedOut)
  }

  const cancel: Pool["cancel"] = (origin, waiting) => {
    const p = origins.get(origin.key)
    if (p !== undefined) leave(p, waiting as Waiter)
  }

  const open: Pool["open"] = (origin, ask, restore) => {
    const p = poolFor(origin.key)
    const { connect } = ask
    const opening = connector.connect(origin, connect)
    const timed =
      connect.timeoutMillis === undefined || connect.timeoutMillis === Number.POSITIVE_INFINITY
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
    return Effect.uninterruptibleMask((mask) =>
      Effect.flatMap(Scope.fork(scope, ExecutionStrategy.sequential), (connScope) =>
        mask(restore(Scope.extend(timed, connScope))).pipe(
          Effect.onExit((exit) =>
            Exit.isSuccess(exit)
              ? Effect.void
              : Effect.zipRight(
                  Scope.close(connScope, Exit.void),
                  Effect.sync(() => freeSlot(p)),
                ),
          ),
          Effect.map((socket): Lease => {
            const pipeline = pipelining ? new Pipeline() : undefined
            const conn: Conn = { socket, scope: connScope, key: origin.key, requests: 0, idleUntil: 0, pipeline }
            const first = lease(p, conn, false, ask.pipelinable)
            if (ask.pipelinable) fill(p, conn)
            return first
          }),
        ),
      ),
    )
  }

  /** Gives back a grant that arrived for a caller interrupted before it could use it. */
  const giveBack = (origin: Origin, grant: Grant): Effect.Effect<void> =>
    grant._tag === "Slot"
      ? Effect.sync(() => freeSlot(poolFor(origin.key)))
      : Effect.suspend(() => release(grant.lease, "destroy") ?? Effect.void)

  const acquire: Pool["acquire"] = (origin, ask, restore) =>
    Effect.suspend(() => {
      let unused: Grant | undefined
      const wait = Effect.async<Grant, WaitTimeout>((resume) => {
        const waiting = request(
          origin,
          ask,
          (grant) => {
            unused = grant
            resume(Effect.succeed(grant))
          },
          () => resume(Effect.fail(new WaitTimeout({ millis: ask.waitMillis }))),
        )
        return waiting === undefined ? undefined : Effect.sync(() => cancel(origin, waiting))
      })
      return restore(wait).pipe(
        Effect.onInterrupt(() => (unused === undefined ? Effect.void : giveBack(origin, unused))),
        Effect.flatMap((grant) => {
          unused = undefined
          return grant._tag === "Lease" ? Effect.succeed(grant.lease) : open(origin, ask, restore)
        }),
      )
    })

  /** How long a connection may stay idle: the server's hint less the margin, capped, or the default. */
  const idleFor = (hintSeconds: number | undefined): number =>
    hintSeconds === undefined
      ? options.idleTimeoutMillis
      : Math.min(options.maxIdleTimeoutMillis, hintSeconds * 1000 - options.keepAliveMarginMillis)

  /** Destroys a pipelined connection: every exchange still waiting on it is refused. */
  const kill = (p: OriginPool, conn: Conn, pl: Pipeline): Effect.Effect<void> => {
    pl.kill()
    p.busy.delete(conn)
    freeSlot(p)
    return close(conn)
  }

  /** Hands a connection with nothing in flight to the next waiter, or keeps it idle; closes it when spent. */
  const reuse = (p: OriginPool, conn: Conn, idle: number): Effect.Effect<void> | undefined => {
    if (idle > 0 && conn.requests < options.maxRequestsPerConnection && conn.socket.reusable()) {
      const next = nextWaiter(p)
      if (next !== undefined) {
        next.grant(granting(p, conn, true, next.pipelinable))
        if (next.pipelinable) fill(p, conn)
      } else {
        conn.idleUntil = timers.now() + idle
        p.idle.push(conn)
      }
      return undefined
    }
    if (conn.pipeline !== undefined) return kill(p, conn, conn.pipeline)
    freeSlot(p)
    return close(conn)
  }

  const release: Pool["release"] = (held, fate, keepAliveHint) => {
    if (!held.active) return undefined
    held.active = false
    const conn = held.conn
    const p = poolFor(conn.key)
    const pl = conn.pipeline
    if (pl !== undefined && held.ticket !== undefined) {
      if (fate === "reuse" && !pl.dead) conn.requests++
      switch (pl.finish(held.ticket, fate)) {
        case "Nothing":
          return undefined
        case "Busy":
          fill(p, conn)
          return undefined
        case "Kill":
          return kill(p, conn, pl)
        case "Idle":
          p.busy.delete(conn)
          return reuse(p, conn, idleFor(keepAliveHint))
      }
    }
    conn.requests++
    if (fate === "reuse") return reuse(p, conn, idleFor(keepAliveHint))
    freeSlot(p)
    return close(conn)
  }

  const sweep: Pool["sweep"] = Effect.suspend(() => {
    const now = timers.now()
    const expired: Array<Conn> = []
    for (const p of origins.values()) {
      for (let i = p.idle.length - 1; i >= 0; i--) {
        const conn = p.idle[i] as Conn
        if (!usable(conn, now)) {
          p.idle.splice(i, 1)
          expired.push(conn)
          freeSlot(p)
        }
      }
    }
    return expired.length === 0 ? Effect.void : Effect.forEach(expired, close, { discard: true })
  })

  const stats: Pool["stats"] = (key) => {
    const p = origins.get(key)
    return p === undefined
      ? { open: 0, idle: 0, waiting: 0 }
      : { open: p.open, idle: p.idle.length, waiting: p.waiters.length }
  }

  return {
    request,
    cancel,
    open,
    freeSlot: (origin) => freeSlot(poolFor(origin.key)),
    acquire,
    release,
    sweep,
    stats,
    keys: () => [...origins.keys()],
  }
}
