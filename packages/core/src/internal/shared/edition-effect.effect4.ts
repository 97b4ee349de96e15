/**
 * The Effect operations that the two Effect editions spell differently (issue 24): this file is the Effect 4
 * spelling, put in place of `edition-effect.ts` by the Effect 4 build and type-checked against effect 4 by
 * `pnpm probe:effect4`; the root tsconfig leaves it out.
 * @internal
 */
import * as Cause from "effect/Cause"
import type * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import type * as Option from "effect/Option"
import * as Scope from "effect/Scope"
import * as Semaphore from "effect/Semaphore"
import type { CloseableScope, Result } from "./edition.js"
import type { CatchCause, Run } from "./edition-types.js"

/** An Effect that a callback resumes: Effect 3's `Effect.async`, Effect 4's `Effect.callback`. */
export const callback = <A, E = never, R = never>(
  register: (
    resume: (effect: Effect.Effect<A, E, R>) => void,
    signal: AbortSignal,
  ) => void | Effect.Effect<void, never, R>,
): Effect.Effect<A, E, R> => Effect.callback<A, E, R>((resume, signal) => register(resume, signal))

/** A service's key, declared as Effect 4 writes it: `class X extends Service<X, Shape>()("key") {}`. */
export const Service = <Self, Shape>() => Context.Service<Self, Shape>()

/** A semaphore of `permits` permits: Effect 3's `Effect.makeSemaphore`, Effect 4's `Semaphore.make`. */
export const makeSemaphore: (permits: number) => Effect.Effect<Semaphore.Semaphore> = Semaphore.make

/** The clock's time in milliseconds, read now (not as an Effect). */
export const nowMillis = (clock: Clock.Clock): number => clock.currentTimeMillisUnsafe()

export type { Run } from "./edition-types.js"

/** A `Run` on the runtime (Effect 4: the context) of the fiber that asks for it. */
export const runner: Effect.Effect<Run> = Effect.map(Effect.context<never>(), (context) => {
  const run = Effect.runCallbackWith(context)
  return (effect, options) => {
    const interrupt = run(effect, options)
    return () => interrupt()
  }
})

/** Whether a cause is interruptions only: no failure, no defect. */
export const interruptedOnly: <E>(cause: Cause.Cause<E>) => boolean = Cause.hasInterruptsOnly

/** The error a failed Effect failed with, if any (none for a defect or an interruption). */
export const failureOf: <E>(cause: Cause.Cause<E>) => Option.Option<E> = Cause.findErrorOption

const catch_ = Effect.catch

export {
  /** Recovers from any failure (Effect 3's `Effect.catchAll`, Effect 4's `Effect.catch`). */
  catch_ as catch,
}

/** A scope inside `scope`, closed with it, whose finalizers run one after another. */
export const forkScope = (scope: Scope.Scope): Effect.Effect<CloseableScope> => Scope.fork(scope, "sequential")

/** `effect` with its scoped resources in `scope` (Effect 3's `Scope.extend`, Effect 4's `Scope.provide`). */
export const inScope = <A, E, R>(
  effect: Effect.Effect<A, E, R>,
  scope: Scope.Scope,
): Effect.Effect<A, E, Exclude<R, Scope.Scope>> => Scope.provide(effect, scope)

/** `effect`, or the failure `onTimeout` makes once `millis` pass first. */
export const timeoutFail = <A, E, R, E2>(
  effect: Effect.Effect<A, E, R>,
  millis: number,
  onTimeout: () => E2,
): Effect.Effect<A, E | E2, R> =>
  Effect.timeoutOrElse(effect, { duration: millis, orElse: () => Effect.fail(onTimeout()) })

/** Recovers from any cause, defects and interruptions included (Effect 3's `catchAllCause`). */
export const catchCause: CatchCause = Effect.catchCause

/** Runs `effect` in a fiber of its own, outside any parent (Effect 3's `forkDaemon`, Effect 4's `forkDetach`). */
export const forkDetach = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<unknown, never, R> =>
  Effect.forkDetach(effect)

/** How `effect` ended, as a value (Effect 3's `Effect.either`, Effect 4's `Effect.result`). */
export const result = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<Result<A, E>, never, R> =>
  Effect.result(effect)
