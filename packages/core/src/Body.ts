/**
 * Request bodies, as declarations.
 *
 * A body says what to send — bytes, text, a JSON value, form fields or a stream — and encoding happens when
 * the request is sent. So building a request never fails and never does I/O; a body that cannot be encoded
 * (JSON with a cycle) fails the send with an `EncodeError`.
 *
 * @since 0.1.0
 */
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import type { OpenedFile } from "./Files.js"
import { concatAll } from "./internal/shared/bytes.js"
import { Result } from "./internal/shared/edition.js"
import { isList } from "./internal/shared/guards.js"
import { encodeQuery, type Params, paramsToPairs } from "./Url.js"

/**
 * No body.
 *
 * @since 0.1.0
 * @category models
 */
export interface Empty {
  readonly _tag: "Empty"
}

/**
 * Raw bytes.
 *
 * @since 0.1.0
 * @category models
 */
export interface Bytes {
  readonly _tag: "Bytes"
  readonly bytes: Uint8Array
  readonly contentType: string
}

/**
 * Text, sent as UTF-8.
 *
 * @since 0.1.0
 * @category models
 */
export interface Text {
  readonly _tag: "Text"
  readonly text: string
  readonly contentType: string
}

/**
 * A value sent as JSON.
 *
 * @since 0.1.0
 * @category models
 */
export interface Json {
  readonly _tag: "Json"
  readonly value: unknown
}

/**
 * Fields sent as `application/x-www-form-urlencoded`.
 *
 * @since 0.1.0
 * @category models
 */
export interface Form {
  readonly _tag: "Form"
  readonly fields: ReadonlyArray<readonly [string, string]>
}

/**
 * A stream of bytes; sent with Content-Length when `length` is known, chunked otherwise.
 *
 * @since 0.1.0
 * @category models
 */
export interface StreamBody {
  readonly _tag: "Stream"
  readonly stream: Stream.Stream<Uint8Array, unknown>
  readonly contentType: string
  readonly length: number | undefined
  /** The stream gives the same bytes each time it runs, so the body may be sent again (retries, 307/308). */
  readonly replayable: boolean
}

/**
 * A local file, streamed with its size as Content-Length (needs the `Files` service).
 *
 * @since 0.1.0
 * @category models
 */
export interface File {
  readonly _tag: "File"
  readonly path: string
  readonly contentType: string
}

/**
 * The content of a file part: text or bytes, a stream (with its length if known), a local file by path,
 * or a file already open.
 *
 * @since 0.1.0
 * @category models
 */
export type FileContent =
  | { readonly content: string | Uint8Array }
  | { readonly stream: Stream.Stream<Uint8Array, unknown>; readonly length?: number }
  | { readonly path: string }
  /** A file already open (see `NodeFiles.fromHandle`): sent with its size, from its start, on every attempt. */
  | { readonly file: OpenedFile }

/**
 * A file part of a multipart body: the field name, and the file's name, type and content.
 *
 * @since 0.1.0
 * @category models
 */
export type FilePart = FileContent & {
  /** The file name sent; defaults to the path's last segment, or the field name. */
  readonly filename?: string
  /** @default "application/octet-stream" */
  readonly contentType?: string
}

/**
 * A `multipart/form-data` body (RFC 7578): fields, then files.
 *
 * @since 0.1.0
 * @category models
 */
export interface Multipart {
  readonly _tag: "Multipart"
  readonly fields: ReadonlyArray<readonly [string, string]>
  readonly files: ReadonlyArray<readonly [string, FilePart]>
}

/**
 * Any body.
 *
 * @since 0.1.0
 * @category models
 */
export type Body = Empty | Bytes | Text | Json | Form | StreamBody | File | Multipart

/**
 * The empty body.
 *
 * @since 0.1.0
 * @category constructors
 */
export const empty: Body = { _tag: "Empty" }

/**
 * A body of raw bytes.
 *
 * @since 0.1.0
 * @category constructors
 */
export const bytes = (bytes: Uint8Array, contentType = "application/octet-stream"): Body => ({
  _tag: "Bytes",
  bytes,
  contentType,
})

/**
 * A body of text, sent as UTF-8.
 *
 * @since 0.1.0
 * @category constructors
 */
export const text = (text: string, contentType = "text/plain; charset=utf-8"): Body => ({
  _tag: "Text",
  text,
  contentType,
})

/**
 * A body holding a value to send as JSON.
 *
 * @since 0.1.0
 * @category constructors
 */
export const json = (value: unknown): Body => ({ _tag: "Json", value })

/**
 * A body of form fields (`application/x-www-form-urlencoded`).
 *
 * @since 0.1.0
 * @category constructors
 */
export const form = (fields: Params): Body => ({ _tag: "Form", fields: paramsToPairs(fields) })

/**
 * A body read from a stream; give `length` to send Content-Length instead of chunked framing, and
 * `replayable` when running the stream again gives the same bytes (then retries and 307/308 may resend it).
 *
 * @since 0.1.0
 * @category constructors
 */
export const stream = (
  stream: Stream.Stream<Uint8Array, unknown>,
  options?: { readonly contentType?: string; readonly length?: number; readonly replayable?: boolean },
): Body => ({
  _tag: "Stream",
  stream,
  contentType: options?.contentType ?? "application/octet-stream",
  length: options?.length,
  replayable: options?.replayable ?? false,
})

/**
 * A local file, streamed from disk with its size as Content-Length (Zerynth's `upload`).
 *
 * @since 0.1.0
 * @category constructors
 */
export const file = (path: string, contentType = "application/octet-stream"): Body => ({
  _tag: "File",
  path,
  contentType,
})

/**
 * A `multipart/form-data` body, as requests' `files=` with `data=`: fields, and files given as content,
 * a stream or a local path. Nothing is buffered: files and streams are sent as they are read.
 *
 * @example
 * ```ts
 * Body.multipart({
 *   fields: { title: "Report" },
 *   files: { report: { path: "/tmp/report.xls", contentType: "application/vnd.ms-excel" } },
 * })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const multipart = (options: {
  readonly fields?: Params
  readonly files?: Readonly<Record<string, FilePart>> | ReadonlyArray<readonly [string, FilePart]>
}): Body => ({
  _tag: "Multipart",
  fields: options.fields === undefined ? [] : paramsToPairs(options.fields),
  files: options.files === undefined ? [] : isList(options.files) ? options.files : Object.entries(options.files),
})

/**
 * A body ready for the wire: bytes with their content type, or a stream with its length if known.
 *
 * @since 0.1.0
 * @category models
 */
export type Encoded =
  | { readonly _tag: "Fixed"; readonly contentType: string | undefined; readonly bytes: Uint8Array }
  | {
      readonly _tag: "Streamed"
      readonly contentType: string
      readonly stream: Stream.Stream<Uint8Array, unknown>
      readonly length: number | undefined
    }

/**
 * A body could not be encoded (JSON with a cycle or a BigInt, a File or Multipart body that was not resolved
 * first) or its stream failed while gathered by `toBytes`. The Client reports it as `EncodeError`, with the
 * request.
 *
 * @since 0.2.0
 * @category errors
 */
export class InvalidBody extends Data.TaggedError("InvalidBody")<{ readonly reason: string }> {
  override get message(): string {
    return `The body cannot be encoded: ${this.reason}`
  }
}

const utf8 = new TextEncoder()
const none: Encoded = { _tag: "Fixed", contentType: undefined, bytes: new Uint8Array(0) }

const stringify = (value: unknown): Result<string, string> => {
  try {
    const s = JSON.stringify(value)
    return s === undefined ? Result.fail(`${typeof value} has no JSON form`) : Result.succeed(s)
  } catch (e) {
    return Result.fail(e instanceof Error ? e.message : String(e))
  }
}

/**
 * Encodes a body for the wire; the left side is the reason it cannot be encoded.
 *
 * @since 0.1.0
 * @category encoding
 */
export const encode = (body: Body): Result<Encoded, InvalidBody> =>
  Result.mapError(encodeWith(body), (reason) => new InvalidBody({ reason }))

const encodeWith = (body: Body): Result<Encoded, string> => {
  switch (body._tag) {
    case "Empty":
      return Result.succeed(none)
    case "Bytes":
      return Result.succeed({ _tag: "Fixed", contentType: body.contentType, bytes: body.bytes })
    case "Text":
      return Result.succeed({ _tag: "Fixed", contentType: body.contentType, bytes: utf8.encode(body.text) })
    case "Json":
      return Result.map(stringify(body.value), (s) => ({
        _tag: "Fixed" as const,
        contentType: "application/json",
        bytes: utf8.encode(s),
      }))
    case "Form":
      return Result.succeed({
        _tag: "Fixed",
        contentType: "application/x-www-form-urlencoded",
        bytes: utf8.encode(encodeQuery(body.fields)),
      })
    case "Stream":
      return Result.succeed({
        _tag: "Streamed",
        contentType: body.contentType,
        stream: body.stream,
        length: body.length,
      })
    case "File":
    case "Multipart":
      // The Client turns these into streams first (Body.resolve), with the Files service.
      return Result.fail(`a ${body._tag} body must be resolved by the Client before it is sent`)
  }
}

/**
 * Encodes a body and gathers it into one byte array, reading a stream to its end; for transports and test
 * doubles that need the whole body at once. The failure is the reason it could not be encoded or read.
 *
 * @since 0.1.0
 * @category encoding
 */
export const toBytes = (body: Body): Effect.Effect<Uint8Array, InvalidBody> =>
  Result.match(encode(body), {
    onFailure: Effect.fail,
    onSuccess: (encoded) =>
      encoded._tag === "Fixed"
        ? Effect.succeed(encoded.bytes)
        : Stream.runCollect(encoded.stream).pipe(
            Effect.map((chunks) => concatAll(Array.from(chunks))),
            Effect.mapError((e) => new InvalidBody({ reason: e instanceof Error ? e.message : String(e) })),
          ),
  })
