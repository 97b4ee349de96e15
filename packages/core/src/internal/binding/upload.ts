/**
 * Writing a request whose body is not in memory in one piece (a stream, or bytes over 64 KiB). The body goes
 * out while the socket is watched, so a final response that comes first (413, 401, 403 …) ends the upload
 * and is returned — the rest of the body cut short, the connection not reused — instead of the EPIPE that
 * the next write meets once the server closes. With `Expect: 100-continue` the body waits for the `100`, a
 * final response, or CONTINUE_WAIT_MILLIS, whichever comes first (RFC 9110 §10.1.1). The write side has
 * the `send` deadline: the longest wait for the socket to take the next piece.
 *
 * The body is an Effect Stream, so this part of the exchange runs in a fiber; what it leaves (the head, an
 * early answer, a failure) is then read by the exchange's callback form (run.ts).
 * @internal
 */
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import type { SocketError } from "../../Connector.js"
import * as Http1 from "../../Http1.js"
import { EncodeError, type HttpError } from "../../HttpError.js"
import type { Exchange } from "../engine/exchange.js"
import { ioError } from "../engine/failures.js"
import { headOf } from "../engine/prepare.js"
import { timer } from "../engine/timers.js"
import { write } from "./socket.js"

/**
 * How long a request with `Expect: 100-continue` holds its body when the server says nothing: 1 s, curl's
 * default (`CURLOPT_EXPECT_100_TIMEOUT_MS`).
 */
export const CONTINUE_WAIT_MILLIS = 1000

/** A body in memory is written in pieces of at most this size, so the send deadline measures progress. */
const PIECE_BYTES = 1024 * 1024

const noop = (): void => undefined

/** How the upload ended: the body went out whole, the server answered first, or it failed. */
export type Uploaded =
  | { readonly _tag: "Sent" }
  | { readonly _tag: "Answered" }
  | { readonly _tag: "Failed"; readonly error: HttpError }

/** Writes the request body, piece by piece, each write within the `send` deadline. */
const writeBody = (ex: Exchange): Effect.Effect<void, HttpError> => {
  const p = ex.prepared
  const put = (bytes: Uint8Array) =>
    Effect.suspend(() => {
      ex.waiting()
      return Effect.mapBoth(write(ex.socket, bytes), {
        onFailure: (e: SocketError) => ex.failure ?? ioError(p.info, e),
        onSuccess: () => ex.idle(),
      })
    })
  const body = p.body
  if (body._tag === "Fixed") {
    const pieces = Math.ceil(body.bytes.length / PIECE_BYTES)
    return Effect.forEach(
      Array.from({ length: pieces }, (_, i) => i * PIECE_BYTES),
      (at) => put(body.bytes.subarray(at, at + PIECE_BYTES)),
      { discard: true },
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
  return Effect.zipRight(chunks, end)
}

/** Waits for `100 Continue` (seen by the watcher, which calls `onContinue`) or CONTINUE_WAIT_MILLIS. */
const awaitContinue = (ex: Exchange, watcher: { onContinue: () => void }): Effect.Effect<void> =>
  Effect.async<void>((resume) => {
    if (ex.continued) return resume(Effect.void)
    const timers = ex.engine.timers
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

/**
 * Writes the head, then the body while watching the socket for an early answer. Never fails: how it ended
 * is the outcome, and a failure the decoder or a deadline reported meanwhile is the exchange's `failure`.
 */
export const upload = (ex: Exchange): Effect.Effect<Uploaded> =>
  Effect.suspend(() => {
    const p = ex.prepared
    ex.enter("Sending", "from the next wait")
    const head = Effect.mapError(write(ex.socket, headOf(p)), (e) => ex.failure ?? ioError(p.info, e))
    const watcher = { onContinue: noop }
    let answer: () => void = noop
    // What arrives is fed to the decoder; a final head (or a failure) ends the watch, and the rest is read
    // once the upload ends.
    const stop = ex.socket.listen(
      (bytes) => {
        const failure = ex.feed(bytes)
        if (failure !== undefined) ex.failure ??= failure
        if (ex.continued) watcher.onContinue()
        if (failure === undefined && ex.head === undefined) return true
        answer()
        return false
      },
      (e) => {
        ex.failure ??= ioError(p.info, e)
        answer()
      },
    )
    // Resolves when the server answers (or the exchange fails, a deadline included) before the body is out.
    const answered = Effect.async<Uploaded>((resume) => {
      if (ex.failure !== undefined || ex.head !== undefined) return resume(Effect.succeed({ _tag: "Answered" }))
      answer = () => resume(Effect.succeed({ _tag: "Answered" }))
      ex.onProgress = () => {
        if (ex.failure !== undefined) answer()
      }
      return Effect.sync(() => {
        answer = noop
        ex.onProgress = undefined
      })
    })
    const body = p.expect ? Effect.zipRight(awaitContinue(ex, watcher), writeBody(ex)) : writeBody(ex)
    const sent: Effect.Effect<Uploaded> = Effect.zipRight(head, body).pipe(
      Effect.as<Uploaded>({ _tag: "Sent" }),
      Effect.catchAll((error) => Effect.succeed<Uploaded>({ _tag: "Failed", error })),
    )
    return Effect.ensuring(
      Effect.raceFirst(sent, answered),
      Effect.sync(() => {
        stop()
        ex.onProgress = undefined
      }),
    )
  })
