/**
 * The `Files` service over node:fs: a file's size from `stat`, its bytes read in 64 KiB pieces from a
 * file handle that is opened each time the stream runs (so a retried request reads it again) and closed
 * when the stream ends or is interrupted.
 *
 * @since 0.1.0
 */
import * as fs from "node:fs/promises"
import { Files } from "@courier/core"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"

const CHUNK = 64 * 1024

const reason = (e: unknown): string => (e instanceof Error ? e.message : String(e))

const read = (path: string): Stream.Stream<Uint8Array, string> =>
  Stream.unwrapScoped(
    Effect.map(
      Effect.acquireRelease(Effect.tryPromise({ try: () => fs.open(path, "r"), catch: reason }), (handle) =>
        Effect.promise(() => handle.close()),
      ),
      (handle) =>
        Stream.repeatEffectOption(
          Effect.flatMap(
            Effect.mapError(
              Effect.tryPromise({ try: () => handle.read(Buffer.allocUnsafe(CHUNK), 0, CHUNK, null), catch: reason }),
              Option.some,
            ),
            ({ bytesRead, buffer }) =>
              bytesRead === 0 ? Effect.fail(Option.none()) : Effect.succeed(buffer.subarray(0, bytesRead)),
          ),
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
