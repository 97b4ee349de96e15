/**
 * The body behind a `StatusError`: read on demand, at most a limit, once. The error keeps the reader out of
 * its fields (so equality and its JSON form do not see it); the Response module attaches it.
 * @internal
 */
import type * as Effect from "effect/Effect"
import type { HttpError, StatusError } from "../../HttpError.js"

/** Reads at most `maxBytes` of the body; past them a `BodyTooLarge`. */
export type BodyReader = (maxBytes: number) => Effect.Effect<Uint8Array, HttpError>

const readers = new WeakMap<StatusError, BodyReader>()

export const attach = (error: StatusError, read: BodyReader): StatusError => {
  readers.set(error, read)
  return error
}

export const readerOf = (error: StatusError): BodyReader | undefined => readers.get(error)
