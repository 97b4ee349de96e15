/**
 * Before the wire: a request validated and encoded for one exchange. The head is checked before any byte is
 * written (framing headers, header injection, a Content-Length that disagrees with the body), and a body in
 * memory of up to 64 KiB is encoded with the head, so one write carries both. The request as any protocol
 * sends it (`Multiplex.Prepared`) is kept beside the HTTP/1.1 head, for a stream on a multiplexed
 * connection, where the same rules checked its fields.
 * @internal
 */
import * as Either from "effect/Either"
import type * as Body from "../../Body.js"
import * as Http1 from "../../Http1.js"
import { type HttpError, InvalidHeader, type RequestInfo } from "../../HttpError.js"
import type * as Multiplex from "../../Multiplex.js"
import type { Request } from "../../Request.js"
import type { Url } from "../../Url.js"
import { concat } from "../bytes.js"
import { encodeRequest } from "../http1/head.js"
import { framedFields } from "../http1/request-head.js"
import { outgoing } from "../outgoing.js"
import { isIdempotent } from "../request.js"
import { millisOf, type Phases, phasesOf } from "./timers.js"

export interface Prepared extends Multiplex.Prepared {
  /** The head, followed by the body when `whole`: a body in memory of up to COALESCE_BYTES. */
  readonly head: Uint8Array
  /** `head` holds the body too: one write carries the whole request. */
  readonly whole: boolean
  readonly body: Body.Encoded
  /** The head asks for `100 Continue` before the body (`Request.expectContinue`, and there is a body). */
  readonly expect: boolean
  /** The caller asked for `Connection: close`. */
  readonly close: boolean
  /** The request may be sent again on a fresh connection if a reused one turns out to be dead. */
  readonly replayable: boolean
}

/** Bodies up to this size go out in the same write as the head: one syscall for most requests. */
const COALESCE_BYTES = 64 * 1024

/**
 * Validates and encodes the request head. `forward` is the proxy an http request is forwarded through:
 * the target is then in absolute form and the proxy's credentials go in Proxy-Authorization.
 */
export const prepare = (
  request: Request,
  url: Url,
  info: RequestInfo,
  defaults: Phases,
  forward?: { readonly authorization: string | undefined },
): Either.Either<Prepared, HttpError> => {
  const prepared = outgoing(request, info)
  if (Either.isLeft(prepared)) return Either.left(prepared.left)
  const { body, expect, close } = prepared.right
  const fields = framedFields(prepared.right, forward)
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
    outgoing: prepared.right,
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

export { millisOf }
