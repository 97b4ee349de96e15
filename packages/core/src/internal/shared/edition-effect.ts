/**
 * The Effect operations that the two Effect editions spell differently (issue 24): this file is the Effect 3
 * spelling, `edition-effect.effect4.ts` the Effect 4 one, put in its place by the Effect 4 build. Apart from
 * `edition.ts` (plain data and types, which the codec and the engine may use) because these run Effects.
 * @internal
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"

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
