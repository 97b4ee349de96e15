/**
 * Reading a result or an exit in a test: Effect 3's `Either` and Effect 4's `Result`, and the error of an
 * Exit, through the edition's one spelling of them (src/internal/shared/edition.ts and edition-effect.ts), so
 * a suite reads them alike on both.
 */
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import { Result } from "../src/internal/shared/edition.js"
import { failureOf as failureOfCause } from "../src/internal/shared/edition-effect.js"

export { Result }

/** The value of a successful result; a failed one fails the test with its error. */
export const getOrThrow = <A, E>(result: Result<A, E>): A => {
  if (Result.isSuccess(result)) return Result.success(result)
  throw new Error(`expected a success, got ${JSON.stringify(Result.failure(result))}`)
}

/** The error of a failed result, or undefined for a successful one. */
export const failureOf = <A, E>(result: Result<A, E>): E | undefined =>
  Result.isFailure(result) ? Result.failure(result) : undefined

/** The error an exit failed with, or undefined when it succeeded or ended another way. */
export const errorOf = <A, E>(exit: Exit.Exit<A, E>): E | undefined =>
  Exit.isFailure(exit) ? Option.getOrUndefined(failureOfCause(exit.cause)) : undefined
