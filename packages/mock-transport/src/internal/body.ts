/** The bytes of a request body, as the mock sees them. @internal */
import { Body, HttpError, type Request } from "@courier/core"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Stream from "effect/Stream"

export const bodyBytes = (request: Request.Request): Effect.Effect<Uint8Array, HttpError.HttpError> => {
  const info = { method: request.method, url: request.url }
  const encoded = Body.encode(request.body)
  if (Either.isLeft(encoded)) return Effect.fail(new HttpError.EncodeError({ request: info, reason: encoded.left }))
  const body = encoded.right
  if (body._tag === "Fixed") return Effect.succeed(body.bytes)
  return Stream.runCollect(body.stream).pipe(
    Effect.map((chunks) => {
      const all = Chunk.toReadonlyArray(chunks)
      const out = new Uint8Array(all.reduce((n, c) => n + c.length, 0))
      let at = 0
      for (const c of all) {
        out.set(c, at)
        at += c.length
      }
      return out
    }),
    Effect.mapError((e) => new HttpError.EncodeError({ request: info, reason: String(e) })),
  )
}
