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
 * @internal
 */
import type * as Clock from "effect/Clock"
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
export type Grant = Lease | "connect"

interface Waiter {
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
  /** Makes the waits interruptible inside the caller's uninterruptible region. */
  readonly restore: Restore
  readonly connect: ConnectOptions
  /** The request may join a busy pipelined connection. */
  readonly pipelinable: boolean
  /** The longest wait in line for a connection (Infinity: no limit). */
  readonly waitMillis: number
}
type Restore = <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>

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
   * A connection for `origin`; with `fresh`, never an idle or busy one. A healthy idle connection comes
   * back at once, as a plain Lease (the hot path); otherwise an Effect that connects or waits,
   * interruptibly through `restore`. A `pipelinable` request may join a busy connection.
   */
  readonly acquire: (origin: Origin, ask: Ask) => Lease | Effect.Effect<Lease, ConnectError | WaitTimeout>
  /**
   * Gives the connection back for reuse when `reusable`, destroys it otherwise; `keepAliveHint` is the
   * server's `Keep-Alive: timeout=` in seconds. Returns the Effect that closes the connection, or
   * undefined when there is nothing to wait for.
   */
  readonly release: (lease: Lease, reusable: boolean, keepAliveHint?: number) => Effect.Effect<void> | undefined
  /**
   * The callback forms, for exchanges that run outside a fiber (see `Wire.push`): `take` gives a healthy
   * idle connection, or nothing (and changes nothing); `enqueue` puts a waiter in line when every slot is
   * taken, or returns undefined when one is free; `dequeue` takes a waiter out of line; `openGranted`
   * opens a connection in a slot granted with "connect", and `freeSlot` gives such a slot back unused. A
   * waiter still in line after `waitMillis` is taken out and `onTimeout` called.
   */
  readonly take: (origin: Origin, pipelinable: boolean) => Lease | undefined
  readonly enqueue: (
    origin: Origin,
    pipelinable: boolean,
    waitMillis: number,
    grant: (grant: Grant) => void,
    onTimeout: () => void,
  ) => object | undefined
  readonly dequeue: (origin: Origin, waiter: object) => void
  readonly openGranted: (origin: Origin, ask: Ask) => Effect.Effect<Lease, ConnectError>
  readonly freeSlot: (origin: Origin) => void
  /** Closes idle connections past their deadline. */
  readonly sweep: Effect.Effect<void>
  /** Counts per origin, for tests and metrics. */
  readonly stats: (key: string) => { readonly open: number; readonly idle: number; readonly waiting: number }
  /** The origins the pool holds state for: those with connections or waiters. */
  readonly keys: () => ReadonlyArray<string>
}

export const make = (
  connector: ConnectorService,
  scope: Scope.Scope,
  clock: Clock.Clock,
  options: PoolOptions,
  timers: Timers,
): Pool => {
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
  const closeAll = (conns: ReadonlyArray<Conn>) =>
    conns.length === 0 ? Effect.void : Effect.forEach(conns, close, { discard: true })

  /** Frees a slot: the next waiter may open a connection in it. */
  const freeSlot = (p: OriginPool): void => {
    p.open--
    const next = nextWaiter(p)
    if (next !== undefined) {
      p.open++
      next.grant("connect")
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
    const waiter: Waiter = { grant, pipelinable, timer: deadline }
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
    if (pl.inFlight === 0) pl.joinable = pipelinable
    p.busy.add(conn)
    return { conn, reused, active: true, ticket: pl.issue() }
  }

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
      w.grant(lease(p, conn, true, true))
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

  const open = (origin: Origin, p: OriginPool, ask: Ask) => {
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
    return Effect.flatMap(Scope.fork(scope, ExecutionStrategy.sequential), (connScope) =>
      ask.restore(Scope.extend(timed, connScope)).pipe(
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
    )
  }

  /** Waits in line for a connection or a free slot, within the ask's deadline. */
  const wait = (p: OriginPool, ask: Ask): Effect.Effect<Grant, WaitTimeout> =>
    Effect.async<Grant, WaitTimeout>((resume) => {
      const waiter = line(
        p,
        ask.pipelinable && !ask.fresh,
        ask.waitMillis,
        (grant) => resume(Effect.succeed(grant)),
        () => resume(Effect.fail(new WaitTimeout({ millis: ask.waitMillis }))),
      )
      return Effect.sync(() => leave(p, waiter))
    })

  const acquire: Pool["acquire"] = (origin, ask) => {
    const p = poolFor(origin.key)
    const stale: Array<Conn> = []
    let found: Conn | undefined
    if (!ask.fresh && p.idle.length > 0) {
      const now = clock.unsafeCurrentTimeMillis()
      while (found === undefined && p.idle.length > 0) {
        const conn = p.idle.pop() as Conn
        if (usable(conn, now)) found = conn
        else {
          p.open--
          stale.push(conn)
        }
      }
    }
    if (found !== undefined && stale.length === 0) return lease(p, found, true, ask.pipelinable)
    return Effect.suspend(() => {
      const cleanup = closeAll(stale)
      if (found !== undefined) return Effect.as(cleanup, lease(p, found, true, ask.pipelinable))
      if (p.open < options.maxConnectionsPerOrigin) {
        p.open++
        return Effect.zipRight(cleanup, open(origin, p, ask))
      }
      // Joining a busy connection would pass the requests already in line.
      const busy = ask.pipelinable && pipelining && !ask.fresh && p.waiters.length === 0 ? joinable(p) : undefined
      if (busy !== undefined) return Effect.as(cleanup, lease(p, busy, true, true))
      return Effect.zipRight(
        cleanup,
        Effect.flatMap(
          ask.restore(wait(p, ask)),
          (grant): Effect.Effect<Lease, ConnectError> =>
            grant === "connect" ? open(origin, p, ask) : Effect.succeed(grant),
        ),
      )
    })
  }

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

  /** The end of one exchange on a pipelined connection (see Pipeline for the rules). */
  const releasePipelined = (
    p: OriginPool,
    held: Lease,
    pl: Pipeline,
    reusable: boolean,
    idle: number,
  ): Effect.Effect<void> | undefined => {
    const conn = held.conn
    pl.inFlight--
    if (pl.dead) return undefined
    const ticket = held.ticket as number
    if (!reusable) return pl.abandon(ticket) ? kill(p, conn, pl) : undefined
    conn.requests++
    if (!pl.read(ticket)) return kill(p, conn, pl)
    if (pl.inFlight > 0) {
      fill(p, conn)
      return undefined
    }
    p.busy.delete(conn)
    pl.reset()
    if (pl.leftover.length > 0 || pl.closing) return kill(p, conn, pl)
    return reuse(p, conn, idle)
  }

  /** Hands a connection with nothing in flight to the next waiter, or keeps it idle; closes it when spent. */
  const reuse = (p: OriginPool, conn: Conn, idle: number): Effect.Effect<void> | undefined => {
    if (idle > 0 && conn.requests < options.maxRequestsPerConnection && conn.socket.reusable()) {
      const next = nextWaiter(p)
      if (next !== undefined) {
        next.grant(lease(p, conn, true, next.pipelinable))
        if (next.pipelinable) fill(p, conn)
      } else {
        conn.idleUntil = clock.unsafeCurrentTimeMillis() + idle
        p.idle.push(conn)
      }
      return undefined
    }
    if (conn.pipeline !== undefined) return kill(p, conn, conn.pipeline)
    freeSlot(p)
    return close(conn)
  }

  const release: Pool["release"] = (held, reusable, keepAliveHint) => {
    if (!held.active) return undefined
    held.active = false
    const conn = held.conn
    const p = poolFor(conn.key)
    const idle = idleFor(keepAliveHint)
    if (conn.pipeline !== undefined && held.ticket !== undefined) {
      return releasePipelined(p, held, conn.pipeline, reusable, idle)
    }
    conn.requests++
    if (reusable) return reuse(p, conn, idle)
    freeSlot(p)
    return close(conn)
  }

  const sweep: Pool["sweep"] = Effect.suspend(() => {
    const now = clock.unsafeCurrentTimeMillis()
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
    return closeAll(expired)
  })

  const stats: Pool["stats"] = (key) => {
    const p = origins.get(key)
    return p === undefined
      ? { open: 0, idle: 0, waiting: 0 }
      : { open: p.open, idle: p.idle.length, waiting: p.waiters.length }
  }

  // A stale idle connection is left for `acquire`, which closes it; so is a free slot.
  const take: Pool["take"] = (origin, pipelinable) => {
    const p = origins.get(origin.key)
    if (p === undefined) return undefined
    const conn = p.idle[p.idle.length - 1]
    if (conn !== undefined) {
      if (!usable(conn, clock.unsafeCurrentTimeMillis())) return undefined
      p.idle.pop()
      return lease(p, conn, true, pipelinable)
    }
    const busy =
      pipelinable && pipelining && p.open >= options.maxConnectionsPerOrigin && p.waiters.length === 0
        ? joinable(p)
        : undefined
    return busy === undefined ? undefined : lease(p, busy, true, true)
  }

  const enqueue: Pool["enqueue"] = (origin, pipelinable, waitMillis, grant, onTimeout) => {
    const p = origins.get(origin.key)
    if (p === undefined || p.open < options.maxConnectionsPerOrigin || p.idle.length > 0) return undefined
    return line(p, pipelinable, waitMillis, grant, onTimeout)
  }

  const dequeue: Pool["dequeue"] = (origin, waiter) => {
    const p = origins.get(origin.key)
    if (p !== undefined) leave(p, waiter as Waiter)
  }

  return {
    acquire,
    release,
    take,
    enqueue,
    dequeue,
    openGranted: (origin, ask) => open(origin, poolFor(origin.key), ask),
    freeSlot: (origin) => freeSlot(poolFor(origin.key)),
    sweep,
    stats,
    keys: () => [...origins.keys()],
  }
}
