/**
 * The Effect operations that the two Effect editions spell differently (issue 24): this file is the Effect 4
 * spelling, put in place of `edition-effect.ts` by the Effect 4 build and type-checked against effect 4 by
 * `pnpm probe:effect4`; the root tsconfig leaves it out.
 * @internal
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"

/** An Effect that a callback resumes: Effect 3's `Effect.async`, Effect 4's `Effect.callback`. */
export const callback = <A, E = never, R = never>(
  register: (
    resume: (effect: Effect.Effect<A, E, R>) => void,
    signal: AbortSignal,
  ) => void | Effect.Effect<void, never, R>,
): Effect.Effect<A, E, R> => Effect.callback<A, E, R>((resume, signal) => register(resume, signal))

/** A service's key, declared as Effect 4 writes it: `class X extends Service<X, Shape>()("key") {}`. */
export const Service = <Self, Shape>() => Context.Service<Self, Shape>()
