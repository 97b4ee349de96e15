/**
 * Deadlines for the engine: a binary heap of timers ordered by time. Scheduling and cancelling are plain
 * calls, so a request with deadlines pays a heap insert rather than a fiber per deadline
 * (`Effect.timeoutFail` forks one), and the callback paths (the pool's line, `Exchange.push`) can have
 * deadlines at all. What fires them is the binding's driver (`binding/driver.ts`): one fiber per transport
 * that sleeps on the Effect Clock until the earliest one, woken only when a timer earlier than the one it
 * sleeps for is added; with the default deadlines, all equal, that is about once per deadline length.
 * @internal
 */
import type * as Effect from "effect/Effect"
import type { Deadlines } from "../../Deadlines.js"

/** Deadlines of the phases below the Client, in milliseconds (Infinity: none). */
export interface Phases {
  readonly acquire: number
  readonly connect: number
  readonly send: number
  readonly head: number
  readonly body: number
}

export interface Timer {
  /** Clock time, in milliseconds, at which it fires. */
  at: number
  /** Its place in the heap, or -1 when it is not scheduled. */
  index: number
  /** What happens when it fires; an Effect returned is run by the driver (closing a connection, say). */
  readonly fire: () => Effect.Effect<void> | undefined
}

export const timer = (fire: Timer["fire"]): Timer => ({ at: 0, index: -1, fire })

/** What the driver is to do after firing what was due: run `effects`, then sleep until `next` (or a wake). */
export interface Due {
  readonly effects: ReadonlyArray<Effect.Effect<void>>
  /** Clock time of the earliest timer left; Infinity when none is. */
  readonly next: number
}

export class Timers {
  private readonly heap: Array<Timer> = []
  /** When the driver wakes next (Infinity: only when woken). */
  private target = Number.POSITIVE_INFINITY
  private wake: (() => void) | undefined
  /** Effects handed over by `defer`, for the driver to run. */
  private deferred: Array<Effect.Effect<void>> = []

  /** `now`: the Clock's time in milliseconds, which every deadline counts in. */
  constructor(readonly now: () => number) {}

  /** Schedules `t` at `at` (moving it if it was scheduled). */
  schedule(t: Timer, at: number): void {
    if (t.index !== -1) this.cancel(t)
    t.at = at
    t.index = this.heap.length
    this.heap.push(t)
    this.up(t.index)
    if (at < this.target) {
      const wake = this.wake
      this.wake = undefined
      wake?.()
    }
  }

  /**
   * Runs `effect` on the driver fiber as soon as it wakes: how the engine, which runs no Effect itself,
   * closes a socket that nobody waits for (a stale idle connection found on the way).
   */
  defer(effect: Effect.Effect<void>): void {
    this.deferred.push(effect)
    const wake = this.wake
    this.wake = undefined
    wake?.()
  }

  cancel(t: Timer): void {
    const i = t.index
    if (i === -1) return
    t.index = -1
    const last = this.heap.pop()
    if (last === undefined || i === this.heap.length) return
    this.heap[i] = last
    last.index = i
    this.up(i)
    this.down(last.index)
  }

  /** How many timers are scheduled. */
  get size(): number {
    return this.heap.length
  }

  /** The time of the timer at `i`; Infinity past the end, so a missing child never wins. */
  private atOf(i: number): number {
    return this.heap[i]?.at ?? Number.POSITIVE_INFINITY
  }

  private swap(i: number, j: number): void {
    const a = this.heap[i]
    const b = this.heap[j]
    if (a === undefined || b === undefined) return
    this.heap[i] = b
    this.heap[j] = a
    b.index = i
    a.index = j
  }

  private up(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (this.atOf(parent) <= this.atOf(i)) return
      this.swap(i, parent)
      i = parent
    }
  }

  private down(i: number): void {
    while (true) {
      const l = 2 * i + 1
      const r = l + 1
      let least = i
      if (this.atOf(l) < this.atOf(least)) least = l
      if (this.atOf(r) < this.atOf(least)) least = r
      if (least === i) return
      this.swap(i, least)
      i = least
    }
  }

  /**
   * Fires every timer due at `now`, and says what the driver is to run and when it is to wake; from then
   * on, scheduling a timer before that time wakes it (`onWake`).
   */
  takeDue(now: number): Due {
    const effects = this.deferred
    this.deferred = []
    for (let t = this.heap[0]; t !== undefined && t.at <= now; t = this.heap[0]) {
      this.cancel(t)
      const effect = t.fire()
      if (effect !== undefined) effects.push(effect)
    }
    const next = this.atOf(0)
    this.target = next
    return { effects, next }
  }

  /**
   * Calls `wake` once, when a timer earlier than the driver's next wake is scheduled or an Effect is
   * deferred — at once if one was deferred since `takeDue`. The function returned stops waiting.
   */
  onWake(wake: () => void): () => void {
    if (this.deferred.length > 0) {
      wake()
      return () => undefined
    }
    this.wake = wake
    return () => {
      if (this.wake === wake) this.wake = undefined
    }
  }
}

/** A timer heap as the public `Deadlines`: callbacks at a time, on the heap's Clock. */
export const deadlinesOf = (timers: Timers): Deadlines => ({
  now: () => timers.now(),
  after: (millis, fire) => {
    if (millis === Number.POSITIVE_INFINITY) return undefined
    const t = timer(() => {
      fire()
      return undefined
    })
    timers.schedule(t, timers.now() + millis)
    return t
  },
  cancel: (deadline) => {
    if (deadline !== undefined) timers.cancel(deadline as Timer)
  },
})
