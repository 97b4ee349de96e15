/**
 * Progress reporting on request and response bodies, and the piece cutting behind `onChunk`.
 * @internal
 */
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as Body from "../../Body.js"
import type { HttpError } from "../../HttpError.js"
import type * as Request from "../../Request.js"
import * as Response from "../../Response.js"
import { concat } from "../shared/bytes.js"
import { Result } from "../shared/edition.js"
import { flattenIterable } from "../shared/edition-effect.js"
import { copy as copyRequest } from "../shared/request.js"

/** Reports download progress as the body streams. */
export const withDownloadProgress = (
  response: Response.Response,
  report: (progress: Request.Progress) => Effect.Effect<void>,
): Response.Response => {
  let transferred = 0
  const total = response.contentLength
  const body = Stream.tap(Response.stream(response), (chunk) => {
    transferred += chunk.length
    return report({ transferred, total })
  })
  return Response.withBody(response, { stream: body })
}

/** The piece size for upload progress on a body that is in memory. */
const UPLOAD_PIECE = 64 * 1024

/** Reports upload progress as the body is written; a body in memory is sent in 64 KiB pieces. */
export const withUploadProgress = (request: Request.Request): Request.Request => {
  const report = request.onUploadProgress
  if (report === undefined) return request
  const encoded = Body.encode(request.body)
  if (Result.isFailure(encoded)) return request
  const e = Result.success(encoded)
  const source =
    e._tag === "Fixed"
      ? Stream.fromIterable(
          Array.from({ length: Math.ceil(e.bytes.length / UPLOAD_PIECE) }, (_, i) =>
            e.bytes.subarray(i * UPLOAD_PIECE, (i + 1) * UPLOAD_PIECE),
          ),
        )
      : e.stream
  const total = e._tag === "Fixed" ? e.bytes.length : e.length
  let transferred = 0
  const stream = Stream.tap(source, (chunk) => {
    transferred += chunk.length
    return report({ transferred, total })
  })
  const replayable = e._tag === "Fixed" || (request.body._tag === "Stream" && request.body.replayable)
  return copyRequest(request, {
    body: Body.stream(stream, {
      contentType: e.contentType ?? "application/octet-stream",
      ...(total === undefined ? {} : { length: total }),
      replayable,
    }),
  })
}

/**
 * Cuts a byte stream into pieces of exactly `size` bytes (the last may be shorter). Pieces that lie inside
 * one incoming chunk are views of it; only a piece spanning chunks is copied.
 */
export const pieces =
  <E>(size: number) =>
  (stream: Stream.Stream<Uint8Array, E>): Stream.Stream<Uint8Array, E> =>
    Stream.suspend(() => {
      let held: Uint8Array = new Uint8Array(0)
      return Stream.concat(
        flattenIterable(
          Stream.map(stream, (chunk) => {
            const out: Array<Uint8Array> = []
            let at = 0
            if (held.length > 0) {
              const need = size - held.length
              if (chunk.length < need) {
                held = concat(held, chunk)
                return out
              }
              out.push(concat(held, chunk.subarray(0, need)))
              held = new Uint8Array(0)
              at = need
            }
            for (; at + size <= chunk.length; at += size) out.push(chunk.subarray(at, at + size))
            if (at < chunk.length) held = chunk.slice(at)
            return out
          }),
        ),
        Stream.suspend(() => (held.length === 0 ? Stream.empty : Stream.succeed(held))),
      )
    })

/**
 * Runs a request with `execute` and hands its body to `onChunk` in pieces of `size` bytes; the response
 * returned holds the last piece as its body (Zerynth's `stream_callback` semantics).
 */
export const inPieces = <E, R>(
  execute: (request: Request.Request) => Effect.Effect<Response.Response, E, R | Scope.Scope>,
  request: Request.Request,
  onChunk: (chunk: Uint8Array) => Effect.Effect<void>,
  size: number,
): Effect.Effect<Response.Response, E | HttpError, Exclude<R, Scope.Scope>> =>
  Effect.scoped(
    Effect.flatMap(execute(request), (response) => {
      let last: Uint8Array = new Uint8Array(0)
      return Effect.map(
        Stream.runForEach(pieces<HttpError>(size)(Response.stream(response)), (chunk) => {
          last = chunk
          return onChunk(chunk)
        }),
        () => Response.withBody(response, last, response.contentLength),
      )
    }),
  )
