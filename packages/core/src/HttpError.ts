/**
 * Every way a Courier request can fail, as `Data.TaggedError` classes in the Effect error channel.
 *
 * Each error carries the request it belongs to (method and URL, credentials redacted) and a message that
 * names both, so a log line alone says what failed. Errors come in three families:
 * - the caller's mistake, found before any byte is written (`InvalidURL`, `UnknownProtocol`,
 *   `InvalidHeader`, `EncodeError`);
 * - the network or the peer (`HTTPConnectionError`, `IOError`, `BadStatusLine`, `IncompleteRead`,
 *   `HeaderOverflow`, `ProtocolError`, `UnknownTransferEncoding`, `Timeout`);
 * - reading the result (`StatusError`, `DecodeError`, `BodyAlreadyRead`, `UnmatchedRequest`).
 *
 * @since 0.1.0
 */
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Predicate from "effect/Predicate"
import { TRANSIENT_STATUSES } from "./internal/shared/semantics.js"
import { readerOf } from "./internal/shared/status-body.js"

/**
 * The request an error belongs to: its method and its URL with credentials removed.
 *
 * @since 0.1.0
 * @category models
 */
export interface RequestInfo {
  readonly method: string
  readonly url: string
}

/**
 * A placeholder for errors raised before a request exists (for example by `Url.parse` alone).
 *
 * @since 0.1.0
 * @category constructors
 */
export const noRequest: RequestInfo = { method: "-", url: "-" }

const where = (request: RequestInfo): string => `${request.method} ${request.url}`

/**
 * The URL could not be parsed, or its port is not a number in 1..65535.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidURL extends Data.TaggedError("InvalidURL")<{
  readonly request: RequestInfo
  readonly input: string
  readonly reason: string
}> {
  override get message(): string {
    return `Invalid URL ${JSON.stringify(this.input)} (${this.reason}): ${where(this.request)}`
  }
}

/**
 * The URL's scheme is not one Courier speaks (only `http:` and `https:`).
 *
 * @since 0.1.0
 * @category errors
 */
export class UnknownProtocol extends Data.TaggedError("UnknownProtocol")<{
  readonly request: RequestInfo
  readonly protocol: string
}> {
  override get message(): string {
    return `Unknown protocol ${JSON.stringify(this.protocol)}: ${where(this.request)}`
  }
}

/**
 * A request header name or value the wire cannot carry (not a token, CR/LF/NUL in a value, …).
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidHeader extends Data.TaggedError("InvalidHeader")<{
  readonly request: RequestInfo
  readonly name: string
  readonly reason: string
}> {
  override get message(): string {
    return `Invalid header ${JSON.stringify(this.name)} (${this.reason}): ${where(this.request)}`
  }
}

/**
 * The request body could not be encoded (for example JSON with a cycle or a BigInt).
 *
 * @since 0.1.0
 * @category errors
 */
export class EncodeError extends Data.TaggedError("EncodeError")<{
  readonly request: RequestInfo
  readonly reason: string
}> {
  override get message(): string {
    return `Could not encode the request body (${this.reason}): ${where(this.request)}`
  }
}

/**
 * The server could not be reached: DNS failure, connection refused, TLS handshake failure.
 *
 * @since 0.1.0
 * @category errors
 */
export class HTTPConnectionError extends Data.TaggedError("HTTPConnectionError")<{
  readonly request: RequestInfo
  readonly host: string
  readonly port: number
  /** The system code when there is one (`ECONNREFUSED`, `ENOTFOUND`, `CERT_HAS_EXPIRED`, …). */
  readonly code: string
  readonly reason: string
}> {
  override get message(): string {
    return `Could not connect to ${this.host}:${this.port} (${this.code}: ${this.reason}): ${where(this.request)}`
  }
}

/**
 * The socket failed after the connection was made: reset, broken pipe, closed while writing.
 *
 * @since 0.1.0
 * @category errors
 */
export class IOError extends Data.TaggedError("IOError")<{
  readonly request: RequestInfo
  readonly code: string
  readonly reason: string
}> {
  override get message(): string {
    return `Socket error (${this.code}: ${this.reason}): ${where(this.request)}`
  }
}

/**
 * The server's status line is not `HTTP/x.y NNN reason` — or the server closed before sending one.
 *
 * @since 0.1.0
 * @category errors
 */
export class BadStatusLine extends Data.TaggedError("BadStatusLine")<{
  readonly request: RequestInfo
  /** The offending line as received (latin1), empty when the peer closed without a byte. */
  readonly line: string
}> {
  override get message(): string {
    const line = this.line === "" ? "connection closed before a status line" : JSON.stringify(this.line)
    return `Bad status line ${line}: ${where(this.request)}`
  }
}

/**
 * The connection ended before the body was complete.
 *
 * @since 0.1.0
 * @category errors
 */
export class IncompleteRead extends Data.TaggedError("IncompleteRead")<{
  readonly request: RequestInfo
  /** Body bytes received before the end. */
  readonly received: number
  /** Body bytes announced by Content-Length, or undefined for chunked bodies. */
  readonly expected: number | undefined
}> {
  override get message(): string {
    const of = this.expected === undefined ? "" : ` of ${this.expected}`
    return `Incomplete read (${this.received} bytes${of}): ${where(this.request)}`
  }
}

/**
 * The response head is larger than a configured limit (line length, head size or header count).
 *
 * @since 0.1.0
 * @category errors
 */
export class HeaderOverflow extends Data.TaggedError("HeaderOverflow")<{
  readonly request: RequestInfo
  readonly limit: string
  readonly max: number
}> {
  override get message(): string {
    return `Response head exceeds ${this.limit} (${this.max}): ${where(this.request)}`
  }
}

/**
 * The response violates HTTP/1.1 framing in a way that is not a bad status line: an invalid header line,
 * conflicting Content-Length, Transfer-Encoding with Content-Length, a malformed chunk.
 *
 * @since 0.1.0
 * @category errors
 */
export class ProtocolError extends Data.TaggedError("ProtocolError")<{
  readonly request: RequestInfo
  readonly reason: string
  /** Offset in the response stream at which the problem was found. */
  readonly offset: number
}> {
  override get message(): string {
    return `Protocol error at byte ${this.offset} (${this.reason}): ${where(this.request)}`
  }
}

/**
 * The response uses a transfer coding other than a single final `chunked`.
 *
 * @since 0.1.0
 * @category errors
 */
export class UnknownTransferEncoding extends Data.TaggedError("UnknownTransferEncoding")<{
  readonly request: RequestInfo
  readonly encoding: string
}> {
  override get message(): string {
    return `Unknown transfer encoding ${JSON.stringify(this.encoding)}: ${where(this.request)}`
  }
}

/**
 * A deadline passed. `phase` says which one: `acquire` (waiting for a free connection), `connect` (TCP, TLS
 * and proxy tunnel), `send` (the peer stopped taking the request body), `head` (waiting for the response
 * head), `body` (waiting for the next piece of the body), or `total`.
 *
 * @since 0.1.0
 * @category errors
 */
export class Timeout extends Data.TaggedError("Timeout")<{
  readonly request: RequestInfo
  readonly phase: "acquire" | "connect" | "send" | "head" | "body" | "total"
  readonly millis: number
}> {
  override get message(): string {
    return `Request timed out (${this.phase}, ${this.millis} ms): ${where(this.request)}`
  }
}

/**
 * The response status is not what the caller accepted (see `Response.filterStatusOk`).
 *
 * @since 0.1.0
 * @category errors
 */
export class StatusError extends Data.TaggedError("StatusError")<{
  readonly request: RequestInfo
  readonly status: number
  readonly reason: string
  /**
   * The response's header fields, as received.
   * @since 0.5.0
   */
  readonly headers?: ReadonlyArray<readonly [string, string]>
  /**
   * The start of the body as text (at most `STATUS_PREVIEW_CHARS` characters, `…` when cut), when the body
   * was already in memory and is text; otherwise undefined, and `text()` reads it.
   * @since 0.5.0
   */
  readonly preview?: string | undefined
}> {
  override get message(): string {
    const preview = this.preview === undefined || this.preview === "" ? "" : `: ${this.preview}`
    return `Unexpected status ${this.status} ${this.reason}: ${where(this.request)}${preview}`
  }

  /**
   * The response body, read when first asked for and kept: at most `maxBytes` (default
   * `STATUS_BODY_BYTES`, 64 KiB), past which it fails with `BodyTooLarge` having read no more than that.
   * Empty for an error made without a response. Read it while the response's scope is open (`execute`).
   *
   * @since 0.5.0
   */
  bytes(maxBytes: number = STATUS_BODY_BYTES): Effect.Effect<Uint8Array, HttpError> {
    const read = readerOf(this)
    return read === undefined ? Effect.succeed(new Uint8Array(0)) : read(maxBytes)
  }

  /**
   * The response body as UTF-8 text (see `bytes` for the limit).
   *
   * @since 0.5.0
   */
  text(maxBytes?: number): Effect.Effect<string, HttpError> {
    return Effect.map(this.bytes(maxBytes), (bytes) => new TextDecoder().decode(bytes))
  }

  /**
   * The response body as JSON, an API's error object say (see `bytes` for the limit); a body that is not
   * JSON is a `DecodeError`.
   *
   * @since 0.5.0
   */
  json(maxBytes?: number): Effect.Effect<unknown, HttpError> {
    return Effect.flatMap(this.text(maxBytes), (text) =>
      Effect.try({
        try: (): unknown => JSON.parse(text),
        catch: (e) =>
          new DecodeError({
            request: this.request,
            expected: "JSON",
            reason: e instanceof Error ? e.message : String(e),
            preview: text.slice(0, 200),
          }),
      }),
    )
  }
}

/**
 * The most bytes `StatusError.bytes`, `text` and `json` read by default: 64 KiB, enough for an API's error
 * object and small enough to hold.
 *
 * @since 0.5.0
 * @category limits
 */
export const STATUS_BODY_BYTES = 64 * 1024

/**
 * The most characters of `StatusError.preview`: 1024.
 *
 * @since 0.5.0
 * @category limits
 */
export const STATUS_PREVIEW_CHARS = 1024

/**
 * The response body could not be decoded as asked: not JSON, not UTF-8 text, or not the schema.
 *
 * @since 0.1.0
 * @category errors
 */
export class DecodeError extends Data.TaggedError("DecodeError")<{
  readonly request: RequestInfo
  readonly expected: string
  readonly reason: string
  /** The start of the body, for the log (at most 200 characters). */
  readonly preview: string
}> {
  override get message(): string {
    return `Response is not ${this.expected} (${this.reason}): ${where(this.request)}`
  }
}

/**
 * A response body grew past a limit: the body as received (`maxResponseBytes`, `decoded: false`) or as
 * decompressed (`maxDecodedBytes`, `decoded: true`). Checked piece by piece, so memory stays bounded;
 * `received` is how many bytes had arrived (or been decoded) when the limit was passed. A Content-Length
 * past the limit fails at the head, before any of the body is read (`announced`).
 *
 * @since 0.1.0
 * @category errors
 */
export class BodyTooLarge extends Data.TaggedError("BodyTooLarge")<{
  readonly request: RequestInfo
  readonly limit: number
  readonly received: number
  readonly decoded: boolean
  /**
   * The Content-Length that announced more than the limit, when that was known from the head: the body was
   * then not read at all.
   */
  readonly announced?: number | undefined
}> {
  override get message(): string {
    if (this.announced !== undefined) {
      return `Response body of ${this.announced} bytes (Content-Length) exceeds ${this.limit} bytes and was not read: ${where(this.request)}`
    }
    const what = this.decoded ? "Decoded body" : "Response body"
    return `${what} exceeds ${this.limit} bytes (${this.received} so far): ${where(this.request)}`
  }
}

/**
 * Redirects went on past the limit; `chain` is every URL visited, in order.
 *
 * @since 0.1.0
 * @category errors
 */
export class TooManyRedirects extends Data.TaggedError("TooManyRedirects")<{
  readonly request: RequestInfo
  readonly chain: ReadonlyArray<string>
}> {
  override get message(): string {
    return `More than ${this.chain.length - 1} redirects (${this.chain.join(" -> ")}): ${where(this.request)}`
  }
}

/**
 * The response body was already consumed as a stream and cannot be read again.
 *
 * @since 0.1.0
 * @category errors
 */
export class BodyAlreadyRead extends Data.TaggedError("BodyAlreadyRead")<{
  readonly request: RequestInfo
}> {
  override get message(): string {
    return `Response body was already read: ${where(this.request)}`
  }
}

/**
 * No route of a test transport answered the request; `reasons` says why each route missed.
 *
 * @since 0.1.0
 * @category errors
 */
export class UnmatchedRequest extends Data.TaggedError("UnmatchedRequest")<{
  readonly request: RequestInfo
  readonly reasons: ReadonlyArray<string>
}> {
  override get message(): string {
    const lines = this.reasons.length === 0 ? ["no routes are defined"] : this.reasons
    return `No route matched ${where(this.request)}:\n  ${lines.join("\n  ")}`
  }
}

/**
 * A low-level `Connection` was used out of order; `state` is where it was (`Idle`, `Request-started`,
 * `Request-sent`, `Response-unread`, `Closed`). The four errors below say more precisely what was wrong.
 *
 * @since 0.1.0
 * @category errors
 */
export class ImproperConnectionState extends Data.TaggedError("ImproperConnectionState")<{
  readonly request: RequestInfo
  readonly state: string
  readonly reason: string
}> {
  override get message(): string {
    return `Improper connection state ${this.state} (${this.reason}): ${where(this.request)}`
  }
}

/**
 * `putrequest`/`request` was called while a request was in progress or its response not fully read.
 *
 * @since 0.1.0
 * @category errors
 */
export class CannotSendRequest extends Data.TaggedError("CannotSendRequest")<{
  readonly request: RequestInfo
  readonly state: string
}> {
  override get message(): string {
    return `Cannot send a request in state ${this.state} (read the whole response first): ${where(this.request)}`
  }
}

/**
 * `putheader`/`endheaders` was called with no request started.
 *
 * @since 0.1.0
 * @category errors
 */
export class CannotSendHeader extends Data.TaggedError("CannotSendHeader")<{
  readonly request: RequestInfo
  readonly state: string
}> {
  override get message(): string {
    return `Cannot send a header in state ${this.state} (call putrequest first): ${where(this.request)}`
  }
}

/**
 * `getresponse` was called before a request was sent, or while the previous response is unread.
 *
 * @since 0.1.0
 * @category errors
 */
export class ResponseNotReady extends Data.TaggedError("ResponseNotReady")<{
  readonly request: RequestInfo
  readonly state: string
}> {
  override get message(): string {
    return `Response not ready in state ${this.state}: ${where(this.request)}`
  }
}

/**
 * The connection is closed: it was closed by `close`, or the server ended it.
 *
 * @since 0.1.0
 * @category errors
 */
export class NotConnected extends Data.TaggedError("NotConnected")<{
  readonly request: RequestInfo
}> {
  override get message(): string {
    return `Not connected: ${where(this.request)}`
  }
}

/**
 * The names of HTTP/2's error codes, indexed by code (RFC 9113 §7).
 *
 * @since 0.4.0
 * @category constants
 */
export const HTTP2_ERROR_CODES: ReadonlyArray<string> = [
  "NO_ERROR",
  "PROTOCOL_ERROR",
  "INTERNAL_ERROR",
  "FLOW_CONTROL_ERROR",
  "SETTINGS_TIMEOUT",
  "STREAM_CLOSED",
  "FRAME_SIZE_ERROR",
  "REFUSED_STREAM",
  "CANCEL",
  "COMPRESSION_ERROR",
  "CONNECT_ERROR",
  "ENHANCE_YOUR_CALM",
  "INADEQUATE_SECURITY",
  "HTTP_1_1_REQUIRED",
]

/**
 * An HTTP/2 stream was reset: by the server (`RST_STREAM`), because the server closed the connection with
 * `GOAWAY` before answering it, or by the client's HTTP/2 layer when the response's head broke its limits
 * (`ENHANCE_YOUR_CALM` for too many header fields, `FRAME_SIZE_ERROR` or `COMPRESSION_ERROR` for too large
 * a head). `code` is the HTTP/2 error code's name (RFC 9113 §7), for example `REFUSED_STREAM`, `CANCEL`,
 * `INTERNAL_ERROR` or `ENHANCE_YOUR_CALM`. A refused stream was not processed
 * by the server; the transport sends it again by itself when its body can be sent again, so one reaches the
 * caller only once those tries are spent.
 *
 * @since 0.4.0
 * @category errors
 */
export class StreamReset extends Data.TaggedError("StreamReset")<{
  readonly request: RequestInfo
  /** The HTTP/2 error code's name. */
  readonly code: string
  /** The HTTP/2 error code. */
  readonly errorCode: number
  /** The reset came with the server's `GOAWAY`, which closes the whole connection. */
  readonly goaway: boolean
}> {
  /** The reset for an error code, by number: its name from `HTTP2_ERROR_CODES`. */
  static of(request: RequestInfo, errorCode: number, goaway: boolean): StreamReset {
    return new StreamReset({ request, code: HTTP2_ERROR_CODES[errorCode] ?? `UNKNOWN_${errorCode}`, errorCode, goaway })
  }

  override get message(): string {
    return `HTTP/2 stream reset (${this.code}${this.goaway ? ", GOAWAY from the server" : ""}): ${where(this.request)}`
  }
}

/**
 * Any Courier error.
 *
 * @since 0.1.0
 * @category models
 */
export type HttpError =
  | InvalidURL
  | UnknownProtocol
  | InvalidHeader
  | EncodeError
  | HTTPConnectionError
  | IOError
  | BadStatusLine
  | IncompleteRead
  | HeaderOverflow
  | ProtocolError
  | UnknownTransferEncoding
  | Timeout
  | StatusError
  | DecodeError
  | BodyAlreadyRead
  | BodyTooLarge
  | TooManyRedirects
  | UnmatchedRequest
  | ImproperConnectionState
  | CannotSendRequest
  | CannotSendHeader
  | ResponseNotReady
  | NotConnected
  | StreamReset

/**
 * The connection-state errors (httplib's `ImproperConnectionState` and its subclasses), and `NotConnected`.
 *
 * @since 0.1.0
 * @category models
 */
export type ConnectionStateError =
  | ImproperConnectionState
  | CannotSendRequest
  | CannotSendHeader
  | ResponseNotReady
  | NotConnected

/** The brand every Courier error carries: `isHttpError` checks it, not the tag, which any object may have. */
const TypeId: unique symbol = Symbol.for("@courier/core/HttpError")
for (const error of [
  InvalidURL,
  UnknownProtocol,
  InvalidHeader,
  EncodeError,
  HTTPConnectionError,
  IOError,
  BadStatusLine,
  IncompleteRead,
  HeaderOverflow,
  ProtocolError,
  UnknownTransferEncoding,
  Timeout,
  StatusError,
  DecodeError,
  BodyAlreadyRead,
  BodyTooLarge,
  TooManyRedirects,
  UnmatchedRequest,
  ImproperConnectionState,
  CannotSendRequest,
  CannotSendHeader,
  ResponseNotReady,
  NotConnected,
  StreamReset,
])
  Object.defineProperty(error.prototype, TypeId, { value: TypeId })

const stateTags: ReadonlySet<string> = new Set([
  "ImproperConnectionState",
  "CannotSendRequest",
  "CannotSendHeader",
  "ResponseNotReady",
])

/**
 * Whether an error is an improper connection state, as httplib's `except ImproperConnectionState` catches
 * `CannotSendRequest`, `CannotSendHeader` and `ResponseNotReady` too.
 *
 * @since 0.1.0
 * @category refinements
 */
export const isImproperConnectionState = (u: unknown): u is Exclude<ConnectionStateError, NotConnected> =>
  isHttpError(u) && stateTags.has(u._tag)

/**
 * Whether a value is one of Courier's errors.
 *
 * @since 0.1.0
 * @category refinements
 */
export const isHttpError = (u: unknown): u is HttpError => Predicate.hasProperty(u, TypeId)

/**
 * Whether an error may succeed on a new attempt: connection failures, socket errors, timeouts, a
 * connection closed before a status line, and an HTTP/2 stream the server refused or dropped with its
 * connection (`GOAWAY`). Protocol violations and the caller's mistakes are not.
 *
 * @since 0.1.0
 * @category refinements
 */
export const isTransient = (error: HttpError): boolean => {
  switch (error._tag) {
    case "HTTPConnectionError":
    case "IOError":
    case "Timeout":
      return true
    case "BadStatusLine":
      return error.line === ""
    case "StreamReset":
      return error.goaway || error.code === "REFUSED_STREAM"
    case "StatusError":
      return TRANSIENT_STATUSES.includes(error.status)
    default:
      return false
  }
}
