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
import * as Stream from "effect/Stream"

type Make = () => zlib.Gunzip | zlib.Inflate | zlib.BrotliDecompress | zlib.InflateRaw

/** Deflate: zlib-wrapped per RFC 9110, or raw when the first byte says it is not a zlib header. */
const inflate = (first: number): zlib.Inflate | zlib.InflateRaw =>
  (first & 0x0f) === 0x08 ? zlib.createInflate() : zlib.createInflateRaw()

const through = (
  make: Make | "deflate",
  coding: string,
  body: Stream.Stream<Uint8Array, HttpError.HttpError>,
  request: HttpError.RequestInfo,
): Stream.Stream<Uint8Array, HttpError.HttpError> =>
  Stream.suspend(() => {
    let z: ReturnType<Make> | undefined
    let out: Array<Uint8Array> = []
    let failure: Error | undefined
    const setup = (first: number) => {
      const t = make === "deflate" ? inflate(first) : make()
      t.on("data", (d: Buffer) => out.push(d))
      t.on("error", (e: Error) => {
        failure = e
      })
      return t
    }
    const bad = (e: Error) =>
      new HttpError.DecodeError({ request, expected: `${coding} data`, reason: e.message, preview: "" })
    const take = (): Effect.Effect<ReadonlyArray<Uint8Array>, HttpError.HttpError> => {
      if (failure !== undefined) return Effect.fail(bad(failure))
      const taken = out
      out = []
      return Effect.succeed(taken)
    }
    const feed = (chunk: Uint8Array) =>
      Effect.async<ReadonlyArray<Uint8Array>, HttpError.HttpError>((resume) => {
        if (z === undefined) z = setup(chunk[0] ?? 0)
        const t = z
        if (failure !== undefined) return resume(take())
        // On corrupt data zlib emits 'error' and may never call the write callback: whichever comes first wins.
        let done = false
        const finish = () => {
          if (done) return
          done = true
          t.off("error", finish)
          resume(take())
        }
        t.once("error", finish)
        t.write(chunk, finish)
      })
    const end = Effect.async<ReadonlyArray<Uint8Array>, HttpError.HttpError>((resume) => {
      if (z === undefined) return resume(Effect.succeed([]))
      z.once("end", () => resume(take()))
      z.once("error", (e: Error) => resume(Effect.fail(bad(e))))
      z.end()
    })
    return Stream.concat(
      Stream.mapConcatEffect(body, (chunk) => (chunk.length === 0 ? Effect.succeed([]) : feed(chunk))),
      Stream.fromIterableEffect(end),
    ).pipe(Stream.ensuring(Effect.sync(() => z?.destroy())))
  })

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
