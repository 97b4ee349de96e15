/**
 * The `Files` service over node:fs: a file's size from `stat`, its bytes read in 64 KiB pieces from a
 * file handle that is opened each time the stream runs (so a retried request reads it again) and closed
 * when the stream ends or is interrupted.
 *
 * @since 0.1.0
 */
import * as fs from "node:fs/promises"
import { Files, type HttpError, Response } from "@courier/core"
import { fromPull, unwrapScoped } from "@courier/core/internal/edition"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import { dual } from "effect/Function"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"

const CHUNK = 64 * 1024

const reason = (e: unknown): string => (e instanceof Error ? e.message : String(e))

/** The handle's bytes from its start, in 64 KiB pieces, by position (so each run reads it all again). */
const readAll = (handle: fs.FileHandle): Stream.Stream<Uint8Array, string> =>
  Stream.suspend(() => {
    let position = 0
    return fromPull(
      Effect.map(
        Effect.tryPromise({ try: () => handle.read(Buffer.allocUnsafe(CHUNK), 0, CHUNK, position), catch: reason }),
        ({ bytesRead, buffer }) => {
          if (bytesRead === 0) return undefined
          position += bytesRead
          return [buffer.subarray(0, bytesRead)]
        },
      ),
    )
  })

const read = (path: string): Stream.Stream<Uint8Array, string> =>
  unwrapScoped(
    Effect.map(
      Effect.acquireRelease(Effect.tryPromise({ try: () => fs.open(path, "r"), catch: reason }), (handle) =>
        Effect.promise(() => handle.close()),
      ),
      readAll,
    ),
  )

/**
 * A file already open (requests' `open(path, "rb")`, Zerynth's `fd`) as an opened file for an upload or a
 * multipart part: its size, and its bytes read from the start each time the body is sent, so a retried or
 * redirected request sends it whole again. The handle stays the caller's to close.
 *
 * @example
 * ```ts
 * import * as fs from "node:fs/promises"
 * import { Client } from "@courier/core"
 * import { NodeFiles } from "@courier/node-transport"
 * import * as Effect from "effect/Effect"
 *
 * const send = (handle: fs.FileHandle) =>
 *   Effect.flatMap(NodeFiles.fromHandle(handle), (file) => Client.upload("http://localhost:8080/up", file))
 * ```
 *
 * @since 0.2.0
 * @category constructors
 */
export const fromHandle = (handle: fs.FileHandle): Effect.Effect<Files.OpenedFile, string> =>
  Effect.map(
    Effect.tryPromise({ try: () => handle.stat(), catch: (e) => `cannot read the open file: ${reason(e)}` }),
    (stat) => ({ size: stat.size, stream: readAll(handle) }),
  )

/**
 * A response body could not be written to a file (the folder is missing, the disk is full, …).
 *
 * @since 0.2.0
 * @category errors
 */
export class WriteError extends Data.TaggedError("WriteError")<{ readonly path: string; readonly reason: string }> {
  override get message(): string {
    return `Cannot write ${this.path}: ${this.reason}`
  }
}

/**
 * Writes a response's body to the file at `path` as it streams in, piece by piece (each write awaited, so
 * memory stays flat whatever the size), and returns the number of bytes written. The file is created or
 * truncated; if the body fails midway, the file holds what arrived and the error says why.
 *
 * @example
 * ```ts
 * import { Client, Request } from "@courier/core"
 * import { NodeFiles } from "@courier/node-transport"
 * import * as Effect from "effect/Effect"
 *
 * const download = Effect.scoped(
 *   Effect.flatMap(Client.execute(Request.get("https://example.com/big.iso")), NodeFiles.writeBody("/tmp/big.iso")),
 * )
 * ```
 *
 * @since 0.2.0
 * @category writing
 */
export const writeBody: {
  (path: string): (response: Response.Response) => Effect.Effect<number, HttpError.HttpError | WriteError>
  (response: Response.Response, path: string): Effect.Effect<number, HttpError.HttpError | WriteError>
} = dual(2, (response: Response.Response, path: string) =>
  Effect.scoped(
    Effect.flatMap(
      Effect.acquireRelease(
        Effect.tryPromise({ try: () => fs.open(path, "w"), catch: (e) => new WriteError({ path, reason: reason(e) }) }),
        (handle) => Effect.promise(() => handle.close()),
      ),
      (handle) => {
        let written = 0
        return Effect.andThen(
          Stream.runForEach(Response.stream(response), (chunk) =>
            Effect.map(
              Effect.tryPromise({
                try: () => handle.write(chunk, 0, chunk.length),
                catch: (e) => new WriteError({ path, reason: reason(e) }),
              }),
              () => {
                written += chunk.length
              },
            ),
          ),
          Effect.sync(() => written),
        )
      },
    ),
  ),
)

/**
 * The node:fs Files service.
 *
 * @since 0.1.0
 * @category services
 */
export const service: Files.Service = {
  open: (path) =>
    Effect.map(
      Effect.tryPromise({ try: () => fs.stat(path), catch: (e) => `cannot open ${path}: ${reason(e)}` }),
      (stat) => ({ size: stat.size, stream: read(path) }),
    ),
}

/**
 * The node:fs Files service as a Layer.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<Files.Files> = Layer.succeed(Files.Files, service)
