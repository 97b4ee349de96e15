/**
 * What the pool keeps per origin: the idle connections (a stack, newest on top), the connections open or
 * opening, the pipelined connections with exchanges in flight, the multiplexed connections, and the line
 * of requests waiting for a connection, a stream or a slot, each with its deadline on the timer heap.
 * @internal
 */
import type { ConnectError, Socket } from "../../Connector.js"
import type { Connection as Multiplexed } from "../../Multiplex.js"
import type { CloseableScope } from "../shared/edition.js"
import type { Pipeline } from "./pipeline.js"
import { type Timer, type Timers, timer } from "./timers.js"

/** One connection of the pool. */
export interface Conn {
  readonly socket: Socket
  readonly scope: CloseableScope
  readonly key: string
  requests: number
  /** Clock time after which this idle connection may not be reused. */
  idleUntil: number
  /** The order of exchanges, when the pool pipelines. */
  readonly pipeline: Pipeline | undefined
  /** The connection carries many exchanges at once (HTTP/2): what its peer allows. */
  readonly mux: Multiplexed | undefined
  /** Exchanges in flight on a multiplexed connection. */
  active: number
  /** A multiplexed connection taken out of the origin's list: it takes no new exchange. */
  retired: boolean
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

/**
 * What a waiter gets: a connection (or a stream on one), a free slot to open one in (the slot is then the
 * waiter's), or the failure of the dial it waited for.
 */
export type Grant =
  | { readonly _tag: "Lease"; readonly lease: Lease }
  | { readonly _tag: "Slot" }
  | { readonly _tag: "Failed"; readonly error: ConnectError }

/** A place in an origin's line. */
export interface Waiting {
  readonly _tag: "Waiting"
}

export interface Waiter extends Waiting {
  readonly grant: (grant: Grant) => void
  readonly pipelinable: boolean
  readonly multiplexable: boolean
  /** The waiter's deadline, when it has one. */
  readonly timer: Timer | undefined
}

export class OriginState {
  readonly idle: Array<Conn> = []
  readonly waiters: Array<Waiter> = []
  /** Pipelined connections with exchanges in flight. */
  readonly busy = new Set<Conn>()
  /** Multiplexed connections that take new exchanges, oldest first. */
  readonly shared: Array<Conn> = []
  /** Connections open or opening, idle included. */
  open = 0
  /** Dials under way (slots granted and not yet filled). */
  dials = 0
  /**
   * What the origin's last dial negotiated, while the origin is known: until a dial says HTTP/1.1, a dial
   * that may negotiate a multiplexed protocol goes one at a time, since one such connection may carry all.
   */
  multiplexed: boolean | undefined = undefined

  constructor(
    readonly key: string,
    private readonly timers: Timers,
  ) {}

  /** Nothing open and nobody waiting: the pool may forget the origin. */
  get empty(): boolean {
    return this.open === 0 && this.waiters.length === 0
  }

  /**
   * Puts a waiter in line, with a deadline when `waitMillis` is finite: past it the waiter leaves the line
   * and `timedOut` is called.
   */
  line(w: {
    readonly pipelinable: boolean
    readonly multiplexable: boolean
    readonly waitMillis: number
    readonly granted: (grant: Grant) => void
    readonly timedOut: () => void
  }): Waiter {
    const deadline =
      w.waitMillis === Number.POSITIVE_INFINITY
        ? undefined
        : timer(() => {
            this.leave(waiter)
            w.timedOut()
            return undefined
          })
    const waiter: Waiter = {
      _tag: "Waiting",
      grant: w.granted,
      pipelinable: w.pipelinable,
      multiplexable: w.multiplexable,
      timer: deadline,
    }
    this.waiters.push(waiter)
    if (deadline !== undefined) this.timers.schedule(deadline, this.timers.now() + w.waitMillis)
    return waiter
  }

  /** Takes a waiter out of line (it gave up: interrupted, or past its deadline). */
  leave(waiting: Waiting): void {
    for (const [i, waiter] of this.waiters.entries()) {
      if (waiter !== waiting) continue
      this.waiters.splice(i, 1)
      if (waiter.timer !== undefined) this.timers.cancel(waiter.timer)
      return
    }
  }

  /** Takes the first waiter out of line, its deadline with it. */
  next(): Waiter | undefined {
    const next = this.waiters.shift()
    if (next?.timer !== undefined) this.timers.cancel(next.timer)
    return next
  }

  /** The busy connection with the fewest requests in flight that a pipelinable request may join. */
  joinable(mayJoin: (conn: Conn, pipeline: Pipeline) => boolean): Conn | undefined {
    let best: Conn | undefined
    let fewest = Number.POSITIVE_INFINITY
    for (const conn of this.busy) {
      const pl = conn.pipeline
      if (pl !== undefined && mayJoin(conn, pl) && pl.inFlight < fewest) {
        best = conn
        fewest = pl.inFlight
      }
    }
    return best
  }
}
