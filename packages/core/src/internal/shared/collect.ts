/**
 * A byte stream read into memory under a limit: the one rule behind a StatusError's body and a request body
 * read for a signer.
 * @internal
 */
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { concatAll } from "./bytes.js"

/** The stream's bytes, failing with `tooLarge(received)` as soon as they pass `maxBytes`: no more is held. */
export const collectBounded = <E, E2>(
  stream: Stream.Stream<Uint8Array, E>,
  maxBytes: number,
  tooLarge: (received: number) => E2,
): Effect.Effect<Uint8Array, E | E2> =>
  Effect.suspend(() => {
    const acc = collected()
    const each = (chunk: Uint8Array): Effect.Effect<void, E2> => {
      acc.size += chunk.length
      if (acc.size > maxBytes) return Effect.fail(tooLarge(acc.size))
      acc.chunks.push(chunk)
      return Effect.void
    }
    return Effect.map(Stream.runForEach(stream, each), () => concatAll(acc.chunks))
  })

/** The chunks of a body read so far, and their size. */
interface Collected {
  readonly chunks: Array<Uint8Array>
  size: number
}

const collected = (): Collected => ({ chunks: [], size: 0 })
