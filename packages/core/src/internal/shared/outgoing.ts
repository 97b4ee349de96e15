/**
 * A request as any protocol sends it, before framing: its own header fields checked (no framing field of
 * the caller's own, a `Content-Length` that agrees with the body, no upgrade), the `Content-Type` its body
 * implies, the body encoded with its length, and what the request asks of the exchange (`100 Continue`, a
 * closed connection). HTTP/1.1 adds Host and its framing when it writes the head (`http1/request-head.ts`);
 * HTTP/2 adds its pseudo-header fields.
 * @internal
 */

import * as Body from "../../Body.js"
import { EncodeError, type HttpError, InvalidHeader, type RequestInfo } from "../../HttpError.js"
import type { Outgoing, Request } from "../../Request.js"
import { Result } from "./edition.js"
import { BODYLESS_METHODS } from "./semantics.js"

export type { Outgoing } from "../../Request.js"

/** The request as any protocol sends it, or why it cannot be sent. */
export const outgoing = (request: Request, info: RequestInfo): Result<Outgoing, HttpError> => {
  const encoded = Body.encode(request.body)
  if (Result.isFailure(encoded))
    return Result.fail(new EncodeError({ request: info, reason: Result.failure(encoded).reason }))
  const body = Result.success(encoded)
  const fields: Array<readonly [string, string]> = []
  let close = false
  let hasType = false
  let declaredLength: string | undefined
  let expectAsked = request.expectContinue
  for (const entry of request.headers.entries) {
    const lower = entry[0].toLowerCase()
    // The framing is Courier's to write: a caller-set Transfer-Encoding or Upgrade would desynchronise it.
    if (lower === "transfer-encoding") {
      return Result.fail(new InvalidHeader({ request: info, name: entry[0], reason: "framing is set by Courier" }))
    }
    if (lower === "content-length") {
      declaredLength = entry[1].trim()
      continue
    }
    if (lower === "connection") {
      const tokens = entry[1].toLowerCase()
      if (tokens.includes("upgrade")) {
        return Result.fail(new InvalidHeader({ request: info, name: entry[0], reason: "upgrades are not supported" }))
      }
      if (tokens.includes("close")) close = true
    }
    if (lower === "expect" && entry[1].trim().toLowerCase() === "100-continue") {
      // The caller's own `Expect: 100-continue` gets the behaviour with it.
      expectAsked = true
      continue
    }
    if (lower === "content-type") hasType = true
    fields.push(entry)
  }
  const length = body._tag === "Fixed" ? body.bytes.length : body.length
  if (declaredLength !== undefined && declaredLength !== String(length)) {
    const reason = `Content-Length ${declaredLength} disagrees with the body (${length ?? "unknown length"})`
    return Result.fail(new InvalidHeader({ request: info, name: "Content-Length", reason }))
  }
  if (!hasType && body.contentType !== undefined) fields.push(["Content-Type", body.contentType])
  const contentLength =
    length !== undefined && (length > 0 || !BODYLESS_METHODS.has(request.method)) ? length : undefined
  return Result.succeed({ fields, body, length, contentLength, expect: expectAsked && length !== 0, close })
}
