/**
 * One request/response exchange over a leased connection: prepare the head (validated before any byte is
 * written), write it with the body, then feed socket bytes to the decoder until the head arrives. The body
 * is pulled on demand by the Response; the connection is released the moment the decoder reports the end.
 * @internal
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Stream from "effect/Stream"
import * as Body from "../Body.js"
import type { SocketError } from "../Connector.js"
import * as Http1 from "../Http1.js"
import {
  BadStatusLine,
  EncodeError,
  HeaderOverflow,
  type HttpError,
  IncompleteRead,
  InvalidHeader,
  IOError,
  ProtocolError,
  type RequestInfo,
  UnknownTransferEncoding,
} from "../HttpError.js"
import type { Request } from "../Request.js"
import * as Response from "../Response.js"
import type { Url } from "../Url.js"
import type { Event, Failure, Head, Limits } from "./decoder.js"
import { concat } from "./latin1.js"
import type { Lease, Pool } from "./pool.js"

export interface Prepared {
  readonly info: RequestInfo
  readonly method: string
  readonly url: Url
  readonly head: Uint8Array
  readonly body: Body.Encoded
  /** The caller asked for `Connection: close`. */
  readonly close: boolean
  /** The request may be sent again on a fresh connection if a reused one turns out to be dead. */
  readonly replayable: boolean
}

/** Bodies up to this size go out in the same write as the head: one syscall for most requests. */
const COALESCE_BYTES = 64 * 1024

const idempotent = new Set(["GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"])
const bodyless = new Set(["GET", "HEAD", "OPTIONS", "TRACE", "DELETE", "CONNECT"])

export const prepare = (request: Request, url: Url, info: RequestInfo): Either.Either<Prepared, HttpError> => {
  const encoded = Body.encode(request.body)
  if (Either.isLeft(encoded)) return Either.left(new EncodeError({ request: info, reason: encoded.left }))
  const body = encoded.right
  const fields: Array<readonly [string, string]> = []
  let close = false
  let hasType = false
  let declaredLength: string | undefined
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
  else if (length > 0 || !bodyless.has(request.method)) fields.push(["Content-Length", String(length)])
  const head = { method: request.method, target: url.target, host: url.hostHeader, headers: fields }
  const invalid = Http1.invalidHead(head)
  if (invalid !== undefined) return Either.left(new InvalidHeader({ request: info, ...invalid }))
  return Either.right({
    info,
    method: request.method,
    url,
    head: Http1.encodeHead(head),
    body,
    close,
    replayable: idempotent.has(request.method) && body._tag === "Fixed",
  })
}

export const ioError = (info: RequestInfo) => (e: SocketError) =>
  new IOError({ request: info, code: e.code, reason: e.reason })

export const fromFailure = (info: RequestInfo, f: Failure): HttpError => {
  switch (f._tag) {
    case "BadStatusLine":
      return new BadStatusLine({ request: info, line: f.line })
    case "HeaderOverflow":
      return new HeaderOverflow({ request: info, limit: f.limit, max: f.max })
    case "ProtocolError":
      return new ProtocolError({ request: info, reason: f.reason, offset: f.offset })
    case "UnknownTransferEncoding":
      return new UnknownTransferEncoding({ request: info, encoding: f.encoding })
    case "IncompleteRead":
      return new IncompleteRead({ request: info, received: f.received, expected: f.expected })
  }
}

const writeBody = (lease: Lease, p: Prepared): Effect.Effect<void, HttpError> => {
  const socket = lease.conn.socket
  const body = p.body
  if (body._tag === "Fixed") {
    if (body.bytes.length <= COALESCE_BYTES) {
      return Effect.mapError(socket.write(concat(p.head, body.bytes)), ioError(p.info))
    }
    return Effect.mapError(Effect.zipRight(socket.write(p.head), socket.write(body.bytes)), ioError(p.info))
  }
  const chunked = body.length === undefined
  let sent = 0
  const chunks = Stream.runForEach(
    Stream.mapError(body.stream, (e) => new EncodeError({ request: p.info, reason: String(e) })),
    (chunk) => {
      sent += chunk.length
      return Effect.mapError(socket.write(chunked ? Http1.encodeChunk(chunk) : chunk), ioError(p.info))
    },
  )
  const end = Effect.suspend((): Effect.Effect<void, HttpError> => {
    if (chunked) return Effect.mapError(socket.write(Http1.LAST_CHUNK), ioError(p.info))
    return sent === body.length
      ? Effect.void
      : Effect.fail(new EncodeError({ request: p.info, reason: `stream gave ${sent} bytes, ${body.length} announced` }))
  })
  return Effect.mapError(socket.write(p.head), ioError(p.info)).pipe(Effect.zipRight(chunks), Effect.zipRight(end))
}

/** The state of one response on the wire, shared by the head reader and the body reader. */
class Wire {
  readonly decoder: Http1.ResponseDecoder
  head: Head | undefined
  /** Body chunks decoded but not yet pulled. */
  pending: Array<Uint8Array> = []
  ended = false
  /** Whether any response byte arrived: before that, a dead reused socket may be retried. */
  gotBytes = false

  constructor(
    readonly lease: Lease,
    readonly prepared: Prepared,
    readonly pool: Pool,
    limits: Limits,
  ) {
    this.decoder = new Http1.ResponseDecoder(prepared.method, limits)
  }

  apply(events: ReadonlyArray<Event>): HttpError | undefined {
    for (const e of events) {
      switch (e._tag) {
        case "Head":
          this.head = e
          break
        case "Data":
          this.pending.push(e.chunk)
          break
        case "End":
          this.ended = true
          break
        case "Error":
          return fromFailure(this.prepared.info, e.failure)
        default:
          break
      }
    }
    return undefined
  }

  /** Reads once from the socket and feeds the decoder; releases or discards the connection when done. */
  readonly step: Effect.Effect<void, HttpError> = Effect.flatMap(
    Effect.mapError(
      Effect.suspend(() => this.lease.conn.socket.read),
      (e) => ioError(this.prepared.info)(e) as HttpError,
    ),
    (bytes) => {
      if (bytes !== undefined && bytes.length > 0) this.gotBytes = true
      const failure = this.apply(bytes === undefined ? this.decoder.eof() : this.decoder.feed(bytes))
      if (failure !== undefined) return Effect.zipRight(this.pool.release(this.lease, false), Effect.fail(failure))
      if (this.ended) return this.pool.release(this.lease, this.decoder.reusable && !this.prepared.close)
      return Effect.void
    },
  )

  readonly pull: Effect.Effect<ReadonlyArray<Uint8Array> | undefined, HttpError> = Effect.suspend(() => {
    if (this.pending.length > 0) {
      const out = this.pending
      this.pending = []
      return Effect.succeed(out)
    }
    if (this.ended) return Effect.succeed(undefined)
    return Effect.zipRight(this.step, this.pull)
  })
}

export const exchange = (lease: Lease, p: Prepared, pool: Pool, limits: Limits) => {
  const wire = new Wire(lease, p, pool, limits)
  const readHead: Effect.Effect<Head, HttpError> = Effect.suspend(() =>
    wire.head !== undefined ? Effect.succeed(wire.head) : Effect.zipRight(wire.step, readHead),
  )
  return Effect.zipRight(writeBody(lease, p), readHead).pipe(
    Effect.map((head) => {
      const body = wire.ended
        ? wire.pending.length === 1
          ? (wire.pending[0] as Uint8Array)
          : joinAll(wire.pending)
        : wire
      return Response.make({
        request: p.info,
        status: head.status,
        reason: head.reason,
        version: head.version === 10 ? "HTTP/1.0" : "HTTP/1.1",
        headers: head.headers,
        contentLength: head.contentLength,
        body,
      })
    }),
    Effect.mapError((error) => ({ error, retryable: !wire.gotBytes })),
  )
}

const joinAll = (parts: ReadonlyArray<Uint8Array>): Uint8Array => parts.reduce(concat, new Uint8Array(0))
