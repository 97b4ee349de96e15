/**
 * Deadlines for the engine: a binary heap of timers ordered by time, and one driver fiber per transport that
 * sleeps on the Effect Clock until the earliest one. Scheduling and cancelling are plain calls, so a request
 * with deadlines pays a heap insert rather than a fiber per deadline (`Effect.timeoutFail` forks one), and
 * the callback paths (the pool's line, `Exchange.push`) can have deadlines at all. The driver sleeps again
 * only when a timer earlier than the one it sleeps for is added; with the default deadlines, all equal,
 * that is about once per deadline length. TestClock drives it like any other sleep.
 * @internal
 */
import type * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type { Timeouts } from "../../Request.js"

/** A duration in milliseconds, or `otherwise` when there is none. */
export const millisOf = (d: Duration.DurationInput | undefined, otherwise: number): number =>
  d === undefined ? otherwise : Duration.toMillis(Duration.decode(d))

/** Deadlines of the phases below the Client, in milliseconds (Infinity: none). */
export interface Phases {
  readonly acquire: number
  readonly connect: number
  readonly send: number
  readonly head: number
  readonly body: number
}

/** Each phase's deadline: the one `t` sets, else the default; `defaults` itself when `t` sets none. */
export const phasesOf = (t: Omit<Timeouts, "total"> | undefined, defaults: Phases): Phases => {
  if (
    t === undefined ||
    (t.acquire === undefined &&
      t.connect === undefined &&
      t.send === undefined &&
      t.head === undefined &&
      t.body === undefined)
  ) {
    return defaults
  }
  return {
    acquire: millisOf(t.acquire, defaults.acquire),
    connect: millisOf(t.connect, defaults.connect),
    send: millisOf(t.send, defaults.send),
    head: millisOf(t.head, defaults.head),
    body: millisOf(t.body, defaults.body),
  }
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

export class Timers {
  private readonly heap: Array<Timer> = []
  /** When the driver wakes next (Infinity: only when woken). */
  private target = Number.POSITIVE_INFINITY
  private wake: (() => void) | undefined
  /** Effects handed over by `defer`, for the driver to run. */
  private deferred: Array<Effect.Effect<void>> = []

  constructor(private readonly clock: Clock.Clock) {}

  now(): number {
    return this.clock.unsafeCurrentTimeMillis()
  }

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
    const last = this.heap.pop() as Timer
    if (i === this.heap.length) return
    this.heap[i] = last
    last.index = i
    this.up(i)
    this.down(last.index)
  }

  /** How many timers are scheduled. */
  get size(): number {
    return this.heap.length
  }

  private swap(i: number, j: number): void {
    const a = this.heap[i] as Timer
    const b = this.heap[j] as Timer
    this.heap[i] = b
    this.heap[j] = a
    b.index = i
    a.index = j
  }

  private up(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1
      if ((this.heap[parent] as Timer).at <= (this.heap[i] as Timer).at) return
      this.swap(i, parent)
      i = parent
    }
  }

  private down(i: number): void {
    const n = this.heap.length
    while (true) {
      const l = 2 * i + 1
      const r = l + 1
      let least = i
      if (l < n && (this.heap[l] as Timer).at < (this.heap[least] as Timer).at) least = l
      if (r < n && (this.heap[r] as Timer).at < (this.heap[least] as Timer).at) least = r
      if (least === i) return
      this.swap(i, least)
      i = least
    }
  }

  /** Fires every timer that is due, then sleeps until the next one or until an earlier one is added. */
  private readonly step: Effect.Effect<void> = Effect.suspend(() => {
    const now = this.now()
    const effects = this.deferred
    this.deferred = []
    while (this.heap.length > 0 && (this.heap[0] as Timer).at <= now) {
      const t = this.heap[0] as Timer
      this.cancel(t)
      const effect = t.fire()
      if (effect !== undefined) effects.push(effect)
    }
    const next = this.heap.length === 0 ? Number.POSITIVE_INFINITY : (this.heap[0] as Timer).at
    this.target = next
    const woken = Effect.async<void>((resume) => {
      if (this.deferred.length > 0) return resume(Effect.void)
      this.wake = () => resume(Effect.void)
      return Effect.sync(() => {
        this.wake = undefined
      })
    })
    const wait =
      next === Number.POSITIVE_INFINITY ? woken : Effect.raceFirst(this.clock.sleep(Duration.millis(next - now)), woken)
    return effects.length === 0 ? wait : Effect.zipRight(Effect.all(effects, { discard: true }), wait)
  })

  /** The driver: runs until interrupted (the transport's scope closes). */
  readonly run: Effect.Effect<never> = Effect.forever(this.step)
}

/** A timer heap as callbacks at a time on its Clock: the public `Deadlines`. */
export interface Callbacks {
  readonly now: () => number
  readonly after: (millis: number, fire: () => void) => { readonly at: number } | undefined
  readonly cancel: (deadline: { readonly at: number } | undefined) => void
}

export const deadlinesOf = (timers: Timers): Callbacks => ({
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
