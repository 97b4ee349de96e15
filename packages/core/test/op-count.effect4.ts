/**
 * Counts the runtime operations an effect evaluates: the Effect 4 spelling of `op-count.ts`.
 */
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"

/** The edition counted, as reports name it. */
export const EDITION = "Effect 4"

/** A fiber's run loop, as Effect 4's fibers all share it (their prototype's `runLoop`). */
interface RunLoop {
  runLoop(this: { readonly currentOpCount: number }, effect: unknown): unknown
}

// Effect 4 has no op supervision. Each slice of a fiber's run (from a resumption to the next suspension)
// counts its operations in `currentOpCount`; the fiber's prototype's `runLoop` is wrapped while `effect`
// runs on a fiber of its own, and the slices of that fiber and of the fibers it starts are added up.
export const countingOps = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<readonly [A, number], E, R> =>
  Effect.acquireUseRelease(
    Effect.sync(() => {
      const counted = { ops: 0, counting: false }
      const proto = Object.getPrototypeOf(Effect.runFork(Effect.void)) as RunLoop
      const original = proto.runLoop
      proto.runLoop = function (this: { readonly currentOpCount: number }, current: unknown) {
        try {
          return original.call(this, current)
        } finally {
          if (counted.counting) counted.ops += this.currentOpCount
        }
      }
      return { counted, proto, original }
    }),
    ({ counted }) =>
      Effect.flatMap(
        Effect.forkChild(
          Effect.suspend(() => {
            counted.counting = true
            return Effect.ensuring(
              effect,
              Effect.sync(() => {
                counted.counting = false
              }),
            )
          }),
        ),
        (fiber) => Effect.map(Fiber.join(fiber), (a) => [a, counted.ops] as const),
      ),
    ({ proto, original }) =>
      Effect.sync(() => {
        proto.runLoop = original
      }),
  )
