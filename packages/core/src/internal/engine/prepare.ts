/**
 * Before the wire: a request validated and encoded for one exchange. The head is checked before any byte is
 * written (framing headers, header injection, a Content-Length that disagrees with the body), and a body in
 * memory of up to 64 KiB is encoded with the head, so one write carries both.
 * @internal
 */
import type * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Body from "../../Body.js"
import * as Headers from "../../Headers.js"
import * as Http1 from "../../Http1.js"
import { EncodeError, type HttpError, InvalidHeader, type RequestInfo } from "../../HttpError.js"
import type { Request } from "../../Request.js"
import type * as Response from "../../Response.js"
import type { Url } from "../../Url.js"
import { concat } from "../bytes.js"
import { encodeRequest } from "../http1/head.js"
import { isIdempotent } from "../request.js"
import { BODYLESS_METHODS } from "../semantics.js"
import { millisOf, type PhaseMillis, phasesOf } from "./timers.js"

export interface Prepared {
  readonly info: RequestInfo
  readonly method: string
  readonly url: Url
  /** The head, followed by the body when `whole`: a body in memory of up to COALESCE_BYTES. */
  readonly head: Uint8Array
  /** `head` holds the body too: one write carries the whole request. */
  readonly whole: boolean
  readonly body: Body.Encoded
  /** The head asks for `100 Continue` before the body (`Request.expectContinue`, and there is a body). */
  readonly expect: boolean
  /** The request's limit on the response body as received, if it set one. */
  readonly maxResponseBytes: number | undefined
  /** The caller asked for `Connection: close`. */
  readonly close: boolean
  /** The request may be sent again on a fresh connection if a reused one turns out to be dead. */
  readonly replayable: boolean
  /** Phase deadlines in milliseconds; Infinity for none. */
  readonly timeouts: PhaseTimeouts
  readonly onInformational: ((i: Response.Informational) => Effect.Effect<void>) | undefined
}

/** Bodies up to this size go out in the same write as the head: one syscall for most requests. */
const COALESCE_BYTES = 64 * 1024

/** The fields of a request head after Host, as written, and what they ask of the exchange. */
interface Fields {
  readonly fields: Array<readonly [string, string]>
  /** The caller asked for `Connection: close`. */
  readonly close: boolean
  /** `Expect: 100-continue` is sent. */
  readonly expect: boolean
}

/**
 * The fields written after Host: the request's own, less the framing (a caller-set Transfer-Encoding or
 * Upgrade is refused, a Content-Length must agree with the body), then what the body implies — Content-Type,
 * Content-Length or chunked framing, Expect — and the proxy's credentials when forwarded.
 */
const fieldsOf = (
  request: Request,
  info: RequestInfo,
  body: Body.Encoded,
  forward: { readonly authorization: string | undefined } | undefined,
): Either.Either<Fields, HttpError> => {
  const fields: Array<readonly [string, string]> = []
  let close = false
  let hasType = false
  let declaredLength: string | undefined
  let expectAsked = request.expectContinue
  for (const entry of request.headers.entries) {
    const lower = entry[0].toLowerCase()
    // The framing is Courier's to write: a caller-set Transfer-Encoding or Upgrade would desynchronise it.
    if (lower === "transfer-encoding") {
      return Either.left(new InvalidHeader({ request: info, name: entry[0], reason: "framing is set by Courier" }))
    }
    if (lower === "content-length") {
      declaredLength = entry[1].trim()
      continue
    }
    if (lower === "connection") {
      const tokens = entry[1].toLowerCase()
      if (tokens.includes("upgrade")) {
        return Either.left(new InvalidHeader({ request: info, name: entry[0], reason: "upgrades are not supported" }))
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
    return Either.left(new InvalidHeader({ request: info, name: "Content-Length", reason }))
  }
  if (!hasType && body.contentType !== undefined) fields.push(["Content-Type", body.contentType])
  if (length === undefined) fields.push(["Transfer-Encoding", "chunked"])
  else if (length > 0 || !BODYLESS_METHODS.has(request.method)) fields.push(["Content-Length", String(length)])
  const expect = expectAsked && length !== 0
  if (expect) fields.push(["Expect", "100-continue"])
  if (forward?.authorization !== undefined && !fields.some(([k]) => k.toLowerCase() === "proxy-authorization")) {
    fields.push(["Proxy-Authorization", forward.authorization])
  }
  return Either.right({ fields, close, expect })
}

const encoded = (request: Request, info: RequestInfo): Either.Either<Body.Encoded, HttpError> =>
  Either.mapLeft(Body.encode(request.body), (e) => new EncodeError({ request: info, reason: e.reason }))

/**
 * The header fields an HTTP/1.1 transport writes for `request` to `url`, in order: Host, then `fieldsOf`;
 * checked as the head would be; with the body they describe.
 */
export const wire = (
  request: Request,
  url: Url,
  info: RequestInfo,
): Either.Either<{ readonly headers: Headers.Headers; readonly body: Body.Encoded }, HttpError> =>
  Either.flatMap(encoded(request, info), (body) =>
    Either.flatMap(fieldsOf(request, info, body, undefined), ({ fields }) => {
      const head = { method: request.method, target: url.target, host: url.hostHeader, headers: fields }
      const invalid = Http1.invalidHead(head)
      if (invalid !== undefined) return Either.left(new InvalidHeader({ request: info, ...invalid }))
      return Either.right({ headers: Headers.unsafeFromPairs([["Host", url.hostHeader], ...fields]), body })
    }),
  )

/**
 * Validates and encodes the request head. `forward` is the proxy an http request is forwarded through:
 * the target is then in absolute form and the proxy's credentials go in Proxy-Authorization.
 */
export const prepare = (
  request: Request,
  url: Url,
  info: RequestInfo,
  defaults: PhaseTimeouts,
  forward?: { readonly authorization: string | undefined },
): Either.Either<Prepared, HttpError> => {
  const encodedBody = encoded(request, info)
  if (Either.isLeft(encodedBody)) return Either.left(encodedBody.left)
  const body = encodedBody.right
  const written = fieldsOf(request, info, body, forward)
  if (Either.isLeft(written)) return Either.left(written.left)
  const { fields, close, expect } = written.right
  const target = forward === undefined ? url.target : url.href
  const head = { method: request.method, target, host: url.hostHeader, headers: fields }
  const whole = body._tag === "Fixed" && body.bytes.length <= COALESCE_BYTES && !expect
  // The fast encoder checks as it goes; the careful path runs only when it gives up, for the exact reason.
  let bytes = whole ? encodeRequest(head, body.bytes) : undefined
  if (bytes === undefined) {
    const invalid = Http1.invalidHead(head)
    if (invalid !== undefined) return Either.left(new InvalidHeader({ request: info, ...invalid }))
    bytes = Http1.encodeHead(head)
    if (whole) bytes = concat(bytes, body.bytes)
  }
  return Either.right({
    info,
    method: request.method,
    url,
    head: bytes,
    whole,
    body,
    expect,
    maxResponseBytes: request.maxResponseBytes,
    close,
    replayable: isIdempotent(request) && body._tag === "Fixed",
    timeouts: phasesOf(request.timeouts, defaults),
    onInformational: request.onInformational,
  })
}

/** Deadlines of the phases below the Client, in milliseconds (Infinity: none). */
export type PhaseTimeouts = PhaseMillis

export { millisOf }
