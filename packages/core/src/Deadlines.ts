/**
 * Deadlines for transports written outside core: a timer heap driven by the Effect Clock, as the HTTP/1.1
 * engine uses. Scheduling and cancelling are plain calls (a heap insert, no fiber per deadline), the
 * callbacks run on one driver fiber, and `TestClock` moves them like any other sleep.
 *
 * @since 0.4.0
 */
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import { timers as driven } from "./internal/binding/driver.js"
import { phasesOf } from "./internal/binding/phases.js"
import { deadlinesOf, type Phases as EnginePhases } from "./internal/engine/timers.js"
import type { Timeouts } from "./Request.js"

/**
 * The deadline of each phase below the Client, in milliseconds (`Infinity`: none).
 *
 * @since 0.4.0
 * @category models
 */
export interface Phases extends EnginePhases {}

/**
 * Each phase's deadline: the one `timeouts` sets, else the default; `defaults` itself when `timeouts` sets
 * none, so a request without deadlines of its own allocates nothing.
 *
 * @since 0.4.0
 * @category constructors
 */
export const phases: (timeouts: Omit<Timeouts, "total"> | undefined, defaults: Phases) => Phases = phasesOf

/**
 * A scheduled deadline; cancel it with `Deadlines.cancel`.
 *
 * @since 0.4.0
 * @category models
 */
export interface Deadline {
  readonly at: number
}

/**
 * A heap of deadlines on one Clock.
 *
 * @since 0.4.0
 * @category models
 */
export interface Deadlines {
  /** The Clock's time in milliseconds. */
  readonly now: () => number
  /** Calls `fire` once the Clock reaches `now() + millis`; an infinite `millis` schedules nothing. */
  readonly after: (millis: number, fire: () => void) => Deadline | undefined
  /** Cancels a deadline that has not fired; does nothing for one that has, or for `undefined`. */
  readonly cancel: (deadline: Deadline | undefined) => void
}

/**
 * Starts a heap whose driver runs until the scope closes.
 *
 * @since 0.4.0
 * @category constructors
 */
export const make: Effect.Effect<Deadlines, never, Scope.Scope> = Effect.gen(function* () {
  return deadlinesOf(yield* driven)
})
