/**
 * Counts the runtime operations an effect evaluates, for the request-cost test and the bench's `ops` report
 * (kept apart from `edition.ts` so the bench can import it without vitest). This is the Effect 3 spelling;
 * `op-count.effect4.ts` is the Effect 4 one.
 */
import * as Effect from "effect/Effect"
import * as RuntimeFlags from "effect/RuntimeFlags"
import * as RuntimeFlagsPatch from "effect/RuntimeFlagsPatch"
import * as Supervisor from "effect/Supervisor"

/** The edition counted, as reports name it. */
export const EDITION = "Effect 3"

/** A Supervisor that counts the operations of the fibers it supervises. */
class OpCounter extends Supervisor.AbstractSupervisor<number> {
  ops = 0
  readonly value = Effect.sync(() => this.ops)
  override onEffect(): void {
    this.ops++
  }
}

/**
 * Runs `effect` with the runtime operations it evaluates counted: the fiber that runs it and every fiber
 * it starts. Effect 3 reports each one to a Supervisor when op supervision is on.
 */
export const countingOps = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<readonly [A, number], E, R> =>
  Effect.suspend(() => {
    const counter = new OpCounter()
    return Effect.map(
      effect.pipe(
        Effect.supervised(counter),
        Effect.withRuntimeFlagsPatch(RuntimeFlagsPatch.enable(RuntimeFlags.OpSupervision)),
      ),
      (a) => [a, counter.ops] as const,
    )
  })
