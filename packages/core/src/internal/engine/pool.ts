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
 * A connection that negotiated a multiplexed protocol (HTTP/2) is shared: a request takes a stream on the
 * oldest one with room, and the connection stays in the origin's list until it drains or idles out. The
 * same line, the same slots and the same idle rule serve both kinds; the protocol is decided when the
 * dial completes. A dial that may negotiate a multiplexed protocol goes one at a time per origin until a
 * dial says the origin speaks HTTP/1.1, and none goes while a live peer grants 0 streams: another
 * connection to it would be told the same.
 *
 * The rules live here as plain calls (`request`, `cancel`, `release`, `admit`, `expire`): a request that
 * finds a connection gets it at once; one that waits is called back when a connection or a slot frees up.
 * Nothing here runs an Effect: opening a socket, the Effect form `acquire` and the sweep are the binding's
 * (connections.ts), and closing a connection is an Effect value built by the `close` the pool is given,
 * handed back to whoever must run it.
 * @internal
 */
import type * as Effect from "effect/Effect"
import type { ConnectError, ConnectOptions, Socket } from "../../Connector.js"
import type { Connection as Multiplexed } from "../../Multiplex.js"
import type { Origin } from "../../Url.js"
import type { CloseableScope } from "../shared/edition.js"
import { type Conn, type Grant, type Lease, OriginState, type Waiting } from "./origin.js"
import { Pipeline } from "./pipeline.js"
import type { Timers } from "./timers.js"

export type { Conn, Grant, Lease, Waiting } from "./origin.js"

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

/** What becomes of a connection when its lease is given back. */
export type Fate = "reuse" | "destroy"

/** How a request asks for a connection. */
export interface Ask {
  /** Never an idle or busy connection: a new one. */
  readonly fresh: boolean
  readonly connect: ConnectOptions
  /** The request may join a busy pipelined connection. */
  readonly pipelinable: boolean
  /** The longest wait in line for a connection (Infinity: no limit). */
  readonly waitMillis: number
  /** The dial may negotiate a multiplexed protocol (it offers HTTP/2). */
  readonly multiplexable: boolean
}

/** A connection taken in, and the lease of the request that opened it (none when it has no room yet). */
export interface Admitted {
  readonly conn: Conn
  readonly lease: Lease | undefined
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
   * Gives back a slot granted by `request` and not used: its caller gave up, or its dial failed with
   * `failure`. Requests that waited only for a dial to go one at a time get that failure too, unless a
   * connection of the origin still takes streams.
   */
  readonly freeSlot: (origin: Origin, failure?: ConnectError) => void
  /**
   * Takes in a connection opened in a slot granted by `request` (`mux` when it negotiated a multiplexed
   * protocol), and leases it to the request that opened it (and, for a pipelinable one, to the pipelinable
   * requests waiting behind it; for a multiplexed one, to everyone in line it has room for). A multiplexed
   * connection whose peer grants no stream yet leases nothing: the request waits in line again.
   */
  readonly admit: (origin: Origin, socket: Socket, scope: CloseableScope, ask: Ask, mux?: Multiplexed) => Admitted
  /** A multiplexed connection's capacity changed, or it started draining. */
  readonly changed: (conn: Conn) => void
  /** What the origin's last dial negotiated: multiplexed or not; undefined while the origin is not known. */
  readonly multiplexed: (key: string) => boolean | undefined
  /**
   * Gives the connection back (`reuse`) or destroys it; `keepAliveHint` is the server's `Keep-Alive:
   * timeout=` in seconds. Returns the Effect that closes the connection, or undefined when there is
   * nothing to wait for.
   */
  readonly release: (lease: Lease, fate: Fate, keepAliveHint?: number) => Effect.Effect<void> | undefined
  /** Takes the idle connections past their deadline (or no longer healthy) out of the pool, for closing. */
  readonly expire: () => ReadonlyArray<Conn>
  /** Counts per origin, for tests and metrics. */
  readonly stats: (key: string) => { readonly open: number; readonly idle: number; readonly waiting: number }
  /** The origins the pool holds state for: those with connections or waiters. */
  readonly keys: () => ReadonlyArray<string>
}

const SLOT: Grant = { _tag: "Slot" }

/** How a lease is made: on a new or a reused connection, for a request that may be pipelined or not. */
interface LeaseOf {
  readonly conn: "new" | "reused"
  readonly pipelinable: boolean
}

/** Builds a pool; `close` builds the Effect that closes a connection, for its caller to run. */
export const make = (options: PoolOptions, timers: Timers, close: (conn: Conn) => Effect.Effect<void>): Pool =>
  new ConnectionPool(options, timers, close)

class ConnectionPool implements Pool {
  private readonly origins = new Map<string, OriginState>()
  private readonly depth: number
  private readonly pipelining: boolean

  constructor(
    private readonly options: PoolOptions,
    private readonly timers: Timers,
    private readonly close: (conn: Conn) => Effect.Effect<void>,
  ) {
    this.depth = options.pipelining
    this.pipelining = options.pipelining > 1
  }

  private stateOf(key: string): OriginState {
    let p = this.origins.get(key)
    if (p === undefined) {
      p = new OriginState(key, this.timers)
      this.origins.set(key, p)
    }
    return p
  }

  /** Forgets an origin with nothing open and nobody waiting, so talking to many hosts keeps memory flat. */
  private forget(p: OriginState): void {
    if (p.empty && this.origins.get(p.key) === p) this.origins.delete(p.key)
  }

  /** Whether an idle connection may carry a request: within its idle deadline, and healthy. */
  private usable(conn: Conn, now: number): boolean {
    return conn.idleUntil > now && conn.socket.reusable()
  }

  /** Frees a slot: the next waiter may open a connection in it. */
  private free(p: OriginState): void {
    p.open--
    this.serve(p)
  }

  /** Whether a multiplexed connection takes one more exchange now. */
  private hasRoom(conn: Conn, mux: Multiplexed): boolean {
    return (
      !conn.retired &&
      !mux.draining() &&
      conn.active < mux.capacity() &&
      conn.requests < this.options.maxRequestsPerConnection
    )
  }

  /** The oldest multiplexed connection of the origin with room for one more exchange. */
  private roomy(p: OriginState): Conn | undefined {
    for (const conn of p.shared) if (conn.mux !== undefined && this.hasRoom(conn, conn.mux)) return conn
    return undefined
  }

  /**
   * Whether the origin may dial one more connection now: under the limit, and for a dial that may
   * negotiate a multiplexed protocol, none under way unless the origin is known to speak HTTP/1.1, and no
   * live peer granting 0 streams.
   */
  private mayDial(p: OriginState, multiplexable: boolean): boolean {
    if (p.open >= this.options.maxConnectionsPerOrigin) return false
    if (!multiplexable || p.multiplexed === false) return true
    if (p.dials > 0) return false
    return !p.shared.some((c) => c.mux !== undefined && c.mux.capacity() === 0 && !c.mux.draining())
  }

  /** A slot for a dial. */
  private slot(p: OriginState): Grant {
    p.open++
    p.dials++
    return SLOT
  }

  /**
   * Serves the line in order: streams on multiplexed connections with room, then slots while a dial may
   * go. A request that waits stays in line for a connection to free up.
   */
  private serve(p: OriginState): void {
    for (let conn = this.roomy(p); conn !== undefined; conn = this.roomy(p)) {
      const w = p.next()
      if (w === undefined) break
      w.grant(this.granting(p, conn, { conn: "reused", pipelinable: false }))
    }
    for (let w = p.waiters[0]; w !== undefined && this.mayDial(p, w.multiplexable); w = p.waiters[0]) {
      p.next()
      w.grant(this.slot(p))
    }
    this.forget(p)
  }

  /**
   * A lease on `conn` (`reused` when it served a request before); on a pipelined connection it takes a
   * ticket, and the connection counts as busy.
   */
  private lease(p: OriginState, conn: Conn, how: LeaseOf): Lease {
    if (conn.mux !== undefined) {
      conn.active++
      return { conn, reused: conn.requests++ > 0, active: true }
    }
    const pl = conn.pipeline
    const reused = how.conn === "reused"
    if (pl === undefined) return { conn, reused, active: true }
    p.busy.add(conn)
    return { conn, reused, active: true, ticket: pl.issue(how.pipelinable ? "others may join" : "nothing may join") }
  }

  private granting(p: OriginState, conn: Conn, how: LeaseOf): Grant {
    return { _tag: "Lease", lease: this.lease(p, conn, how) }
  }

  /** Whether `conn` may take one more request under `maxRequestsPerConnection`. */
  private fits(conn: Conn): boolean {
    return conn.requests + (conn.pipeline?.inFlight ?? 0) < this.options.maxRequestsPerConnection
  }

  private readonly mayJoin = (conn: Conn, pl: Pipeline): boolean => pl.accepts(this.depth) && this.fits(conn)

  /**
   * Grants free places in `conn`'s pipeline to the waiting requests at the head of the line, while they
   * may be pipelined. A request that may not stops the filling: connections then drain until one is free
   * for it, so a stream of pipelined GETs cannot starve a POST that waits.
   */
  private fill(p: OriginState, conn: Conn): void {
    const pl = conn.pipeline
    if (pl === undefined) return
    for (let w = p.waiters[0]; w?.pipelinable === true && this.mayJoin(conn, pl); w = p.waiters[0]) {
      p.next()
      w.grant(this.granting(p, conn, { conn: "reused", pipelinable: true }))
    }
  }

  /** The newest healthy idle connection; stale ones found on the way are closed by the timer driver. */
  private takeIdle(p: OriginState): Conn | undefined {
    const now = this.timers.now()
    for (let conn = p.idle.pop(); conn !== undefined; conn = p.idle.pop()) {
      if (this.usable(conn, now)) return conn
      p.open--
      this.timers.defer(this.close(conn))
    }
    return undefined
  }

  /** What `request` can grant at once, if anything. */
  private grantNow(p: OriginState, ask: Ask): Grant | undefined {
    const shared = ask.fresh ? undefined : this.roomy(p)
    if (shared !== undefined) return this.granting(p, shared, { conn: "reused", pipelinable: false })
    const idle = ask.fresh ? undefined : this.takeIdle(p)
    if (idle !== undefined) return this.granting(p, idle, { conn: "reused", pipelinable: ask.pipelinable })
    // A request does not pass those in line (who wait, with a slot free, only for a dial under way).
    if (p.waiters.length === 0 && this.mayDial(p, ask.multiplexable)) return this.slot(p)
    // Joining a busy connection would pass the requests already in line.
    if (!ask.pipelinable || !this.pipelining || ask.fresh || p.waiters.length > 0) return undefined
    const busy = p.joinable(this.mayJoin)
    return busy === undefined ? undefined : this.granting(p, busy, { conn: "reused", pipelinable: true })
  }

  readonly request: Pool["request"] = (origin, ask, granted, timedOut) => {
    const p = this.stateOf(origin.key)
    const grant = this.grantNow(p, ask)
    if (grant === undefined) {
      return p.line({
        pipelinable: ask.pipelinable && !ask.fresh,
        multiplexable: ask.multiplexable,
        waitMillis: ask.waitMillis,
        granted,
        timedOut: () => {
          this.forget(p)
          timedOut()
        },
      })
    }
    granted(grant)
    return undefined
  }

  readonly cancel: Pool["cancel"] = (origin, waiting) => {
    const p = this.origins.get(origin.key)
    if (p === undefined) return
    p.leave(waiting)
    this.forget(p)
  }

  readonly freeSlot: Pool["freeSlot"] = (origin, failure) => {
    const p = this.stateOf(origin.key)
    p.dials--
    // The line waited for this dial alone (one at a time): it shares its failure, unless a connection
    // still takes streams.
    const serial = p.waiters[0]?.multiplexable === true && p.multiplexed !== false
    if (failure !== undefined && serial && !p.shared.some((c) => c.mux !== undefined && !c.mux.draining())) {
      p.open--
      for (let w = p.next(); w !== undefined; w = p.next()) w.grant({ _tag: "Failed", error: failure })
      this.forget(p)
      return
    }
    this.free(p)
  }

  readonly admit: Pool["admit"] = (origin, socket, scope, ask, mux) => {
    const p = this.stateOf(origin.key)
    p.dials--
    p.multiplexed = mux !== undefined
    const pipeline = this.pipelining && mux === undefined ? new Pipeline() : undefined
    const conn: Conn = {
      socket,
      scope,
      key: origin.key,
      requests: 0,
      idleUntil: 0,
      pipeline,
      mux,
      active: 0,
      retired: false,
    }
    if (mux === undefined) {
      const first = this.lease(p, conn, { conn: "new", pipelinable: ask.pipelinable })
      if (ask.pipelinable) this.fill(p, conn)
      // Requests held back while the protocol was unknown may dial now.
      if (ask.multiplexable) this.serve(p)
      return { conn, lease: first }
    }
    p.shared.push(conn)
    const first = this.hasRoom(conn, mux) ? this.lease(p, conn, { conn: "new", pipelinable: false }) : undefined
    this.serve(p)
    // A connection nobody took (its peer grants no stream yet) is idle from the start.
    if (conn.active === 0) conn.idleUntil = this.timers.now() + this.options.idleTimeoutMillis
    return { conn, lease: first }
  }

  readonly multiplexed: Pool["multiplexed"] = (key) => this.origins.get(key)?.multiplexed

  readonly changed: Pool["changed"] = (conn) => {
    const p = this.origins.get(conn.key)
    if (p === undefined || conn.retired) return
    if (conn.mux?.draining() === true) this.retire(p, conn)
    else this.serve(p)
  }

  /** Takes a multiplexed connection out of the origin's list; it closes once its last exchange ends. */
  private retire(p: OriginState, conn: Conn): void {
    if (conn.retired) return
    conn.retired = true
    const i = p.shared.indexOf(conn)
    if (i !== -1) p.shared.splice(i, 1)
    if (conn.active === 0) this.closeShared(p, conn)
  }

  private closeShared(p: OriginState, conn: Conn): void {
    this.timers.defer(this.close(conn))
    this.free(p)
  }

  /** One exchange on a multiplexed connection ended: its room goes to the next in line. */
  private releaseStream(p: OriginState, conn: Conn, mux: Multiplexed): void {
    conn.active--
    if (conn.retired) {
      if (conn.active === 0) this.closeShared(p, conn)
      return
    }
    if (mux.draining() || conn.requests >= this.options.maxRequestsPerConnection) {
      this.retire(p, conn)
      return
    }
    if (conn.active === 0) conn.idleUntil = this.timers.now() + this.options.idleTimeoutMillis
    this.serve(p)
  }

  /** How long a connection may stay idle: the server's hint less the margin, capped, or the default. */
  private idleFor(hintSeconds: number | undefined): number {
    const o = this.options
    return hintSeconds === undefined
      ? o.idleTimeoutMillis
      : Math.min(o.maxIdleTimeoutMillis, hintSeconds * 1000 - o.keepAliveMarginMillis)
  }

  /** Destroys a pipelined connection: every exchange still waiting on it is refused. */
  private kill(p: OriginState, conn: Conn, pl: Pipeline): Effect.Effect<void> {
    pl.kill()
    p.busy.delete(conn)
    this.free(p)
    return this.close(conn)
  }

  /** Hands a connection with nothing in flight to the next waiter, or keeps it idle; closes it when spent. */
  private reuse(p: OriginState, conn: Conn, idle: number): Effect.Effect<void> | undefined {
    if (idle > 0 && conn.requests < this.options.maxRequestsPerConnection && conn.socket.reusable()) {
      const next = p.next()
      if (next !== undefined) {
        next.grant(this.granting(p, conn, { conn: "reused", pipelinable: next.pipelinable }))
        if (next.pipelinable) this.fill(p, conn)
      } else {
        conn.idleUntil = this.timers.now() + idle
        p.idle.push(conn)
      }
      return undefined
    }
    if (conn.pipeline !== undefined) return this.kill(p, conn, conn.pipeline)
    this.free(p)
    return this.close(conn)
  }

  /** The end of one exchange on a pipelined connection: the pipeline says what becomes of it. */
  private releasePipelined(p: OriginState, conn: Conn, pl: Pipeline, ticket: number, fate: Fate, idle: number) {
    if (fate === "reuse" && !pl.dead) conn.requests++
    switch (pl.finish(ticket, fate)) {
      case "Nothing":
        return undefined
      case "Busy":
        this.fill(p, conn)
        return undefined
      case "Kill":
        return this.kill(p, conn, pl)
      case "Idle":
        p.busy.delete(conn)
        return this.reuse(p, conn, idle)
    }
  }

  readonly release: Pool["release"] = (held, fate, keepAliveHint) => {
    if (!held.active) return undefined
    held.active = false
    const conn = held.conn
    const p = this.stateOf(conn.key)
    if (conn.mux !== undefined) {
      this.releaseStream(p, conn, conn.mux)
      return undefined
    }
    const idle = this.idleFor(keepAliveHint)
    if (conn.pipeline !== undefined && held.ticket !== undefined) {
      return this.releasePipelined(p, conn, conn.pipeline, held.ticket, fate, idle)
    }
    conn.requests++
    if (fate === "reuse") return this.reuse(p, conn, idle)
    this.free(p)
    return this.close(conn)
  }

  readonly expire: Pool["expire"] = () => {
    const now = this.timers.now()
    const expired: Array<Conn> = []
    for (const p of this.origins.values()) {
      for (let i = p.idle.length - 1; i >= 0; i--) {
        const conn = p.idle[i]
        if (conn !== undefined && !this.usable(conn, now)) {
          p.idle.splice(i, 1)
          expired.push(conn)
          this.free(p)
        }
      }
      for (let i = p.shared.length - 1; i >= 0; i--) {
        const conn = p.shared[i]
        if (conn !== undefined && conn.active === 0 && (conn.idleUntil <= now || conn.mux?.draining() === true)) {
          p.shared.splice(i, 1)
          conn.retired = true
          expired.push(conn)
          this.free(p)
        }
      }
    }
    return expired
  }

  readonly stats: Pool["stats"] = (key) => {
    const p = this.origins.get(key)
    return p === undefined
      ? { open: 0, idle: 0, waiting: 0 }
      : {
          open: p.open,
          idle: p.idle.length + p.shared.filter((c) => c.active === 0).length,
          waiting: p.waiters.length,
        }
  }

  readonly keys: Pool["keys"] = () => [...this.origins.keys()]
}
