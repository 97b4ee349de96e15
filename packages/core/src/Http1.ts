/**
 * The sans-IO HTTP/1.1 codec: encodes request heads and chunked bodies, and decodes responses.
 *
 * Nothing here does I/O or keeps time: a decoder is fed bytes and returns events (`Head`, `Data`, `End`,
 * `Informational`, `NeedData`, `Error`), so it runs the same over node sockets, a scripted in-memory peer,
 * or a test table. Parsing is strict (RFC 9112) except where the RFC asks a user agent to be lenient, and
 * every buffer the peer controls is bounded by a named limit.
 *
 * @since 0.1.0
 */
import * as Headers from "./Headers.js"
import { ResponseDecoder } from "./internal/http1/decoder.js"
import { bodiless } from "./internal/http1/framing.js"
import type { Limits } from "./internal/http1/model.js"
import { concat, encodeLatin1 } from "./internal/shared/bytes.js"

export type {
  /**
   * A decoder event.
   *
   * @since 0.1.0
   * @category models
   */
  Event,
  /**
   * Why a response could not be decoded.
   *
   * @since 0.1.0
   * @category models
   */
  Failure,
  /**
   * The decoded status line and header fields.
   *
   * @since 0.1.0
   * @category models
   */
  Head,
  /**
   * The decoder's limits.
   *
   * @since 0.1.0
   * @category models
   */
  Limits,
} from "./internal/http1/model.js"
export {
  /**
   * The response decoder: `feed(bytes)` and `eof()` return events; `done`, `reusable` and `leftover` tell
   * the connection's fate once the message ends.
   *
   * @since 0.1.0
   * @category decoding
   */
  ResponseDecoder,
}

/**
 * The largest response head (status line, fields and the blank line): 16 KiB, the default of Node's
 * `--max-http-header-size` and of h11.
 *
 * @since 0.1.0
 * @category limits
 */
export const MAX_HEAD_BYTES = 16 * 1024

/**
 * The longest single line in a head or trailer section: 8 KiB, nginx's `large_client_header_buffers` size
 * and close to Apache's `LimitRequestFieldSize` (8190).
 *
 * @since 0.1.0
 * @category limits
 */
export const MAX_LINE_BYTES = 8 * 1024

/**
 * The most header fields in one head: 100, as CPython's http.client (`_MAXHEADERS`) and hyper.
 *
 * @since 0.1.0
 * @category limits
 */
export const MAX_HEADER_COUNT = 100

/**
 * The longest chunk-size line (size and extensions): 4096 bytes, Go net/http's `maxLineLength`.
 *
 * @since 0.1.0
 * @category limits
 */
export const MAX_CHUNK_LINE_BYTES = 4096

/**
 * The most chunk-extension bytes in one body: 16 KiB, hyper's `CHUNKED_EXTENSIONS_LIMIT`.
 *
 * @since 0.1.0
 * @category limits
 */
export const MAX_CHUNK_EXTENSION_BYTES = 16 * 1024

/**
 * The most informational (1xx) responses before the final one: 5, Go net/http's `max1xxResponses`. Their
 * heads together must also fit in the head limit (as Go 1.24 counts them against `MaxResponseHeaderBytes`),
 * so an endless stream of `100 Continue` ends in a `ProtocolError` instead of being read forever.
 *
 * @since 0.2.0
 * @category limits
 */
export const MAX_INFORMATIONAL = 5

/**
 * The default limit on a response body read into memory (`Client.fetch`, the one-call API): 1 GiB, the same
 * as the default limit on a decoded body. A streamed body has no default limit, since the reader's pace
 * bounds its memory; `maxResponseBytes` sets one for both.
 *
 * @since 0.2.0
 * @category limits
 */
export const MAX_BUFFERED_BODY_BYTES = 1024 * 1024 * 1024

/**
 * The default limits.
 *
 * @since 0.1.0
 * @category limits
 */
export const defaultLimits: Limits = {
  maxHeadBytes: MAX_HEAD_BYTES,
  maxLineBytes: MAX_LINE_BYTES,
  maxHeaderCount: MAX_HEADER_COUNT,
  maxChunkLineBytes: MAX_CHUNK_LINE_BYTES,
  maxChunkExtensionBytes: MAX_CHUNK_EXTENSION_BYTES,
  maxInformational: MAX_INFORMATIONAL,
}

/**
 * A decoder for the response to a request with `method` (a HEAD response has no body).
 *
 * @since 0.1.0
 * @category decoding
 */
export const makeDecoder = (method: string, limits: Partial<Limits> = {}): ResponseDecoder =>
  new ResponseDecoder(method, { ...defaultLimits, ...limits })

/**
 * What the request head says: method, target, the Host value and the other fields in order.
 *
 * @since 0.1.0
 * @category models
 */
export interface RequestHead {
  readonly method: string
  readonly target: string
  readonly host: string
  readonly headers: ReadonlyArray<readonly [string, string]>
}

/**
 * Why a request head cannot be sent, or undefined: the method must be a token, the target free of
 * whitespace and control characters, field names tokens and values free of CR, LF and NUL.
 *
 * @since 0.1.0
 * @category encoding
 */
export const invalidHead = (head: RequestHead): { readonly name: string; readonly reason: string } | undefined => {
  if (!Headers.isToken(head.method)) return { name: ":method", reason: "method is not a token" }
  if (head.target === "" || /[\x00-\x20\x7f-\uffff]/.test(head.target)) {
    return { name: ":target", reason: "target is empty or holds whitespace, control or non-ASCII characters" }
  }
  for (const [name, value] of head.headers) {
    if (!Headers.isToken(name)) return { name, reason: "name is not a token" }
    const reason = Headers.invalidValueReason(value)
    if (reason !== undefined) return { name, reason }
  }
  const hostReason = Headers.invalidValueReason(head.host)
  return hostReason === undefined ? undefined : { name: "Host", reason: hostReason }
}

/**
 * Encodes a request head (request line, `Host` first unless the fields carry one, then the fields in
 * order, then the blank line) as latin1 bytes. Validate with `invalidHead` first.
 *
 * @since 0.1.0
 * @category encoding
 */
export const encodeHead = (head: RequestHead): Uint8Array => {
  let s = `${head.method} ${head.target} HTTP/1.1\r\n`
  let hasHost = false
  for (const [name] of head.headers) {
    if (name.length === 4 && name.toLowerCase() === "host") hasHost = true
  }
  if (!hasHost) s += `Host: ${head.host}\r\n`
  for (const [name, value] of head.headers) s += `${name}: ${value}\r\n`
  return encodeLatin1(`${s}\r\n`)
}

const CRLF = new Uint8Array([13, 10])

/**
 * Frames one chunk of a chunked body (RFC 9112 §7.1): size in hex, CRLF, data, CRLF. Empty data gives
 * nothing, since a zero-size chunk would end the body.
 *
 * @since 0.1.0
 * @category encoding
 */
export const encodeChunk = (data: Uint8Array): Uint8Array => {
  if (data.length === 0) return data
  return concat(concat(encodeLatin1(`${data.length.toString(16)}\r\n`), data), CRLF)
}

/**
 * The last chunk and the empty trailer section that end a chunked body.
 *
 * @since 0.1.0
 * @category encoding
 */
export const LAST_CHUNK: Uint8Array = encodeLatin1("0\r\n\r\n")

/**
 * Whether a response to `method` with `status` has no body, whatever its framing fields say: a response to
 * HEAD, a 204 or a 304 (RFC 9110 §6.4.1). Its Content-Length, if any, announces a size and frames nothing.
 *
 * @since 0.5.0
 * @category decoding
 */
export const isBodiless: (method: string, status: number) => boolean = bodiless
