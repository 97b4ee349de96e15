/**
 * What the two Effect editions spell differently, in one place (issue 24; docs/ARCHITECTURE.md, "The Effect
 * 4 edition"). This file is the Effect 3 spelling. The Effect 4 build puts `edition.effect4.ts` in its place
 * (`pnpm probe:effect4` type-checks that swap), so every other module is written once, against these names.
 * @internal
 */
import * as Duration from "effect/Duration"
import * as Either from "effect/Either"
import * as Encoding from "effect/Encoding"
import * as Hash from "effect/Hash"
import type * as Option from "effect/Option"
import type * as Scope from "effect/Scope"

/** What a duration may be given as: `"5 seconds"`, a number of milliseconds, a Duration … */
export type DurationInput = Duration.DurationInput

/** A scope its owner closes (a connection's, say). */
export type CloseableScope = Scope.CloseableScope

/** A result as plain data: Effect 3's `Either`, Effect 4's `Result`. */
export type Result<A, E> = Either.Either<A, E>
/** A result that failed, once narrowed by `Result.isFailure`. */
export type Failure<A, E> = Either.Left<E, A>
/** A result that succeeded, once narrowed by `Result.isSuccess`. */
export type Success<A, E> = Either.Right<E, A>

/** The operations on `Result` that the source uses, named as Effect 4 names them. */
export const Result = {
  succeed: Either.right,
  fail: Either.left,
  isFailure: Either.isLeft,
  isSuccess: Either.isRight,
  map: Either.map,
  mapError: Either.mapLeft,
  flatMap: Either.flatMap,
  /** The error of a failed result. */
  failure: <A, E>(self: Failure<A, E>): E => self.left,
  /** The value of a successful result, or undefined for a failed one. */
  getOrUndefined: <A, E>(self: Result<A, E>): A | undefined => (Either.isRight(self) ? self.right : undefined),
  /** The value of a successful result. */
  success: <A, E>(self: Success<A, E>): A => self.right,
  match: <A, E, B, C = B>(
    self: Result<A, E>,
    cases: { readonly onFailure: (e: E) => B; readonly onSuccess: (a: A) => C },
  ): B | C => (Either.isLeft(self) ? cases.onFailure(self.left) : cases.onSuccess(self.right)),
} as const

/** A duration given any way a `DurationInput` may be; the caller knows it is a valid one. */
export const toDuration: (input: DurationInput) => Duration.Duration = Duration.decode

/** A duration given any way a `DurationInput` may be, or none when it is not one. */
export const decodeDuration: (input: DurationInput) => Option.Option<Duration.Duration> = Duration.decodeUnknown

/** `hash`, kept on `self` for the next time where the edition can (Effect 3's `Hash.cached`). */
export const cachedHash: (self: object, hash: number) => number = Hash.cached

/** The text's UTF-8 bytes in base64. */
export const encodeBase64: (text: string) => string = Encoding.encodeBase64
