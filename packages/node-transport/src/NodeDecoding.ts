/**
 * Response decompression over node:zlib: gzip (and x-gzip), deflate (zlib-wrapped, or raw as some servers
 * send it) and br. Each coding is a zlib transform fed chunk by chunk, so the body is never held whole.
 *
 * @since 0.1.0
 */
import * as zlib from "node:zlib"
import { ContentDecoding, HttpError } from "@courier/core"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"

type Make = () => zlib.Gunzip | zlib.Inflate | zlib.BrotliDecompress | zlib.InflateRaw

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
  Stream.unwrapScoped(
    Effect.gen(function* () {
      const input = yield* Stream.toPull(body)
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
      const settle = Effect.async<void>((resume) => {
        wake = () => resume(Effect.void)
        return Effect.sync(() => {
          wake = undefined
        })
      })
      /** Writes the next input chunk, or ends zlib's input when the body has ended. */
      const feed = Effect.matchEffect(input, {
        onFailure: Option.match({
          onNone: () =>
            Effect.sync(() => {
              inputDone = true
              if (z === undefined) finished = true
              else z.end()
            }),
          onSome: (e) => Effect.fail(e),
        }),
        onSuccess: (chunks) =>
          Effect.sync(() => {
            for (const chunk of chunks) {
              if (chunk.length === 0) continue
              z ??= setup(chunk[0] as number)
              writing = true
              z.write(chunk, () => {
                writing = false
                kick()
              })
            }
          }),
      })
      const next: Effect.Effect<Uint8Array, Option.Option<HttpError.HttpError>> = Effect.suspend(() => {
        if (failure !== undefined) return Effect.fail(Option.some(bad(failure)))
        const out = z?.read() as Buffer | null | undefined
        if (out !== null && out !== undefined) return Effect.succeed(out)
        if (finished) return Effect.fail(Option.none())
        const step = writing || inputDone ? settle : Effect.mapError(feed, Option.some)
        return Effect.zipRight(step, next)
      })
      return Stream.repeatEffectOption(next)
    }),
  )

const decoders: Record<string, Make | "deflate"> = {
  gzip: () => zlib.createGunzip(),
  "x-gzip": () => zlib.createGunzip(),
  deflate: "deflate",
  br: () => zlib.createBrotliDecompress(),
}

/**
 * The node:zlib decoding service.
 *
 * @since 0.1.0
 * @category services
 */
export const service: ContentDecoding.Service = {
  codings: ["gzip", "deflate", "br"],
  decode: (coding, body, request) => {
    const make = decoders[coding]
    return make === undefined ? undefined : through(make, coding, body, request)
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
