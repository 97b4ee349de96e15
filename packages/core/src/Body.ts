/**
 * Request bodies, as declarations.
 *
 * A body says what to send — bytes, text, a JSON value, form fields or a stream — and encoding happens when
 * the request is sent. So building a request never fails and never does I/O; a body that cannot be encoded
 * (JSON with a cycle) fails the send with an `EncodeError`.
 *
 * @since 0.1.0
 */
import * as Either from "effect/Either"
import type * as Stream from "effect/Stream"
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
}

/**
 * Any body.
 *
 * @since 0.1.0
 * @category models
 */
export type Body = Empty | Bytes | Text | Json | Form | StreamBody

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
 * A body read from a stream; give `length` to send Content-Length instead of chunked framing.
 *
 * @since 0.1.0
 * @category constructors
 */
export const stream = (
  stream: Stream.Stream<Uint8Array, unknown>,
  options?: { readonly contentType?: string; readonly length?: number },
): Body => ({
  _tag: "Stream",
  stream,
  contentType: options?.contentType ?? "application/octet-stream",
  length: options?.length,
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

const utf8 = new TextEncoder()
const none: Encoded = { _tag: "Fixed", contentType: undefined, bytes: new Uint8Array(0) }

const stringify = (value: unknown): Either.Either<string, string> => {
  try {
    const s = JSON.stringify(value)
    return s === undefined ? Either.left(`${typeof value} has no JSON form`) : Either.right(s)
  } catch (e) {
    return Either.left(e instanceof Error ? e.message : String(e))
  }
}

/**
 * Encodes a body for the wire; the left side is the reason it cannot be encoded.
 *
 * @since 0.1.0
 * @category encoding
 */
export const encode = (body: Body): Either.Either<Encoded, string> => {
  switch (body._tag) {
    case "Empty":
      return Either.right(none)
    case "Bytes":
      return Either.right({ _tag: "Fixed", contentType: body.contentType, bytes: body.bytes })
    case "Text":
      return Either.right({ _tag: "Fixed", contentType: body.contentType, bytes: utf8.encode(body.text) })
    case "Json":
      return Either.map(stringify(body.value), (s) => ({
        _tag: "Fixed" as const,
        contentType: "application/json",
        bytes: utf8.encode(s),
      }))
    case "Form":
      return Either.right({
        _tag: "Fixed",
        contentType: "application/x-www-form-urlencoded",
        bytes: utf8.encode(encodeQuery(body.fields)),
      })
    case "Stream":
      return Either.right({ _tag: "Streamed", contentType: body.contentType, stream: body.stream, length: body.length })
  }
}
