/**
 * The Effect operations that the two Effect editions spell differently (issue 24): this file is the Effect 3
 * spelling, `edition-effect.effect4.ts` the Effect 4 one, put in its place by the Effect 4 build. Apart from
 * `edition.ts` (plain data and types, which the codec and the engine may use) because these run Effects.
 * @internal
 */
import * as Cause from "effect/Cause"
import type * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as ExecutionStrategy from "effect/ExecutionStrategy"
import type * as Option from "effect/Option"
import * as Runtime from "effect/Runtime"
import * as Scope from "effect/Scope"
import type { CloseableScope, Result } from "./edition.js"
import type { CatchCause, Run } from "./edition-types.js"

/** An Effect that a callback resumes: Effect 3's `Effect.async`, Effect 4's `Effect.callback`. */
export const callback: <A, E = never, R = never>(
  register: (
    resume: (effect: Effect.Effect<A, E, R>) => void,
    signal: AbortSignal,
  ) => void | Effect.Effect<void, never, R>,
) => Effect.Effect<A, E, R> = Effect.async

/** A service's key, declared as Effect 4 writes it: `class X extends Service<X, Shape>()("key") {}`. */
export const Service =
  <Self, Shape>() =>
  <const Key extends string>(key: Key) =>
    Context.Tag(key)<Self, Shape>()

/** A semaphore of `permits` permits: Effect 3's `Effect.makeSemaphore`, Effect 4's `Semaphore.make`. */
export const makeSemaphore: (permits: number) => Effect.Effect<Effect.Semaphore> = Effect.makeSemaphore

/** The clock's time in milliseconds, read now (not as an Effect). */
export const nowMillis = (clock: Clock.Clock): number => clock.unsafeCurrentTimeMillis()

export type { Run } from "./edition-types.js"

/** A `Run` on the runtime (Effect 4: the context) of the fiber that asks for it. */
export const runner: Effect.Effect<Run> = Effect.map(Effect.runtime<never>(), (runtime) => {
  const run = Runtime.runCallback(runtime)
  return (effect, options) => {
    const cancel = run(effect, options)
    return () => cancel()
  }
})

/** Whether a cause is interruptions only: no failure, no defect. */
export const interruptedOnly: <E>(cause: Cause.Cause<E>) => boolean = Cause.isInterruptedOnly

/** The error a failed Effect failed with, if any (none for a defect or an interruption). */
export const failureOf: <E>(cause: Cause.Cause<E>) => Option.Option<E> = Cause.failureOption

const catch_ = Effect.catchAll

export {
  /** Recovers from any failure (Effect 3's `Effect.catchAll`, Effect 4's `Effect.catch`). */
  catch_ as catch,
}

/** A scope inside `scope`, closed with it, whose finalizers run one after another. */
export const forkScope = (scope: Scope.Scope): Effect.Effect<CloseableScope> =>
  Scope.fork(scope, ExecutionStrategy.sequential)

/** `effect` with its scoped resources in `scope` (Effect 3's `Scope.extend`, Effect 4's `Scope.provide`). */
export const inScope = <A, E, R>(
  effect: Effect.Effect<A, E, R>,
  scope: Scope.Scope,
): Effect.Effect<A, E, Exclude<R, Scope.Scope>> => Scope.extend(effect, scope)

/** `effect`, or the failure `onTimeout` makes once `millis` pass first. */
export const timeoutFail = <A, E, R, E2>(
  effect: Effect.Effect<A, E, R>,
  millis: number,
  onTimeout: () => E2,
): Effect.Effect<A, E | E2, R> => Effect.timeoutFail(effect, { duration: millis, onTimeout })

/** Recovers from any cause, defects and interruptions included (Effect 3's `catchAllCause`). */
export const catchCause: CatchCause = Effect.catchAllCause

/** Runs `effect` in a fiber of its own, outside any parent (Effect 3's `forkDaemon`, Effect 4's `forkDetach`). */
export const forkDetach = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<unknown, never, R> =>
  Effect.forkDaemon(effect)

/** How `effect` ended, as a value (Effect 3's `Effect.either`, Effect 4's `Effect.result`). */
export const result = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<Result<A, E>, never, R> =>
  Effect.either(effect)
