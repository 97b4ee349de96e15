/**
 * What the pool keeps per origin: the idle connections (a stack, newest on top), the connections open or
 * opening, the pipelined connections with exchanges in flight, and the line of requests waiting for a
 * connection or a slot, each with its deadline on the timer heap.
 * @internal
 */
import type * as Scope from "effect/Scope"
import type { Socket } from "../../Connector.js"
import type { Pipeline } from "./pipeline.js"
import { type Timer, type Timers, timer } from "./timers.js"

/** One connection of the pool. */
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

/** A place in an origin's line. */
export interface Waiting {
  readonly _tag: "Waiting"
}

export interface Waiter extends Waiting {
  readonly grant: (grant: Grant) => void
  readonly pipelinable: boolean
  /** The waiter's deadline, when it has one. */
  readonly timer: Timer | undefined
}

export class OriginState {
  readonly idle: Array<Conn> = []
  readonly waiters: Array<Waiter> = []
  /** Pipelined connections with exchanges in flight. */
  readonly busy = new Set<Conn>()
  /** Connections open or opening, idle included. */
  open = 0

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
    const waiter: Waiter = { _tag: "Waiting", grant: w.granted, pipelinable: w.pipelinable, timer: deadline }
    this.waiters.push(waiter)
    if (deadline !== undefined) this.timers.schedule(deadline, this.timers.now() + w.waitMillis)
    return waiter
  }

  /** Takes a waiter out of line (it gave up: interrupted, or past its deadline). */
  leave(waiter: Waiter): void {
    const i = this.waiters.indexOf(waiter)
    if (i === -1) return
    this.waiters.splice(i, 1)
    if (waiter.timer !== undefined) this.timers.cancel(waiter.timer)
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
      const pl = conn.pipeline as Pipeline
      if (mayJoin(conn, pl) && pl.inFlight < fewest) {
        best = conn
        fewest = pl.inFlight
      }
    }
    return best
  }
}
