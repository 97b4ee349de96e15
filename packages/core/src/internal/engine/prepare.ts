/**
 * Before the wire: a request validated and encoded for one exchange. The head is checked before any byte is
 * written (framing headers, header injection, a Content-Length that disagrees with the body), and a body in
 * memory of up to 64 KiB is encoded with the head, so one write carries both. The request as any protocol
 * sends it (`Multiplex.Prepared`) is kept beside the HTTP/1.1 head, for a stream on a multiplexed
 * connection, where the same rules checked its fields.
 * @internal
 */

import type * as Body from "../../Body.js"
import type { ConnectOptions } from "../../Connector.js"
import * as Http1 from "../../Http1.js"
import { type HttpError, InvalidHeader, type RequestInfo } from "../../HttpError.js"
import type * as Multiplex from "../../Multiplex.js"
import type { Request } from "../../Request.js"
import type { Origin, Url } from "../../Url.js"
import { encodeRequest } from "../http1/head.js"
import { framedFields } from "../http1/request-head.js"
import { concat } from "../shared/bytes.js"
import { Result } from "../shared/edition.js"
import { outgoing } from "../shared/outgoing.js"
import { isIdempotent } from "../shared/request.js"
import type { Phases } from "./timers.js"

/**
 * Where a request connects, decided once from its route: the pool's origin (its key names the proxy or
 * tunnel too), how to dial it, and whether the dial may negotiate a multiplexed protocol.
 */
export interface Via {
  readonly origin: Origin
  readonly connect: ConnectOptions
  readonly multiplexable: boolean
}

export interface Prepared extends Multiplex.Prepared {
  readonly via: Via
  /**
   * The HTTP/1.1 head, followed by the body when `whole` (a body in memory of up to COALESCE_BYTES); read it
   * with `headOf`, which encodes it on first use (see `Encoding`).
   */
  head: Uint8Array | undefined
  /**
   * The proxy an http request is forwarded through: the target is then in absolute form and the proxy's
   * credentials go in Proxy-Authorization.
   */
  readonly forward: { readonly authorization: string | undefined } | undefined
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
 * When the HTTP/1.1 head is encoded: `now`, when the request will go over HTTP/1.1; or `when written`,
 * when a multiplexed connection may carry it instead (the head is then checked now, by the same rules, and
 * encoded only if an HTTP/1.1 connection writes it).
 */
export type Encoding = "now" | "when written"

/** A request head with these fields: the target in absolute form when forwarded to a proxy. */
const headWith = (
  method: string,
  url: Url,
  forward: Prepared["forward"],
  headers: ReadonlyArray<readonly [string, string]>,
): Http1.RequestHead => ({
  method,
  target: forward === undefined ? url.target : url.href,
  host: url.hostHeader,
  headers,
})

/** The HTTP/1.1 head (with the body when `whole`), encoded on first use and kept; checked when prepared. */
export const headOf = (p: Prepared): Uint8Array => {
  if (p.head === undefined) {
    const head = headWith(p.method, p.url, p.forward, framedFields(p.outgoing, p.forward))
    p.head = fast(head, p.body, p.whole) ?? careful(head, p.body, p.whole)
  }
  return p.head
}

/** The head (and the body, when `whole`) as bytes, by the fast encoder, or undefined where it gives up. */
const fast = (head: Http1.RequestHead, body: Body.Encoded, whole: boolean): Uint8Array | undefined =>
  whole && body._tag === "Fixed" ? encodeRequest(head, body.bytes) : undefined

/** The head (and the body, when `whole`) as bytes, by the careful encoder: for a head already checked. */
const careful = (head: Http1.RequestHead, body: Body.Encoded, whole: boolean): Uint8Array => {
  const bytes = Http1.encodeHead(head)
  return whole && body._tag === "Fixed" ? concat(bytes, body.bytes) : bytes
}

/** How a request is prepared: its deadlines, where it goes, and when its head is encoded. */
export interface Preparing {
  /** The request's phase deadlines, its own or the transport's defaults. */
  readonly timeouts: Phases
  readonly via: Via
  readonly forward: Prepared["forward"]
  readonly encoding: Encoding
}

/** Validates the request and encodes its head (see `Encoding`). */
export const prepare = (request: Request, url: Url, info: RequestInfo, how: Preparing): Result<Prepared, HttpError> => {
  const { forward, encoding } = how
  const prepared = outgoing(request, info)
  if (Result.isFailure(prepared)) return Result.fail(Result.failure(prepared))
  const o = Result.success(prepared)
  const { body, expect, close } = o
  const method = request.method
  const whole = body._tag === "Fixed" && body.bytes.length <= COALESCE_BYTES && !expect
  let bytes: Uint8Array | undefined
  if (encoding === "now") {
    // The fast encoder checks as it goes; the careful path runs only when it gives up, for the exact reason.
    const head = headWith(method, url, forward, framedFields(o, forward))
    bytes = fast(head, body, whole)
    if (bytes === undefined) {
      const invalid = Http1.invalidHead(head)
      if (invalid !== undefined) return Result.fail(new InvalidHeader({ request: info, ...invalid }))
      bytes = careful(head, body, whole)
    }
  } else {
    // The framing Courier adds is valid by construction: the caller's own fields are what to check.
    const invalid = Http1.invalidHead(headWith(method, url, forward, o.fields))
    if (invalid !== undefined) return Result.fail(new InvalidHeader({ request: info, ...invalid }))
  }
  return Result.succeed({
    info,
    method,
    url,
    outgoing: o,
    head: bytes,
    forward,
    whole,
    body,
    expect,
    maxResponseBytes: request.maxResponseBytes,
    close,
    replayable: isIdempotent(request) && body._tag === "Fixed",
    timeouts: how.timeouts,
    via: how.via,
    onInformational: request.onInformational,
  })
}
