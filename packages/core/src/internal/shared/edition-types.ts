/**
 * Signatures that both spellings of the edition's Effect operations share (issue 24), written once: they
 * name only types that both Effect majors have (`Effect`, `Exit`, `Cause`).
 * @internal
 */
import type * as Cause from "effect/Cause"
import type * as Effect from "effect/Effect"
import type * as Exit from "effect/Exit"

/** Runs an Effect in the background, telling `onExit` how it ended; the function returned interrupts it. */
export type Run = <A, E>(
  effect: Effect.Effect<A, E>,
  options: { readonly onExit: (exit: Exit.Exit<A, E>) => void },
) => () => void

/** Recovers from any cause, defects and interruptions included, data-last or data-first. */
export interface CatchCause {
  <E, A2, E2, R2>(
    f: (cause: Cause.Cause<E>) => Effect.Effect<A2, E2, R2>,
  ): <A, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A | A2, E2, R | R2>
  <A, E, R, A2, E2, R2>(
    self: Effect.Effect<A, E, R>,
    f: (cause: Cause.Cause<E>) => Effect.Effect<A2, E2, R2>,
  ): Effect.Effect<A | A2, E2, R | R2>
}

/** Runs an Effect in a fiber of a scope's; the function returned interrupts it without waiting. */
export type Fork = <A, E>(effect: Effect.Effect<A, E>) => () => void
