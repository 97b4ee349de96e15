/**
 * Reading a result in a test: Effect 3's `Either` and Effect 4's `Result`, through the edition's one
 * spelling of them (`Result` in src/internal/shared/edition.ts), so a suite reads results alike on both.
 */
import { Result } from "../src/internal/shared/edition.js"

export { Result }

/** The value of a successful result; a failed one fails the test with its error. */
export const getOrThrow = <A, E>(result: Result<A, E>): A => {
  if (Result.isSuccess(result)) return Result.success(result)
  throw new Error(`expected a success, got ${JSON.stringify(Result.failure(result))}`)
}

/** The error of a failed result, or undefined for a successful one. */
export const failureOf = <A, E>(result: Result<A, E>): E | undefined =>
  Result.isFailure(result) ? Result.failure(result) : undefined
