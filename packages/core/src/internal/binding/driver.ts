/**
 * The driver of a transport's timer heap (engine/timers.ts): one fiber that fires what is due, runs the
 * Effects the engine handed over (closing a socket nobody waits for), then sleeps on the Effect Clock until
 * the earliest timer, or until an earlier one is added. TestClock drives it like any other sleep.
 * @internal
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import { Timers } from "../engine/timers.js"
import { callback, nowMillis } from "../shared/edition-effect.js"

/** Fires every timer that is due, then sleeps until the next one or until an earlier one is added. */
const step = (timers: Timers): Effect.Effect<void> =>
  Effect.suspend(() => {
    const now = timers.now()
    const { effects, next } = timers.takeDue(now)
    const woken = callback<void>((resume) => Effect.sync(timers.onWake(() => resume(Effect.void))))
    const wait =
      next === Number.POSITIVE_INFINITY ? woken : Effect.raceFirst(Effect.sleep(Duration.millis(next - now)), woken)
    return effects.length === 0 ? wait : Effect.andThen(Effect.all(effects, { discard: true }), wait)
  })

/** Runs the heap's timers on the fiber's Clock until interrupted (the transport's scope closes). */
export const drive = (timers: Timers): Effect.Effect<never> => Effect.forever(step(timers))

/** A timer heap on the current Clock, its driver forked in the current scope. */
export const timers: Effect.Effect<Timers, never, Scope.Scope> = Effect.clockWith((clock) => {
  const heap = new Timers(() => nowMillis(clock))
  return Effect.as(Effect.forkScoped(drive(heap)), heap)
})
