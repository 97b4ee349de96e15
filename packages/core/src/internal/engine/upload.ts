/**
 * Writing a request whose body is not in memory in one piece (a stream, or bytes over 64 KiB). The body goes
 * out while the socket is watched, so a final response that comes first (413, 401, 403 …) ends the upload
 * and is returned — the rest of the body abandoned, the connection not reused — instead of the EPIPE that
 * the next write meets once the server closes. With `Expect: 100-continue` the body waits for the `100`, a
 * final response, or CONTINUE_WAIT_MILLIS, whichever comes first (RFC 9110 §10.1.1). The write side has
 * the `send` deadline: the longest wait for the socket to take the next piece.
 * @internal
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Stream from "effect/Stream"
import type { SocketError } from "../../Connector.js"
import * as Http1 from "../../Http1.js"
import { EncodeError, type HttpError } from "../../HttpError.js"
import type * as Response from "../../Response.js"
import type { Wire } from "./exchange.js"
import { ioError } from "./failures.js"
import { timer } from "./timers.js"

/**
 * How long a request with `Expect: 100-continue` holds its body when the server says nothing: 1 s, curl's
 * default (`CURLOPT_EXPECT_100_TIMEOUT_MS`).
 */
export const CONTINUE_WAIT_MILLIS = 1000

/** A body in memory is written in pieces of at most this size, so the send deadline measures progress. */
const PIECE_BYTES = 1024 * 1024

const noop = (): void => undefined

/** Writes the request body, piece by piece, each write within the `send` deadline. */
const writeBody = (wire: Wire): Effect.Effect<void, HttpError> => {
  const p = wire.prepared
  const socket = wire.lease.conn.socket
  const io = (e: SocketError) => wire.failed(ioError(p.info, e))
  const put = (bytes: Uint8Array) =>
    Effect.suspend(() => {
      wire.waiting()
      return Effect.mapBoth(socket.write(bytes), { onFailure: io, onSuccess: () => wire.idle() })
    })
  const body = p.body
  const start = Effect.sync(() => wire.watch("send", false))
  if (body._tag === "Fixed") {
    const pieces = Math.ceil(body.bytes.length / PIECE_BYTES)
    return Effect.zipRight(
      start,
      Effect.forEach(
        Array.from({ length: pieces }, (_, i) => i * PIECE_BYTES),
        (at) => put(body.bytes.subarray(at, at + PIECE_BYTES)),
        { discard: true },
      ),
    )
  }
  const chunked = body.length === undefined
  let sent = 0
  const chunks = Stream.runForEach(
    Stream.mapError(body.stream, (e) => new EncodeError({ request: p.info, reason: String(e) })),
    (chunk) => {
      sent += chunk.length
      return put(chunked ? Http1.encodeChunk(chunk) : chunk)
    },
  )
  const end = Effect.suspend((): Effect.Effect<void, HttpError> => {
    if (chunked) return put(Http1.LAST_CHUNK)
    return sent === body.length
      ? Effect.void
      : Effect.fail(new EncodeError({ request: p.info, reason: `stream gave ${sent} bytes, ${body.length} announced` }))
  })
  return start.pipe(Effect.zipRight(chunks), Effect.zipRight(end))
}

/** Waits for `100 Continue` (seen by the watcher, which calls `onContinue`) or CONTINUE_WAIT_MILLIS. */
const awaitContinue = (wire: Wire, watcher: { onContinue: () => void }): Effect.Effect<void> =>
  Effect.async<void>((resume) => {
    if (wire.continued) return resume(Effect.void)
    const timers = wire.engine.timers
    const t = timer(() => {
      resume(Effect.void)
      return undefined
    })
    watcher.onContinue = () => {
      watcher.onContinue = noop
      timers.cancel(t)
      resume(Effect.void)
    }
    timers.schedule(t, timers.now() + CONTINUE_WAIT_MILLIS)
    return Effect.sync(() => {
      watcher.onContinue = noop
      timers.cancel(t)
    })
  })

/** What the upload's end leaves: read the response (it may have come early), or fail. */
const afterUpload = (
  wire: Wire,
  outcome: Either.Either<boolean, HttpError>,
): Effect.Effect<Response.Response, HttpError> => {
  const failure = wire.expired ?? wire.failure
  if (failure !== undefined) return wire.finish(false, Effect.fail(failure))
  if (Either.isLeft(outcome)) {
    // A write that failed after a final response arrived (the server answered, then closed): the answer.
    if (wire.head === undefined || outcome.left._tag !== "IOError") return wire.finish(false, Effect.fail(outcome.left))
    wire.abandoned = true
  } else if (!outcome.right) wire.abandoned = true
  if (wire.head === undefined) wire.watch("head", true)
  return wire.readResponse()
}

/** Writes the head, then the body while watching for an early answer, then reads the response. */
export const upload = (wire: Wire): Effect.Effect<Response.Response, HttpError> =>
  Effect.suspend(() => {
    const p = wire.prepared
    const socket = wire.lease.conn.socket
    const head = Effect.mapError(socket.write(p.head), (e) => wire.failed(ioError(p.info, e)))
    if (socket.listen === undefined) {
      // A socket that cannot be watched: the whole request, then the response.
      return head.pipe(
        Effect.zipRight(writeBody(wire)),
        Effect.zipRight(Effect.sync(() => wire.watch("head", true))),
        Effect.zipRight(wire.readResponse()),
      )
    }
    const watcher = { onContinue: noop }
    let answer: () => void = noop
    // Feeds what arrives to the decoder; stops at a final head (the rest is read once the upload ends).
    const onBytes = (bytes: Uint8Array | undefined): boolean => {
      const failure = wire.feed(bytes)
      if (failure !== undefined) wire.failure = failure
      if (wire.continued) watcher.onContinue()
      if (failure === undefined && wire.head === undefined) return true
      answer()
      return false
    }
    const onError = (e: SocketError) => {
      wire.failure = wire.failed(ioError(p.info, e))
      answer()
    }
    // Resolves when the server answers (or fails, or a deadline passes) before the body is written.
    const answered = Effect.async<boolean>((resume) => {
      if (wire.failure !== undefined || wire.head !== undefined) return resume(Effect.succeed(false))
      answer = () => resume(Effect.succeed(false))
      wire.onProgress = answer
      return Effect.sync(() => {
        answer = noop
        wire.onProgress = undefined
      })
    })
    const stop = socket.listen(onBytes, onError)
    const body = p.expect ? Effect.zipRight(awaitContinue(wire, watcher), writeBody(wire)) : writeBody(wire)
    return head.pipe(
      Effect.zipRight(Effect.raceFirst(Effect.as(body, true), answered)),
      Effect.either,
      Effect.flatMap((outcome) => {
        stop()
        return afterUpload(wire, outcome)
      }),
    )
  })
