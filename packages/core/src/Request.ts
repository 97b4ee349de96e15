/**
 * The request: an immutable value that says what to send, and does nothing until a Client runs it.
 *
 * A request holds a method, a URL (kept as given and parsed when sent, so building never fails), query
 * params, headers and a body. Every combinator is `dual` and returns a new request. Requests compare by
 * value (`Equal`), and their `toJSON`/`toString` hide credentials.
 *
 * @since 0.1.0
 */
import * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import type * as Equal from "effect/Equal"
import { dual } from "effect/Function"
import type { Inspectable } from "effect/Inspectable"
import type { Pipeable } from "effect/Pipeable"
import type * as Redacted from "effect/Redacted"
import type * as Stream from "effect/Stream"
import * as Body from "./Body.js"
import * as Headers from "./Headers.js"
import * as Http1 from "./Http1.js"
import {
  type EncodeError,
  type HttpError,
  InvalidHeader,
  type InvalidURL,
  type RequestInfo,
  type UnknownProtocol,
} from "./HttpError.js"
import { framedFields } from "./internal/http1/request-head.js"
import { basicAuthorization, bearerAuthorization } from "./internal/shared/credentials.js"
import { type DurationInput, Result } from "./internal/shared/edition.js"
import { outgoing as internalOutgoing } from "./internal/shared/outgoing.js"
import * as signing from "./internal/shared/read-body.js"
import * as internal from "./internal/shared/request.js"
import type { Informational } from "./Response.js"
import * as Url from "./Url.js"
import { type Params, paramsToPairs } from "./Url.js"

/**
 * The unique symbol that marks a Request value.
 *
 * @since 0.1.0
 * @category type ids
 */
export const TypeId: typeof internal.TypeId = internal.TypeId

/**
 * The type of the symbol that marks a Request value.
 *
 * @since 0.1.0
 * @category type ids
 */
export type TypeId = typeof TypeId

/**
 * An HTTP method; any RFC 9110 token is allowed, these are the common ones.
 *
 * @since 0.1.0
 * @category models
 */
export type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE" | "HEAD" | "OPTIONS" | "TRACE" | (string & {})

/**
 * The request value.
 *
 * @since 0.1.0
 * @category models
 */
export interface Request extends Pipeable, Equal.Equal, Inspectable {
  readonly [TypeId]: TypeId
  readonly method: Method
  /** The URL as given: absolute, or relative to the Client's base URL. */
  readonly url: string
  /** Query params appended to the URL when sent, after any query the URL has. */
  readonly params: ReadonlyArray<readonly [string, string]>
  readonly headers: Headers.Headers
  readonly body: Body.Body
  /** Deadlines for each phase; absent phases have none (the connect phase has the transport's default). */
  readonly timeouts: Timeouts
  /**
   * The most bytes the response body may have as received (before decompression); past it the request
   * fails with `BodyTooLarge`. Undefined: the Client's limit.
   */
  readonly maxResponseBytes: number | undefined
  /**
   * Send `Expect: 100-continue` and hold the body until the server answers `100 Continue` or a final
   * response (RFC 9110 §10.1.1); the body is sent anyway after a short wait.
   */
  readonly expectContinue: boolean
  /** Called with each 1xx response (100 Continue, 103 Early Hints …) received before the final one. */
  readonly onInformational: ((informational: Informational) => Effect.Effect<void>) | undefined
  /** Called as the body is written. */
  readonly onUploadProgress: ((progress: Progress) => Effect.Effect<void>) | undefined
  /** Called as each piece of the response body arrives, also when the body is read into memory. */
  readonly onDownloadProgress: ((progress: Progress) => Effect.Effect<void>) | undefined
}

/**
 * How far a transfer has come: bytes so far, and the total when it is known.
 *
 * @since 0.1.0
 * @category models
 */
export interface Progress {
  readonly transferred: number
  readonly total: number | undefined
}

/**
 * Deadlines for the phases of a request; each fails the request with a `Timeout` naming its phase. The
 * HTTP/1.1 transport has a default for each phase but `total` (see `Http1Transport.defaultTimeouts`).
 * - `acquire`: waiting for a free connection when the pool is full.
 * - `connect`: opening the connection (TCP, TLS, a proxy's CONNECT).
 * - `send`: the longest wait for the peer to take more of the request body.
 * - `head`: from writing the request to the end of the response head.
 * - `body`: the longest wait for the next piece of the body.
 * - `total`: the whole request; with the one-call API and `Client.fetch` that includes reading the body,
 *   with `Client.execute` it ends when the response head is returned.
 *
 * @since 0.1.0
 * @category models
 */
export interface Timeouts {
  readonly acquire?: DurationInput
  readonly connect?: DurationInput
  readonly send?: DurationInput
  readonly head?: DurationInput
  readonly body?: DurationInput
  readonly total?: DurationInput
}

/**
 * The options of the one-call API and of `make`, in the shape of Python's requests and Zerynth's module.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** Query params, appended to the URL. */
  readonly params?: Params
  /** Extra headers. */
  readonly headers?: Headers.Input
  /** Form fields, sent urlencoded. When both `data` and `json` are given, `data` wins (as in Zerynth). */
  readonly data?: Params
  /** A value sent as JSON, unless `data` is also given. */
  readonly json?: unknown
  /** Any other body; ignored when `data`, `json` or `files` is given. */
  readonly body?: Body.Body
  /**
   * Files sent as `multipart/form-data` (requests' `files=`): by path, content, stream or open file, with
   * `data`'s fields in the same body. Wins over `json` and `body`.
   */
  readonly files?: Readonly<Record<string, Body.FilePart>> | ReadonlyArray<readonly [string, Body.FilePart]>
  /** A total deadline (a Duration, or milliseconds), or a deadline per phase. */
  readonly timeout?: DurationInput | Timeouts
  /** The most bytes the response body may have as received; past it the request fails with `BodyTooLarge`. */
  readonly maxResponseBytes?: number
  /** Send `Expect: 100-continue` and hold the body until the server answers (see `Request.expectContinue`). */
  readonly expectContinue?: boolean
  /** Called with each 1xx response received before the final one. */
  readonly onInformational?: (informational: Informational) => Effect.Effect<void>
  /** Called as the request body is written. */
  readonly onUploadProgress?: (progress: Progress) => Effect.Effect<void>
  /** Called as each piece of the response body arrives, also when the body is read into memory. */
  readonly onDownloadProgress?: (progress: Progress) => Effect.Effect<void>
}

const noTimeouts: Timeouts = {}

/** A single duration is the total deadline; a plain object gives one per phase. */
const timeoutsFrom = (timeout: Options["timeout"]): Timeouts => {
  if (timeout === undefined) return noTimeouts
  return isPerPhase(timeout) ? timeout : { total: timeout }
}

/** Deadlines given phase by phase: a plain object, which no form of a Duration is. */
const isPerPhase = (timeout: DurationInput | Timeouts): timeout is Timeouts =>
  typeof timeout === "object" && !Array.isArray(timeout) && !Duration.isDuration(timeout)

const build = (
  method: Method,
  url: string,
  params: ReadonlyArray<readonly [string, string]>,
  headers: Headers.Headers,
  body: Body.Body,
  options?: Options,
): Request =>
  internal.build({
    method,
    url,
    params,
    headers,
    body,
    timeouts: timeoutsFrom(options?.timeout),
    maxResponseBytes: options?.maxResponseBytes,
    expectContinue: options?.expectContinue === true,
    onInformational: options?.onInformational,
    onUploadProgress: options?.onUploadProgress,
    onDownloadProgress: options?.onDownloadProgress,
  })

const copy = internal.copy

/**
 * Whether a value is a Request.
 *
 * @since 0.1.0
 * @category refinements
 */
export const isRequest: (u: unknown) => u is Request = internal.isRequest

/**
 * Whether the request's method is idempotent (GET, HEAD, OPTIONS, TRACE, PUT, DELETE; RFC 9110 §9.2.2), so
 * that sending it twice is safe: retries and replays after an idle close ask this.
 *
 * @since 0.1.0
 * @category refinements
 */
export const isIdempotent: (request: Request) => boolean = internal.isIdempotent

/**
 * The URL with any user info, and the value of each query parameter named in `secretParams` (compared
 * without case; by default `SECRET_QUERY_PARAMS`), replaced by `<redacted>`, for messages and logs. Errors,
 * the debug log and spans show URLs this way.
 *
 * @example
 * ```ts
 * import { Request } from "@courier/core"
 * Request.redactUrl("https://u:p@api.test/v1?q=1&api_key=abc") // "https://<redacted>@api.test/v1?q=1&api_key=<redacted>"
 * ```
 *
 * @since 0.1.0
 * @category conversions
 */
export const redactUrl: (url: string, secretParams?: ReadonlyArray<string>) => string = internal.redactUrl

/**
 * The request's body as bytes, for a signer (an HMAC over the body, say), and a request whose body can
 * still be sent, and sent again on a retry or a redirect: reading does not use it up. A body in memory
 * (text, bytes, JSON, form) is kept as it is. A stream, a file or a multipart body is read into memory, up
 * to `maxBytes` (default 8 MiB; past it an `EncodeError`, after at most that much was held), and the request
 * gets those bytes as its body, with its content type. For a large body, `digestBody` holds none of it.
 *
 * @example
 * ```ts
 * import { Client, Request } from "@courier/core"
 * const signed = Client.mapRequestEffect((request) =>
 *   Effect.flatMap(Request.readBody(request), ({ bytes, request }) =>
 *     Effect.map(hmac(bytes), (mac) => Request.setHeader(request, "X-Signature", mac)),
 *   ),
 * )
 * ```
 *
 * @since 0.5.0
 * @category body
 */
export const readBody = (
  self: Request,
  options: { readonly maxBytes?: number } = {},
): Effect.Effect<{ readonly bytes: Uint8Array; readonly request: Request }, EncodeError> =>
  signing.readBody(self, options.maxBytes)

/**
 * A digest of the request's body (SHA-256 or SHA-512 for RFC 9530's `Content-Digest`, MD5 for
 * `Content-MD5`), and a request whose body can still be sent. A body that can be read again — in memory, a
 * file, a multipart body of such parts, a replayable stream — is hashed as it streams, holding none of it,
 * and sent as it is. A stream that runs only once is read into memory first, as `readBody` does (up to
 * `maxBytes`, default 8 MiB, else an `EncodeError`).
 *
 * @since 0.5.0
 * @category body
 */
export const digestBody = (
  self: Request,
  algorithm: "SHA-256" | "SHA-512" | "MD5",
  options: { readonly maxBytes?: number } = {},
): Effect.Effect<{ readonly digest: Uint8Array; readonly request: Request }, EncodeError> =>
  signing.digestBody(self, algorithm, options.maxBytes)

/**
 * The query parameters hidden by `redactUrl` unless the caller names others: OAuth's tokens and codes, API
 * keys, passwords, and the signatures and credentials of signed URLs (AWS, Google Cloud).
 *
 * @since 0.5.0
 * @category conversions
 */
export const SECRET_QUERY_PARAMS: ReadonlyArray<string> = internal.SECRET_QUERY_PARAMS

/**
 * The URL the request goes to, as one string: joined to `baseUrl` when it is relative (as
 * `Client.withBaseUrl` joins it), with its `params` appended, without user info (sent as `Authorization`)
 * and without a fragment (never sent). A middleware above `withBaseUrl` passes the client's base URL
 * (`client.options.baseUrl`); below it, or when the URL is absolute, none is needed.
 *
 * @example
 * ```ts
 * import { Request } from "@courier/core"
 * Request.urlAsSent(Request.get("users#top", { params: { page: 2 } }), { baseUrl: "https://api.test/v1/" })
 * // Right("https://api.test/v1/users?page=2")
 * ```
 *
 * @since 0.5.0
 * @category conversions
 */
export const urlAsSent = (
  self: Request,
  options: { readonly baseUrl?: string | undefined } = {},
): Result<string, InvalidURL | UnknownProtocol> => {
  const withParams = self.params.length === 0 ? self.url : Url.appendQuery(self.url, self.params)
  const joined = options.baseUrl === undefined ? Result.succeed(withParams) : Url.join(options.baseUrl, withParams)
  return Result.flatMap(joined, (href) => Result.map(Url.parse(href, info(self)), (url) => url.href))
}

/**
 * The body that `Options` describe: `data` first, then `json`, then `body`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const bodyFromOptions = (options: Options | undefined): Body.Body => {
  if (options === undefined) return Body.empty
  if (options.files !== undefined) {
    return Body.multipart(
      options.data === undefined ? { files: options.files } : { fields: options.data, files: options.files },
    )
  }
  if (options.data !== undefined) return Body.form(options.data)
  if (options.json !== undefined) return Body.json(options.json)
  return options.body ?? Body.empty
}

/**
 * A request with any method.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (method: Method, url: string, options?: Options): Request =>
  build(
    method.toUpperCase(),
    url,
    options?.params === undefined ? [] : paramsToPairs(options.params),
    Headers.fromInput(options?.headers),
    bodyFromOptions(options),
    options,
  )

/**
 * A GET request.
 *
 * @since 0.1.0
 * @category constructors
 */
export const get = (url: string, options?: Options): Request => make("GET", url, options)
/**
 * A POST request.
 *
 * @since 0.1.0
 * @category constructors
 */
export const post = (url: string, options?: Options): Request => make("POST", url, options)
/**
 * A PUT request.
 *
 * @since 0.1.0
 * @category constructors
 */
export const put = (url: string, options?: Options): Request => make("PUT", url, options)
/**
 * A PATCH request.
 *
 * @since 0.1.0
 * @category constructors
 */
export const patch = (url: string, options?: Options): Request => make("PATCH", url, options)
/**
 * A DELETE request (`delete` is a reserved word).
 *
 * @since 0.1.0
 * @category constructors
 */
export const del = (url: string, options?: Options): Request => make("DELETE", url, options)
/**
 * A HEAD request.
 *
 * @since 0.1.0
 * @category constructors
 */
export const head = (url: string, options?: Options): Request => make("HEAD", url, options)
/**
 * An OPTIONS request.
 *
 * @since 0.1.0
 * @category constructors
 */
export const options = (url: string, opts?: Options): Request => make("OPTIONS", url, opts)

/**
 * Replaces the method.
 *
 * @since 0.1.0
 * @category combinators
 */
export const setMethod: {
  (method: Method): (self: Request) => Request
  (self: Request, method: Method): Request
} = dual(2, (self: Request, method: Method) => copy(self, { method: method.toUpperCase() }))

/**
 * Replaces the URL.
 *
 * @since 0.1.0
 * @category combinators
 */
export const setUrl: {
  (url: string): (self: Request) => Request
  (self: Request, url: string): Request
} = dual(2, (self: Request, url: string) => copy(self, { url }))

/**
 * Sets a header, replacing any values it had.
 *
 * @since 0.1.0
 * @category combinators
 */
export const setHeader: {
  (name: string, value: string): (self: Request) => Request
  (self: Request, name: string, value: string): Request
} = dual(3, (self: Request, name: string, value: string) =>
  copy(self, { headers: Headers.set(self.headers, name, value) }),
)

/**
 * Sets several headers, each replacing the values it had.
 *
 * @since 0.1.0
 * @category combinators
 */
export const setHeaders: {
  (headers: Headers.Input): (self: Request) => Request
  (self: Request, headers: Headers.Input): Request
} = dual(2, (self: Request, headers: Headers.Input) => copy(self, { headers: Headers.merge(self.headers, headers) }))

/**
 * Adds a header value after any the header has.
 *
 * @since 0.1.0
 * @category combinators
 */
export const appendHeader: {
  (name: string, value: string): (self: Request) => Request
  (self: Request, name: string, value: string): Request
} = dual(3, (self: Request, name: string, value: string) =>
  copy(self, { headers: Headers.append(self.headers, name, value) }),
)

/**
 * Removes a header.
 *
 * @since 0.1.0
 * @category combinators
 */
export const removeHeader: {
  (name: string): (self: Request) => Request
  (self: Request, name: string): Request
} = dual(2, (self: Request, name: string) => copy(self, { headers: Headers.remove(self.headers, name) }))

/**
 * Adds query params after those the request has.
 *
 * @since 0.1.0
 * @category combinators
 */
export const appendParams: {
  (params: Params): (self: Request) => Request
  (self: Request, params: Params): Request
} = dual(2, (self: Request, params: Params) => copy(self, { params: [...self.params, ...paramsToPairs(params)] }))

/**
 * Sets one query param, replacing any values it had.
 *
 * @since 0.1.0
 * @category combinators
 */
export const setParam: {
  (key: string, value: string): (self: Request) => Request
  (self: Request, key: string, value: string): Request
} = dual(3, (self: Request, key: string, value: string) =>
  copy(self, { params: [...self.params.filter(([k]) => k !== key), [key, value]] }),
)

/**
 * Replaces the body.
 *
 * @since 0.1.0
 * @category combinators
 */
export const setBody: {
  (body: Body.Body): (self: Request) => Request
  (self: Request, body: Body.Body): Request
} = dual(2, (self: Request, body: Body.Body) => copy(self, { body }))

/**
 * Sets a JSON body.
 *
 * @since 0.1.0
 * @category combinators
 */
export const bodyJson: {
  (value: unknown): (self: Request) => Request
  (self: Request, value: unknown): Request
} = dual(2, (self: Request, value: unknown) => copy(self, { body: Body.json(value) }))

/**
 * Sets a text body.
 *
 * @since 0.1.0
 * @category combinators
 */
export const bodyText: {
  (text: string, contentType?: string): (self: Request) => Request
  (self: Request, text: string, contentType?: string): Request
} = dual(
  (args) => isRequest(args[0]),
  (self: Request, text: string, contentType?: string) => copy(self, { body: Body.text(text, contentType) }),
)

/**
 * Sets a body of raw bytes.
 *
 * @since 0.1.0
 * @category combinators
 */
export const bodyBytes: {
  (bytes: Uint8Array, contentType?: string): (self: Request) => Request
  (self: Request, bytes: Uint8Array, contentType?: string): Request
} = dual(
  (args) => isRequest(args[0]),
  (self: Request, bytes: Uint8Array, contentType?: string) => copy(self, { body: Body.bytes(bytes, contentType) }),
)

/**
 * Sets a urlencoded form body.
 *
 * @since 0.1.0
 * @category combinators
 */
export const bodyForm: {
  (fields: Params): (self: Request) => Request
  (self: Request, fields: Params): Request
} = dual(2, (self: Request, fields: Params) => copy(self, { body: Body.form(fields) }))

/**
 * Sets a streamed body.
 *
 * @since 0.1.0
 * @category combinators
 */
export const bodyStream: {
  (
    stream: Stream.Stream<Uint8Array, unknown>,
    options?: { readonly contentType?: string; readonly length?: number },
  ): (self: Request) => Request
  (
    self: Request,
    stream: Stream.Stream<Uint8Array, unknown>,
    options?: { readonly contentType?: string; readonly length?: number },
  ): Request
} = dual(
  (args) => isRequest(args[0]),
  (
    self: Request,
    stream: Stream.Stream<Uint8Array, unknown>,
    options?: { readonly contentType?: string; readonly length?: number },
  ) => copy(self, { body: Body.stream(stream, options) }),
)

/**
 * Sets HTTP Basic credentials (RFC 7617); the password may be `Redacted`.
 *
 * @since 0.1.0
 * @category combinators
 */
export const basicAuth: {
  (username: string, password: string | Redacted.Redacted<string>): (self: Request) => Request
  (self: Request, username: string, password: string | Redacted.Redacted<string>): Request
} = dual(3, (self: Request, username: string, password: string | Redacted.Redacted<string>) =>
  setHeader(self, "Authorization", basicAuthorization(username, password)),
)

/**
 * Sets a bearer token (RFC 6750); the token may be `Redacted`.
 *
 * @since 0.1.0
 * @category combinators
 */
export const bearerToken: {
  (token: string | Redacted.Redacted<string>): (self: Request) => Request
  (self: Request, token: string | Redacted.Redacted<string>): Request
} = dual(2, (self: Request, token: string | Redacted.Redacted<string>) =>
  setHeader(self, "Authorization", bearerAuthorization(token)),
)

/**
 * The method and redacted URL, for error messages.
 *
 * @since 0.1.0
 * @category conversions
 */
export const info: (self: Request) => RequestInfo = internal.info

/**
 * The header fields an HTTP/1.1 transport writes for this request to `url` (resolved: the Client's base URL,
 * params and default headers applied), in order: `Host`, the request's own, then what its body implies —
 * `Content-Type`, `Content-Length` or `Transfer-Encoding: chunked`, `Expect`. What a server receives; test
 * doubles use it to see a request as the wire does. Fails as sending would: `EncodeError` for a body that
 * cannot be encoded, `InvalidHeader` for a field that cannot be written or framing the caller set.
 *
 * @since 0.2.0
 * @category conversions
 */
export const wireHeaders = (self: Request, url: Url.Url): Result<Headers.Headers, HttpError> =>
  Result.map(wire(self, url), (w) => w.headers)

/**
 * What goes on the wire for this request to `url` over HTTP/1.1: the header fields of `wireHeaders` and the
 * body encoded (in memory, or a stream with its length when known); it fails as `wireHeaders` does. A
 * transport with framing of its own starts from `outgoing`.
 *
 * @since 0.4.0
 * @category conversions
 */
export const wire = (
  self: Request,
  url: Url.Url,
): Result<{ readonly headers: Headers.Headers; readonly body: Body.Encoded }, HttpError> => {
  const requestInfo = info(self)
  return Result.flatMap(internalOutgoing(self, requestInfo), (o) => {
    const fields = framedFields(o, undefined)
    const head = { method: self.method, target: url.target, host: url.hostHeader, headers: fields }
    const invalid = Http1.invalidHead(head)
    if (invalid !== undefined) return Result.fail(new InvalidHeader({ request: requestInfo, ...invalid }))
    return Result.succeed({ headers: Headers.unsafeFromPairs([["Host", url.hostHeader], ...fields]), body: o.body })
  })
}

/**
 * What a request sends whatever the protocol, before framing: its own header fields, checked as sending
 * would check them (no `Transfer-Encoding` of its own, no upgrade, a `Content-Length` that agrees with the
 * body), less `Content-Length` and `Expect: 100-continue`, then the `Content-Type` its body implies; the body
 * encoded with its length when known; whether it waits for `100 Continue` and asks to close the connection.
 * A transport adds its own framing: HTTP/1.1 `Host`, `Content-Length` or chunked and `Expect` (see `wire`),
 * HTTP/2 its pseudo-header fields.
 *
 * @since 0.5.0
 * @category conversions
 */
export const outgoing = (self: Request): Result<Outgoing, HttpError> => internalOutgoing(self, info(self))

/**
 * What `outgoing` gives.
 *
 * @since 0.5.0
 * @category models
 */
export interface Outgoing {
  readonly fields: ReadonlyArray<readonly [string, string]>
  readonly body: Body.Encoded
  /** The body's length in bytes, when it is known before the body is sent. */
  readonly length: number | undefined
  /**
   * The `Content-Length` to announce: the known length, but none for an empty body of a method that
   * anticipates none (GET, HEAD, DELETE …; RFC 9110 §8.6).
   */
  readonly contentLength: number | undefined
  /** `100 Continue` is to be awaited before the body: it was asked for, and there is a body. */
  readonly expect: boolean
  /** The caller asked for `Connection: close`. */
  readonly close: boolean
}

/**
 * Sets deadlines for some phases, keeping the others.
 *
 * @example
 * ```ts
 * Request.get(url).pipe(Request.setTimeouts({ head: "2 seconds", total: "10 seconds" }))
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const setTimeouts: {
  (timeouts: Timeouts): (self: Request) => Request
  (self: Request, timeouts: Timeouts): Request
} = dual(2, (self: Request, timeouts: Timeouts) => copy(self, { timeouts: { ...self.timeouts, ...timeouts } }))

/**
 * Limits the response body, as received, to `bytes`: past it the request fails with `BodyTooLarge`, whether
 * the body is read into memory or streamed.
 *
 * @example
 * ```ts
 * Request.get(url).pipe(Request.setMaxResponseBytes(8 * 1024 * 1024))
 * ```
 *
 * @since 0.2.0
 * @category combinators
 */
export const setMaxResponseBytes: {
  (bytes: number): (self: Request) => Request
  (self: Request, bytes: number): Request
} = dual(2, (self: Request, bytes: number) => copy(self, { maxResponseBytes: bytes }))

/**
 * Sends `Expect: 100-continue` and holds the body until the server answers `100 Continue` (then the body
 * goes), or a final response (then it is not sent, and the connection is not reused), or until a short wait
 * passes (RFC 9110 §10.1.1: the body is sent anyway). Saves uploading a large body that the server would
 * refuse.
 *
 * @since 0.2.0
 * @category combinators
 */
export const expectContinue = (self: Request): Request => copy(self, { expectContinue: true })

/**
 * Sets the hook called with each 1xx response received before the final one.
 *
 * @since 0.1.0
 * @category combinators
 */
export const setOnInformational: {
  (f: (informational: Informational) => Effect.Effect<void>): (self: Request) => Request
  (self: Request, f: (informational: Informational) => Effect.Effect<void>): Request
} = dual(2, (self: Request, f: (informational: Informational) => Effect.Effect<void>) =>
  copy(self, { onInformational: f }),
)
