/**
 * Turning a route's reply into what the real transport would have produced: a Response whose head comes
 * after `delay` and whose body chunks come `chunkDelay` apart, all on the Effect Clock; or, for a fault,
 * exactly the typed error the node transport gives for the same situation. The request's own head and
 * body deadlines apply here as they do over sockets.
 * @internal
 */
import { Headers, Http1, HttpError, Response, Transport } from "@courier/core"
import type { DurationInput } from "@courier/core/internal/edition"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import { millisOf } from "./duration.js"

/** A reply as a value. Give at most one of `text`, `json`, `bytes`, `chunks` and `stream`. */
export interface Reply {
  readonly status: number
  readonly reason?: string
  /** The protocol this reply comes over, when it is not the layer's (a replayed recording keeps its own). */
  readonly version?: Response.Version
  readonly headers?: Headers.Input
  readonly text?: string
  readonly json?: unknown
  readonly bytes?: Uint8Array
  /** The body in pieces, each one read separately (and `chunkDelay` apart). */
  readonly chunks?: ReadonlyArray<string | Uint8Array>
  readonly stream?: Stream.Stream<Uint8Array>
  readonly trailers?: Headers.Input
  /** Latency before the head. */
  readonly delay?: DurationInput
  /** Latency before each body chunk after the first. */
  readonly chunkDelay?: DurationInput
}

/** The network failures a route can simulate; each gives the error the node transport gives. */
export type Fault =
  | {
      readonly _tag: "Fault"
      readonly kind: "refused" | "dns" | "tls" | "resetBeforeHead" | "stall" | "idleClose" | "refusedStream" | "goaway"
    }
  | { readonly _tag: "Fault"; readonly kind: "resetStream"; readonly code: string }
  | {
      readonly _tag: "Fault"
      readonly kind: "resetAfter" | "closeMidBody"
      /** Body bytes delivered before the connection fails. */
      readonly bytes: number
      /** The reply whose head and body are (partly) delivered. */
      readonly reply: Reply
    }

export interface Deadlines {
  readonly head: number | undefined
  readonly body: number | undefined
  /** The request's `maxResponseBytes`, if it has one. */
  readonly maxBytes: number | undefined
}

const utf8 = new TextEncoder()

const REFUSED_STREAM = HttpError.HTTP2_ERROR_CODES.indexOf("REFUSED_STREAM")
const asBytes = (x: string | Uint8Array): Uint8Array => (typeof x === "string" ? utf8.encode(x) : x)

/** The body's pieces and its default content type. */
const pieces = (
  reply: Reply,
): {
  readonly parts: Stream.Stream<Uint8Array>
  readonly type: string | undefined
  readonly length: number | undefined
} => {
  if (reply.stream !== undefined) return { parts: reply.stream, type: "application/octet-stream", length: undefined }
  if (reply.chunks !== undefined) {
    const parts = reply.chunks.map(asBytes)
    return { parts: Stream.fromIterable(parts), type: undefined, length: parts.reduce((n, p) => n + p.length, 0) }
  }
  const one = (bytes: Uint8Array, type: string) => ({
    parts: bytes.length === 0 ? Stream.empty : Stream.succeed(bytes),
    type,
    length: bytes.length,
  })
  if (reply.bytes !== undefined) return one(reply.bytes, "application/octet-stream")
  if (reply.json !== undefined) return one(utf8.encode(JSON.stringify(reply.json)), "application/json")
  if (reply.text !== undefined) return one(utf8.encode(reply.text), "text/plain; charset=utf-8")
  return { parts: Stream.empty, type: undefined, length: 0 }
}

const millis = (d: DurationInput | undefined): number => millisOf(d) ?? 0

/** Sleeps `ms` on the Effect Clock, failing with a Timeout if the phase's deadline is shorter. */
const wait = (ms: number, deadline: number | undefined, phase: "head" | "body", request: HttpError.RequestInfo) => {
  if (deadline !== undefined && ms >= deadline) {
    return Effect.andThen(
      Effect.sleep(deadline),
      Effect.fail(new HttpError.Timeout({ request, phase, millis: deadline })),
    )
  }
  return ms > 0 ? Effect.sleep(ms) : Effect.void
}

/** What a fault does to the body: fail after `after` bytes with `error`. */
export interface Cut {
  readonly after: number
  readonly error: (received: number, expected: number | undefined) => HttpError.HttpError
}

/** The body, refused as it passes the budget, as every transport refuses it. */
const limited = (
  body: Stream.Stream<Uint8Array, HttpError.HttpError>,
  budget: Transport.BodyBudget,
): Stream.Stream<Uint8Array, HttpError.HttpError> =>
  budget.limit === Number.POSITIVE_INFINITY
    ? body
    : Stream.mapEffect(body, (chunk) => {
        const over = budget.receive(chunk.length)
        return over === undefined ? Effect.succeed(chunk) : Effect.fail(over)
      })

/** Builds the response for a reply, its body cut short by `cut` if given. */
export const respond = (
  reply: Reply,
  request: HttpError.RequestInfo,
  deadlines: Deadlines,
  connection: Response.ConnectionInfo,
  version: "HTTP/1.1" | "HTTP/2",
  cut?: Cut,
): Effect.Effect<Response.Response, HttpError.HttpError> =>
  Effect.gen(function* () {
    yield* wait(millis(reply.delay), deadlines.head, "head", request)
    const { parts, type, length } = pieces(reply)
    let headers = Headers.fromInput(reply.headers)
    if (type !== undefined && !Headers.has(headers, "content-type"))
      headers = Headers.set(headers, "Content-Type", type)
    const framing = reply.trailers !== undefined || length === undefined ? "chunked" : "length"
    if (framing === "length" && !Headers.has(headers, "content-length")) {
      headers = Headers.set(headers, "Content-Length", String(length))
    } else if (
      framing === "chunked" &&
      (reply.version ?? version) !== "HTTP/2" &&
      !Headers.has(headers, "transfer-encoding")
    ) {
      headers = Headers.set(headers, "Transfer-Encoding", "chunked")
    }
    // The body's budget, as every transport keeps it: a body announced past it is refused at the head.
    const budget = new Transport.BodyBudget(request, deadlines.maxBytes, false)
    const declared = Number(Option.getOrUndefined(Headers.get(headers, "content-length")))
    const announced = Number.isFinite(declared) ? declared : undefined
    const refused = budget.announced(announced, Http1.isBodiless(request.method, reply.status))
    if (refused !== undefined) return yield* Effect.fail(refused)
    const gap = millis(reply.chunkDelay)
    let first = true
    let received = 0
    const paced: Stream.Stream<Uint8Array, HttpError.HttpError> = Stream.mapEffect(parts, (chunk) => {
      const pause = first ? Effect.void : wait(gap, deadlines.body, "body", request)
      first = false
      return Effect.as(pause, chunk)
    })
    const body =
      cut === undefined
        ? paced
        : Stream.concat(
            paced.pipe(
              Stream.takeWhile(() => received < cut.after),
              Stream.map((chunk) => {
                const piece = chunk.length > cut.after - received ? chunk.subarray(0, cut.after - received) : chunk
                received += piece.length
                return piece
              }),
            ),
            Stream.suspend(() => Stream.fail(cut.error(received, framing === "length" ? length : undefined))),
          )
    const response = Response.make({
      request,
      status: reply.status,
      reason: (reply.version ?? version) === "HTTP/2" ? "" : (reply.reason ?? ""),
      version: reply.version ?? version,
      headers,
      contentLength: framing === "length" ? length : undefined,
      connection,
      body: {
        stream: Stream.concat(
          limited(body, budget),
          Stream.drain(
            Stream.fromEffect(
              Effect.sync(() => {
                if (reply.trailers !== undefined) response.trailers = Headers.fromInput(reply.trailers)
              }),
            ),
          ),
        ),
      },
    })
    return response
  })

/** The error the node transport gives when the connection fails at this point of a fault. */
export const faultError = (
  kind: Exclude<Fault["kind"], "resetStream">,
  request: HttpError.RequestInfo,
  origin: { readonly host: string; readonly port: number },
): HttpError.HttpError => {
  switch (kind) {
    case "refused":
      return new HttpError.HTTPConnectionError({
        request,
        ...origin,
        code: "ECONNREFUSED",
        reason: `connect ECONNREFUSED ${origin.host}:${origin.port}`,
      })
    case "dns":
      return new HttpError.HTTPConnectionError({
        request,
        ...origin,
        code: "ENOTFOUND",
        reason: `getaddrinfo ENOTFOUND ${origin.host}`,
      })
    case "tls":
      return new HttpError.HTTPConnectionError({
        request,
        ...origin,
        code: "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
        reason: "unable to verify the first certificate",
      })
    case "idleClose":
      return new HttpError.BadStatusLine({ request, line: "" })
    case "refusedStream":
      return HttpError.StreamReset.of(request, REFUSED_STREAM, false)
    case "goaway":
      return HttpError.StreamReset.of(request, REFUSED_STREAM, true)
    default:
      return new HttpError.IOError({ request, code: "ECONNRESET", reason: "read ECONNRESET" })
  }
}

/** The cut a body fault makes: a reset, or a close that leaves the read incomplete. */
export const faultCut = (fault: Fault & { readonly bytes: number }, request: HttpError.RequestInfo): Cut => ({
  after: fault.bytes,
  error: (received, expected) =>
    fault.kind === "resetAfter"
      ? new HttpError.IOError({ request, code: "ECONNRESET", reason: "read ECONNRESET" })
      : new HttpError.IncompleteRead({ request, received, expected }),
})
