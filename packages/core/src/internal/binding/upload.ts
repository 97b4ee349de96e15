/**
 * The pump of a request body stream: the exchange's Sending state (engine/sending.ts) writes the body and
 * says when it may take the next piece; this pulls the Effect Stream one piece at a time and offers each,
 * and stops pulling as soon as the exchange no longer wants the body (the server answered first, or the
 * exchange failed). A body in memory needs no pump: the Sending state writes it alone.
 * @internal
 */
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { EncodeError } from "../../HttpError.js"
import type { Exchange } from "../engine/exchange.js"
import type { Next } from "../engine/sending.js"
import * as Edition from "../shared/edition-effect.js"
import { answered } from "./socket.js"

/** One offer to the exchange, as an Effect: true when it may take the next piece. */
const offered = (offer: (next: Next) => () => void): Effect.Effect<boolean> =>
  answered<boolean, never>((answer) => offer((more) => answer(Effect.succeed(more))))

/** Pulls a request body stream into the exchange, piece after piece, then its end. Never fails. */
export const pump = (ex: Exchange, stream: Stream.Stream<Uint8Array, unknown>): Effect.Effect<void> =>
  Effect.suspend(() => {
    let wanted = true
    const each = (bytes: Uint8Array) =>
      Effect.map(
        offered((next) => ex.offer(bytes, next)),
        (more) => (wanted = more),
      )
    return Stream.runForEachWhile(stream, each).pipe(
      Effect.andThen(Effect.suspend(() => (wanted ? Effect.asVoid(offered((next) => ex.endBody(next))) : Effect.void))),
      Edition.catch((e) =>
        Effect.sync(() => ex.failBody(new EncodeError({ request: ex.prepared.info, reason: String(e) }))),
      ),
    )
  })
