/**
 * The response: status line, headers, and a body that is read once.
 *
 * A response from `Client.execute` streams its body from the connection; reading it (`stream`, `bytes`,
 * `text`, `json`, `schemaJson`) consumes it. `bytes`, `text` and `json` keep what they read, so calling
 * `text` after `json` works; a second `stream` after a first fails with `BodyAlreadyRead`. The one-call
 * API (`Client.get` …) returns responses whose body is already in memory, as Python's requests does.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import { dual } from "effect/Function"
import { type Inspectable, NodeInspectSymbol } from "effect/Inspectable"
import * as Option from "effect/Option"
import { type Pipeable, pipeArguments } from "effect/Pipeable"
import * as Stream from "effect/Stream"
import type { Peer } from "./Connector.js"
import * as Headers from "./Headers.js"
import {
  BodyAlreadyRead,
  BodyTooLarge,
  DecodeError,
  type HttpError,
  type RequestInfo,
  STATUS_PREVIEW_CHARS,
  StatusError,
} from "./HttpError.js"
import { concatAll } from "./internal/shared/bytes.js"
import { collectBounded } from "./internal/shared/collect.js"
import * as Edition from "./internal/shared/edition-effect.js"
import { attach } from "./internal/shared/status-body.js"

/**
 * The unique symbol that marks a Response value.
 *
 * @since 0.1.0
 * @category type ids
 */
export const TypeId: unique symbol = Symbol.for("@courier/core/Response")

/**
 * The type of the symbol that marks a Response value.
 *
 * @since 0.1.0
 * @category type ids
 */
export type TypeId = typeof TypeId

/**
 * A body still to be read: either `pull`, which gives the next chunks or `undefined` once the body has
 * ended (transports over sockets), or a `stream` of chunks (test doubles, adapters).
 *
 * @since 0.1.0
 * @category models
 */
export type BodyReader =
  | { readonly pull: Effect.Effect<ReadonlyArray<Uint8Array> | undefined, HttpError> }
  | { readonly stream: Stream.Stream<Uint8Array, HttpError> }

/**
 * A 1xx response received before the final one (100 Continue, 102 Processing, 103 Early Hints).
 *
 * @since 0.1.0
 * @category models
 */
export interface Informational {
  readonly status: number
  readonly reason: string
  readonly headers: Headers.Headers
}

/**
 * The connection a response came over (Zerynth's `Response.connection`): its id, whether it had carried
 * earlier requests, and whether it is pinned to a sequence of requests.
 *
 * @since 0.1.0
 * @category models
 */
export interface ConnectionInfo {
  readonly id: number
  readonly reused: boolean
  readonly pinned: boolean
  /**
   * The address the connection was made to, as resolved, when the transport knows it (`network.peer.address`
   * in spans).
   * @since 0.5.0
   */
  readonly peer?: Peer | undefined
}

/**
 * The protocol a response came over: HTTP/1.0 or HTTP/1.1 on the HTTP/1 codec, HTTP/2 over a multiplexed
 * connection.
 *
 * @since 0.4.0
 * @category models
 */
export type Version = "HTTP/1.0" | "HTTP/1.1" | "HTTP/2"

/**
 * The response.
 *
 * @since 0.1.0
 * @category models
 */
export interface Response extends Inspectable, Pipeable {
  readonly [TypeId]: TypeId
  /** The request this answers: its method and URL (redacted). */
  readonly request: RequestInfo
  readonly status: number
  readonly reason: string
  readonly version: Version
  readonly headers: Headers.Headers
  /** The announced body length, if the server sent Content-Length. */
  readonly contentLength: number | undefined
  /** Trailer fields of a chunked body; empty until the body has been read to its end. */
  trailers: Headers.Headers
  /** The connection it came over, when the transport has connections. */
  readonly connection: ConnectionInfo | undefined
  /** @internal */
  body: Uint8Array | BodyReader | "taken"
}

/**
 * What `make` needs.
 *
 * @since 0.1.0
 * @category models
 */
export interface Init {
  readonly request: RequestInfo
  readonly status: number
  readonly reason?: string
  readonly version?: Version
  readonly headers?: Headers.Input
  readonly contentLength?: number | undefined
  readonly trailers?: Headers.Input
  readonly body?: Uint8Array | BodyReader
  readonly connection?: ConnectionInfo
}

const Proto = {
  [TypeId]: TypeId,
  pipe(this: Response) {
    // biome-ignore lint/complexity/noArguments: pipeArguments is Effect's documented way to implement Pipeable
    return pipeArguments(this, arguments)
  },
  toJSON(this: Response) {
    return {
      _id: "Response",
      request: this.request,
      status: this.status,
      reason: this.reason,
      version: this.version,
      headers: this.headers.toJSON(),
    }
  },
  toString(this: Response) {
    return JSON.stringify(this.toJSON(), null, 2)
  },
  [NodeInspectSymbol](this: Response) {
    return this.toJSON()
  },
}

/**
 * Builds a response; transports and test doubles use this.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (init: Init): Response => {
  const self = Object.create(Proto)
  self.request = init.request
  self.status = init.status
  self.reason = init.reason ?? ""
  self.version = init.version ?? "HTTP/1.1"
  self.headers = Headers.fromInput(init.headers)
  self.contentLength = init.contentLength
  self.trailers = Headers.fromInput(init.trailers)
  self.connection = init.connection
  self.body = init.body ?? new Uint8Array(0)
  return self
}

/**
 * The body as a stream of byte chunks; consumes it.
 *
 * @since 0.1.0
 * @category body
 */
export const stream = (self: Response): Stream.Stream<Uint8Array, HttpError> =>
  Stream.suspend(() => {
    const body = self.body
    if (body instanceof Uint8Array) return body.length === 0 ? Stream.empty : Stream.succeed(body)
    if (body === "taken") return Stream.fail(new BodyAlreadyRead({ request: self.request }))
    self.body = "taken"
    if ("stream" in body) return body.stream
    return Edition.fromPull(body.pull)
  })

/**
 * The whole body as bytes; reads it to the end once and keeps it.
 *
 * @since 0.1.0
 * @category body
 */
export const bytes = (self: Response): Effect.Effect<Uint8Array, HttpError> =>
  Effect.suspend(() => {
    const body = self.body
    if (body instanceof Uint8Array) return Effect.succeed(body)
    if (body === "taken") return Effect.fail(new BodyAlreadyRead({ request: self.request }))
    self.body = "taken"
    const parts: Array<Uint8Array> = []
    if ("stream" in body) {
      return Effect.map(
        Stream.runForEach(body.stream, (c) =>
          Effect.sync(() => {
            parts.push(c)
          }),
        ),
        () => {
          const all = concatAll(parts)
          self.body = all
          return all
        },
      )
    }
    const loop: Effect.Effect<Uint8Array, HttpError> = Effect.flatMap(body.pull, (chunks) => {
      if (chunks === undefined) {
        const all = concatAll(parts)
        self.body = all
        return Effect.succeed(all)
      }
      for (const c of chunks) parts.push(c)
      return loop
    })
    return loop
  })

const charset = (self: Response): string => {
  const type = Option.getOrElse(Headers.get(self.headers, "content-type"), () => "")
  const match = /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(type)
  return match?.[1]?.toLowerCase() ?? "utf-8"
}

const decoderFor = (label: string): TextDecoder => {
  try {
    return new TextDecoder(label)
  } catch {
    return new TextDecoder("utf-8")
  }
}

const preview = (s: string): string => (s.length > 200 ? `${s.slice(0, 200)}…` : s)

/**
 * The body as text, decoded with the charset of Content-Type (UTF-8 when none is given).
 *
 * @since 0.1.0
 * @category body
 */
export const text = (self: Response): Effect.Effect<string, HttpError> =>
  Effect.map(bytes(self), (b) => decoderFor(charset(self)).decode(b))

/**
 * The body parsed as JSON; a body that is not JSON fails with `DecodeError`.
 *
 * @since 0.1.0
 * @category body
 */
export const json = (self: Response): Effect.Effect<unknown, HttpError> =>
  Effect.flatMap(text(self), (s) =>
    Effect.try({
      try: (): unknown => JSON.parse(s),
      catch: (e) =>
        new DecodeError({
          request: self.request,
          expected: "JSON",
          reason: e instanceof Error ? e.message : String(e),
          preview: preview(s),
        }),
    }),
  )

/**
 * The body parsed as JSON and decoded with a Schema; a mismatch fails with `DecodeError`.
 *
 * @since 0.1.0
 * @category body
 */
export const schemaJson: {
  <A, I, R>(schema: Edition.Decodable<A, I, R>): (self: Response) => Effect.Effect<A, HttpError, R>
  <A, I, R>(self: Response, schema: Edition.Decodable<A, I, R>): Effect.Effect<A, HttpError, R>
} = dual(
  2,
  <A, I, R>(self: Response, schema: Edition.Decodable<A, I, R>): Effect.Effect<A, HttpError, R> =>
    Effect.flatMap(json(self), (value) =>
      Effect.mapError(
        Edition.decodeUnknown(schema, value),
        (reason) =>
          new DecodeError({
            request: self.request,
            expected: `JSON matching ${String(schema.ast)}`,
            reason,
            preview: preview(JSON.stringify(value) ?? ""),
          }),
      ),
    ),
)

/**
 * A header's value, or `fallback` (httplib's `getheader(name, default)`).
 *
 * @since 0.1.0
 * @category getters
 */
export const getHeader: {
  (name: string, fallback?: string): (self: Response) => string | undefined
  (self: Response, name: string, fallback?: string): string | undefined
} = dual(
  (args) => isResponse(args[0]),
  (self: Response, name: string, fallback?: string): string | undefined =>
    Option.getOrElse(Headers.get(self.headers, name), () => fallback),
)

/**
 * Whether a value is a Response.
 *
 * @since 0.1.0
 * @category refinements
 */
export const isResponse = (u: unknown): u is Response => typeof u === "object" && u !== null && TypeId in u

/**
 * Fails with `StatusError` unless the status is 2xx.
 *
 * @since 0.1.0
 * @category filters
 */
export const filterStatusOk = (self: Response): Effect.Effect<Response, StatusError> =>
  self.status >= 200 && self.status < 300 ? Effect.succeed(self) : Effect.fail(toStatusError(self))

/** Whether a body reads as text, by its type: text, JSON, XML, a form, JavaScript. */
const textual = (self: Response): boolean =>
  /^(text\/|application\/([\w.+-]*\+)?(json|xml|javascript|x-www-form-urlencoded)|application\/problem\+json)/i.test(
    getHeader(self, "content-type") ?? "",
  )

/** Reads at most `maxBytes` of the body, once: past them `BodyTooLarge`, having held no more than that. */
const boundedReader = (self: Response): ((maxBytes: number) => Effect.Effect<Uint8Array, HttpError>) => {
  let done: Effect.Effect<Uint8Array, HttpError> | undefined
  return (maxBytes) =>
    Effect.suspend(() => {
      if (done !== undefined) return done
      const body = self.body
      const tooLarge = (received: number) =>
        new BodyTooLarge({ request: self.request, limit: maxBytes, received, decoded: false })
      const read: Effect.Effect<Uint8Array, HttpError> =
        body instanceof Uint8Array
          ? body.length > maxBytes
            ? Effect.fail(tooLarge(body.length))
            : Effect.succeed(body)
          : collectBounded(stream(self), maxBytes, tooLarge)
      return Effect.tapError(
        Effect.tap(read, (bytes) =>
          Effect.sync(() => {
            done = Effect.succeed(bytes)
          }),
        ),
        (e) =>
          Effect.sync(() => {
            done = Effect.fail(e)
          }),
      )
    })
}

/**
 * The `StatusError` for this response: its status, its header fields, a preview of its body when the body
 * is already in memory and is text, and a reader of the body for `error.text()` / `error.json()` /
 * `error.bytes()`, bounded by a limit and read only when asked (ky, axios and got attach the response to
 * their HTTP errors the same way).
 *
 * @since 0.5.0
 * @category filters
 */
export const toStatusError = (self: Response): StatusError => {
  const body = self.body
  const preview =
    body instanceof Uint8Array && textual(self)
      ? (() => {
          const text = new TextDecoder().decode(body.subarray(0, STATUS_PREVIEW_CHARS * 4))
          return text.length > STATUS_PREVIEW_CHARS ? `${text.slice(0, STATUS_PREVIEW_CHARS)}…` : text
        })()
      : undefined
  const error = new StatusError({
    request: self.request,
    status: self.status,
    reason: self.reason,
    headers: self.headers.entries,
    preview,
  })
  return attach(error, boundedReader(self))
}

/**
 * The same response with another status, reason phrase or header fields, and the same body, unread: a
 * body in memory is shared, and a body still on the wire moves to the copy (the original then reads as
 * already read), with the trailers that arrive at its end. For a transform that rewrites a response (a 410
 * answered as a 404, say) without reading it.
 *
 * @since 0.5.0
 * @category constructors
 */
export const copy = (
  self: Response,
  patch: { readonly status?: number; readonly reason?: string; readonly headers?: Headers.Input },
): Response => {
  const moved = self.body
  const next = make({
    request: self.request,
    status: patch.status ?? self.status,
    reason: patch.reason ?? (patch.status === undefined ? self.reason : ""),
    version: self.version,
    headers: patch.headers === undefined ? self.headers : Headers.fromInput(patch.headers),
    contentLength: self.contentLength,
    ...(self.connection === undefined ? {} : { connection: self.connection }),
  })
  next.body = moved
  if (moved instanceof Uint8Array) {
    next.trailers = self.trailers
    return next
  }
  // A body on the wire is read once: the copy takes it over, and its trailers arrive on the original.
  if (moved !== "taken") self.body = "taken"
  return trailersOf(next, self)
}

/** `next` with the trailers of `self`, which arrive on it once the body read from it ends. */
const trailersOf = (next: Response, self: Response): Response => {
  Object.defineProperty(next, "trailers", {
    get: () => self.trailers,
    set: (trailers: Headers.Headers) => {
      self.trailers = trailers
    },
    enumerable: true,
  })
  return next
}

/**
 * The response with another status and reason phrase (empty unless given), its body kept as it is (see `copy`).
 *
 * @since 0.5.0
 * @category combinators
 */
export const setStatus: {
  (status: number, reason?: string): (self: Response) => Response
  (self: Response, status: number, reason?: string): Response
} = dual(
  (args) => isResponse(args[0]),
  (self: Response, status: number, reason?: string): Response =>
    copy(self, reason === undefined ? { status } : { status, reason }),
)

/**
 * The response with the header `name` set to `value` (replacing its values), its body kept as it is.
 *
 * @since 0.5.0
 * @category combinators
 */
export const setHeader: {
  (name: string, value: string): (self: Response) => Response
  (self: Response, name: string, value: string): Response
} = dual(
  3,
  (self: Response, name: string, value: string): Response =>
    copy(self, { headers: Headers.set(self.headers, name, value) }),
)

/**
 * The response without the header `name`, its body kept as it is.
 *
 * @since 0.5.0
 * @category combinators
 */
export const removeHeader: {
  (name: string): (self: Response) => Response
  (self: Response, name: string): Response
} = dual(2, (self: Response, name: string): Response => copy(self, { headers: Headers.remove(self.headers, name) }))

/**
 * The same response with another body: status, headers, trailers and connection are kept. For transforming
 * a body (decoding it, counting it) without losing the rest; `contentLength` defaults to the new body's
 * length when it is in memory, and to the old one otherwise (pass `undefined` when the body changes size).
 * When the old body is still on the wire, the trailers that end it reach the new response too, once read.
 *
 * @since 0.1.0
 * @category constructors
 */
export const withBody = (
  self: Response,
  body: Uint8Array | BodyReader,
  contentLength: number | undefined = body instanceof Uint8Array ? body.length : self.contentLength,
): Response => {
  const next = make({
    request: self.request,
    status: self.status,
    reason: self.reason,
    version: self.version,
    headers: self.headers,
    contentLength,
    trailers: self.trailers,
    body,
    ...(self.connection === undefined ? {} : { connection: self.connection }),
  })
  // A body still on the wire ends with trailers, which arrive on `self` as a new body made from it is read.
  return self.body instanceof Uint8Array ? next : trailersOf(next, self)
}

/**
 * Reads the whole body into memory and returns a response holding it, so it can be read any number of
 * times outside the scope of the connection.
 *
 * @since 0.1.0
 * @category body
 */
export const buffered = (self: Response): Effect.Effect<Response, HttpError> =>
  Effect.map(bytes(self), (body) => withBody(self, body))

/**
 * The trailer fields, once the body has been read to its end; reads the rest of the body into memory
 * first if it has not been.
 *
 * @since 0.1.0
 * @category body
 */
export const trailers = (self: Response): Effect.Effect<Headers.Headers, HttpError> =>
  Effect.suspend(() =>
    self.body instanceof Uint8Array || self.body === "taken"
      ? Effect.succeed(self.trailers)
      : Effect.map(bytes(self), () => self.trailers),
  )
