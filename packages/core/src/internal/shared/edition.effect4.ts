/**
 * What the two Effect editions spell differently, in one place (issue 24; docs/ARCHITECTURE.md, "The Effect
 * 4 edition"). This file is the Effect 4 spelling, put in place of `edition.ts` by the Effect 4 build and
 * type-checked against effect 4 by `pnpm probe:effect4`; the root tsconfig leaves it out.
 * @internal
 */
import * as Duration from "effect/Duration"
import * as Base64 from "effect/encoding/Base64"
import type * as Option from "effect/Option"
import * as R from "effect/Result"
import type * as Scope from "effect/Scope"

/** What a duration may be given as: `"5 seconds"`, a number of milliseconds, a Duration … */
export type DurationInput = Duration.Input

/** A scope its owner closes (a connection's, say). */
export type CloseableScope = Scope.Closeable

/** A result as plain data: Effect 3's `Either`, Effect 4's `Result`. */
export type Result<A, E> = R.Result<A, E>
/** A result that failed, once narrowed by `Result.isFailure`. */
export type Failure<A, E> = R.Failure<A, E>
/** A result that succeeded, once narrowed by `Result.isSuccess`. */
export type Success<A, E> = R.Success<A, E>

/** The operations on `Result` that the source uses, named as Effect 4 names them. */
export const Result = {
  succeed: R.succeed,
  fail: R.fail,
  isFailure: R.isFailure,
  isSuccess: R.isSuccess,
  map: R.map,
  mapError: R.mapError,
  flatMap: R.flatMap,
  /** The error of a failed result. */
  failure: <A, E>(self: Failure<A, E>): E => self.failure,
  /** The value of a successful result, or undefined for a failed one. */
  getOrUndefined: <A, E>(self: Result<A, E>): A | undefined => (R.isSuccess(self) ? self.success : undefined),
  /** The value of a successful result. */
  success: <A, E>(self: Success<A, E>): A => self.success,
  match: <A, E, B, C = B>(
    self: Result<A, E>,
    cases: { readonly onFailure: (e: E) => B; readonly onSuccess: (a: A) => C },
  ): B | C => (R.isFailure(self) ? cases.onFailure(self.failure) : cases.onSuccess(self.success)),
} as const

/** A duration given any way a `DurationInput` may be; the caller knows it is a valid one. */
export const toDuration: (input: DurationInput) => Duration.Duration = Duration.fromInputUnsafe

/** A duration given any way a `DurationInput` may be, or none when it is not one. */
export const decodeDuration: (input: DurationInput) => Option.Option<Duration.Duration> = Duration.fromInput

/** `hash`, kept on `self` for the next time where the edition can (Effect 3's `Hash.cached`). */
export const cachedHash = (_self: object, hash: number): number => hash

/** The text's UTF-8 bytes in base64. */
export const encodeBase64: (text: string) => string = Base64.encode
