/**
 * Response decompression over node:zlib: gzip (and x-gzip), deflate (zlib-wrapped, or raw as some servers
 * send it), br, and zstd where node:zlib has it (Node ≥ 22.15). Each coding is a zlib transform fed chunk by chunk, so the body is never held whole.
 *
 * @since 0.1.0
 */
import type { Transform } from "node:stream"
import * as zlib from "node:zlib"
import { ContentDecoding, HttpError } from "@courier/core"
import { callback, fromPull, toPull, unwrapScoped } from "@courier/core/internal/edition"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import { ZstdFrames } from "./internal/zstd-frames.js"

type Make = () => Transform

/** node:zlib's zstd decoder and its constants, present from Node 22.15 (and on 24), absent before. */
const zstdOf = (z: object) => {
  const make: unknown = Reflect.get(z, "createZstdDecompress")
  const windowLogMax: unknown = Reflect.get(zlib.constants, "ZSTD_d_windowLogMax")
  if (typeof make !== "function" || typeof windowLogMax !== "number") return undefined
  // RFC 9659 §3: zstd for HTTP uses a window of at most 8 MiB (2^23); a larger one is refused, not allocated.
  return (): Transform => make.call(z, { params: { [windowLogMax]: ZSTD_WINDOW_LOG_MAX } }) as Transform
}

/** The largest zstd window decoded: 2^23 bytes, 8 MiB, as RFC 9659 §3 bounds Content-Encoding: zstd. */
const ZSTD_WINDOW_LOG_MAX = 23

const zstd = zstdOf(zlib)

/**
 * Whether this runtime's node:zlib decodes zstd (Node ≥ 22.15): the Client offers `zstd` in
 * `Accept-Encoding` only then.
 *
 * @since 0.5.0
 * @category services
 */
export const decodesZstd: boolean = zstd !== undefined

/** Deflate: zlib-wrapped per RFC 9110, or raw when the first byte says it is not a zlib header. */
const inflate = (first: number): zlib.Inflate | zlib.InflateRaw =>
  (first & 0x0f) === 0x08 ? zlib.createInflate() : zlib.createInflateRaw()

/**
 * Decodes one coding, pulled: input is written to zlib only when it has no output left to give, and output is
 * read a piece (at most zlib's 16 KiB buffer) at a time. zlib stops inflating while its output is unread,
 * even in the middle of an input chunk, so what is decoded ahead of the consumer — and of the size limit
 * the Client checks piece by piece — stays within a few pieces, whatever the compression ratio.
 */
const through = (
  make: Make | "deflate",
  coding: string,
  body: Stream.Stream<Uint8Array, HttpError.HttpError>,
  request: HttpError.RequestInfo,
): Stream.Stream<Uint8Array, HttpError.HttpError> =>
  unwrapScoped(
    Effect.gen(function* () {
      const input = yield* toPull(body)
      // zstd's frames are followed in the input, so a body cut short is an error on every Node.
      const frames = coding === "zstd" ? new ZstdFrames() : undefined
      let z: ReturnType<Make> | undefined
      let writing = false
      let inputDone = false
      let finished = false
      let failure: Error | undefined
      let wake: (() => void) | undefined
      const kick = () => {
        const w = wake
        wake = undefined
        w?.()
      }
      yield* Effect.addFinalizer(() => Effect.sync(() => z?.destroy()))
      const setup = (first: number) => {
        const t = make === "deflate" ? inflate(first) : make()
        t.on("readable", kick)
        t.on("end", () => {
          finished = true
          kick()
        })
        t.on("error", (e: Error) => {
          failure = e
          kick()
        })
        return t
      }
      const bad = (e: Error) =>
        new HttpError.DecodeError({ request, expected: `${coding} data`, reason: e.message, preview: "" })
      /** Waits until zlib has output, has ended, failed, or has taken the last input. */
      const settle = callback<void>((resume) => {
        wake = () => resume(Effect.void)
        return Effect.sync(() => {
          wake = undefined
        })
      })
      /** Writes the next input chunk, or ends zlib's input when the body has ended. */
      const feed = Effect.flatMap(input, (chunks) =>
        Effect.sync(() => {
          if (chunks === undefined) {
            inputDone = true
            if (frames !== undefined && !frames.complete && frames.invalid === undefined) {
              failure = new Error("the body ended inside a zstd frame: it was cut short")
              kick()
            } else if (z === undefined) finished = true
            else z.end()
            return
          }
          for (const chunk of chunks) {
            if (chunk.length === 0) continue
            frames?.feed(chunk)
            z ??= setup(chunk[0] ?? 0)
            writing = true
            z.write(chunk, () => {
              writing = false
              kick()
            })
          }
        }),
      )
      // The next decoded piece, or undefined once zlib has ended.
      const next: Effect.Effect<ReadonlyArray<Uint8Array> | undefined, HttpError.HttpError> = Effect.suspend(() => {
        if (failure !== undefined) return Effect.fail(bad(failure))
        const out = z?.read() as Buffer | null | undefined
        if (out !== null && out !== undefined) return Effect.succeed([out])
        if (finished) return Effect.succeed(undefined)
        return Effect.andThen(writing || inputDone ? settle : feed, next)
      })
      return fromPull(next)
    }),
  )

const decoders: Record<string, Make | "deflate"> = {
  gzip: () => zlib.createGunzip(),
  "x-gzip": () => zlib.createGunzip(),
  deflate: "deflate",
  br: () => zlib.createBrotliDecompress(),
  ...(zstd === undefined ? {} : { zstd }),
}

/**
 * A coding this runtime cannot decode although Courier knows it: the body is not handed back as if it
 * were decoded (its bytes would read as garbage), it fails as it is read.
 */
const undecodable = (coding: string, request: HttpError.RequestInfo, why: string) =>
  Stream.fail(new HttpError.DecodeError({ request, expected: `${coding} data`, reason: why, preview: "" }))

/**
 * The node:zlib decoding service: gzip, deflate and br everywhere, zstd (RFC 8878) where node:zlib has it
 * (Node ≥ 22.15), with its window capped at 8 MiB. Only what can be decoded is offered in
 * `Accept-Encoding`; a zstd body on an older Node fails with a `DecodeError`.
 *
 * @since 0.1.0
 * @category services
 */
export const service: ContentDecoding.Service = {
  codings: zstd === undefined ? ["gzip", "deflate", "br"] : ["gzip", "deflate", "br", "zstd"],
  decode: (coding, body, request) => {
    const make = decoders[coding]
    if (make !== undefined) return through(make, coding, body, request)
    return coding === "zstd"
      ? undecodable(
          coding,
          request,
          `this Node (${process.version}) has no zstd decoder; Node 22.15 and later have one`,
        )
      : undefined
  },
}

/**
 * The node:zlib decoding service as a Layer.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<ContentDecoding.ContentDecoding> = Layer.succeed(
  ContentDecoding.ContentDecoding,
  service,
)
