/**
 * `suspended`, for the suites that run on the Effect 3 edition only (scripts/edition4/both-editions.json says
 * why): Effect 4 does not publish a fiber's status.
 */
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"

/**
 * Waits until the fiber is suspended: blocked on a callback (a place in the pool's line, a socket that has
 * not answered), which is the state the next step of a test needs. No real time passes.
 */
export const suspended = <A, E>(fiber: Fiber.RuntimeFiber<A, E>): Effect.Effect<void> =>
  Effect.flatMap(Fiber.status(fiber), (s) =>
    s._tag === "Suspended" ? Effect.void : Effect.andThen(Effect.yieldNow(), suspended(fiber)),
  )
