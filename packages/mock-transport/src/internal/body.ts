/** The bytes of a request body, as the mock sees them. @internal */
import { Body, HttpError, Request } from "@courier/core"
import * as Effect from "effect/Effect"

export const bodyBytes = (request: Request.Request): Effect.Effect<Uint8Array, HttpError.HttpError> =>
  Effect.mapError(
    Body.toBytes(request.body),
    (e) => new HttpError.EncodeError({ request: Request.info(request), reason: e.reason }),
  )
