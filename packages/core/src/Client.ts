/**
 * The interpreter: runs Request values over the Transport, and the one-call API built on it.
 *
 * A Client applies its policies to every request, in this order: the base URL (urljoin) and params;
 * default headers (a `User-Agent` naming Courier, the client's own, `Accept-Encoding` when it can decode;
 * the request's headers win); auth (the client's, or the URL's user info); file and multipart bodies
 * opened; then for each hop of a redirect chain the cookie jar, the retry policy and the transport; and
 * at the end content decoding and progress. `execute` returns a response whose body streams in the
 * caller's Scope; `fetch` and the one-call functions (`get`, `post`, …, in the shape of Python's requests
 * and Zerynth's module) read it into memory and need no Scope.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as Redacted from "effect/Redacted"
import type * as Scope from "effect/Scope"
import * as Body from "./Body.js"
import * as ContentDecoding from "./ContentDecoding.js"
import type * as Cookies from "./Cookies.js"
import type { OpenedFile } from "./Files.js"
import type * as Headers from "./Headers.js"
import type { HttpError } from "./HttpError.js"
import { interpret } from "./internal/interpreter.js"
import { inPieces } from "./internal/progress.js"
import { requestDuration as internalRequestDuration } from "./internal/tracing.js"
import * as Request from "./Request.js"
import type * as Response from "./Response.js"
import type * as Retry from "./Retry.js"
import { Transport } from "./Transport.js"
import * as Url from "./Url.js"

export {
  /**
   * The default `User-Agent`: `courier/<version>`.
   *
   * @since 0.1.0
   * @category constants
   */
  USER_AGENT,
} from "./version.js"

/**
 * Credentials sent with every request: HTTP Basic (RFC 7617) or a bearer token (RFC 6750).
 *
 * @since 0.1.0
 * @category models
 */
export type Auth =
  | { readonly basic: { readonly username: string; readonly password: string | Redacted.Redacted<string> } }
  | { readonly bearer: string | Redacted.Redacted<string> }

/**
 * Client options.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /**
   * Relative request URLs are resolved against it, with urljoin semantics (see `Url.join`).
   * @example "https://api.example.com/v1/"
   */
  readonly baseUrl?: string
  /** Headers sent with every request; a request's own headers win. */
  readonly headers?: Headers.Input
  /** Credentials for every request, unless the request sets its own Authorization. */
  readonly auth?: Auth
  /** A cookie jar: cookies from responses are kept and sent back (a Session has one). */
  readonly cookies?: Cookies.Jar
  /**
   * How many redirects to follow, or `false` to return redirects as they are.
   * @default 10
   */
  readonly redirects?: number | false
  /** Retry transient failures (see `Retry.transient`); none by default. */
  readonly retry?: Retry.Policy
  /**
   * Decode compressed bodies (and ask for them with Accept-Encoding) when a ContentDecoding service is there.
   * @default true
   */
  readonly decompress?: boolean
  /**
   * The largest decoded body, checked as it is decoded.
   * @default 1 GiB
   */
  readonly maxDecodedBytes?: number
  /** Deadlines applied to every request; a request's own deadlines win, phase by phase. */
  readonly timeouts?: Request.Timeouts
  /**
   * The most bytes a response body may have as received (before decompression), for requests that set
   * none; past it the request fails with `BodyTooLarge`.
   * @default 1 GiB for a body read into memory (`Http1.MAX_BUFFERED_BODY_BYTES`); none for a streamed one
   */
  readonly maxResponseBytes?: number
  /**
   * Send `Expect: 100-continue` (see `Request.expectContinue`): `true` for every request with a body, or a
   * number: for byte bodies of at least that many bytes, and for stream, file and multipart bodies.
   * @default false
   */
  readonly expectContinue?: boolean | number
  /**
   * OpenTelemetry's HTTP client conventions: a CLIENT span named `{method}` for each physical request
   * (attempts and redirect hops, with `http.request.resend_count`) inside an INTERNAL span for the call, and
   * the `http.client.request.duration` histogram (`Client.requestDuration`): `true`, `false`, or `"auto"` —
   * only when a tracer other than Effect's built-in one is installed (an OpenTelemetry layer).
   * @default "auto"
   */
  readonly tracing?: boolean | "auto"
  /**
   * Send the attempt span's context to the server in a W3C `traceparent` header.
   * @default true
   */
  readonly propagateTraceContext?: boolean
  /**
   * The `User-Agent` header, or `false` to send none.
   * @default "courier/<version>"
   */
  readonly userAgent?: string | false
}

/**
 * What a Client does.
 *
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /** Runs a request; the response body streams from the connection until the scope closes. */
  readonly execute: (request: Request.Request) => Effect.Effect<Response.Response, HttpError, Scope.Scope>
  /** Runs a request and reads the whole body into memory. */
  readonly fetch: (request: Request.Request) => Effect.Effect<Response.Response, HttpError>
  /**
   * A client whose requests to `url`'s origin all go over one connection, held until the scope closes
   * (Zerynth's `connection=`); its responses say `connection.pinned`. Over a transport without
   * connections it is the same client.
   */
  readonly pinned: (url: string) => Effect.Effect<Service, HttpError, Scope.Scope>
  /** The options it was made with. */
  readonly options: Options
}

/**
 * The Client service.
 *
 * @since 0.1.0
 * @category tags
 */
export class Client extends Context.Tag("@courier/core/Client")<Client, Service>() {}

/**
 * `f` of the Client in the fiber's context: one runtime operation, where `Effect.flatMap(Client, f)` takes
 * four (the accessors below run once per request, so it shows on the request benchmarks). The context is
 * read as `Effect.flatMap` would read it; the type adds the requirement that the lookup relies on.
 */
const withClient = <A, E, R>(f: (client: Service) => Effect.Effect<A, E, R>): Effect.Effect<A, E, R | Client> =>
  Effect.withFiberRuntime((fiber) => f(Context.unsafeGet(fiber.currentContext, Client)))

/**
 * Builds a Client over the Transport in context; it uses the Files and ContentDecoding services when they
 * are there too.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: Options = {}): Effect.Effect<Service, never, Transport> =>
  Effect.gen(function* () {
    const transport = yield* Transport
    // The context the Client is built in: file bodies find the Files service there, when it is provided.
    const context = yield* Effect.context<never>()
    const decoding =
      options.decompress === false ? Option.none() : yield* Effect.serviceOption(ContentDecoding.ContentDecoding)
    const { execute, fetch } = interpret(options, transport, context, decoding)

    const pinned: Service["pinned"] = (target) =>
      Effect.suspend(() => {
        const url = Url.parse(target)
        if (Either.isLeft(url)) return Effect.fail(url.left)
        if (transport.pin === undefined) return Effect.succeed(self)
        return Effect.flatMap(transport.pin(url.right.origin), (one) =>
          Effect.provide(make(options), Context.add(context, Transport, one)),
        )
      })

    const self: Service = Client.of({ execute, fetch, pinned, options })
    return self
  })

/**
 * The Client as a Layer over a Transport.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: Options = {}): Layer.Layer<Client, never, Transport> =>
  Layer.effect(Client, make(options))

/**
 * Runs a request with the Client in context; the body streams until the scope closes.
 *
 * @since 0.1.0
 * @category execution
 */
export const execute = (request: Request.Request): Effect.Effect<Response.Response, HttpError, Client | Scope.Scope> =>
  withClient((client) => client.execute(request))

/**
 * Runs a request with the Client in context and reads the whole body into memory.
 *
 * @since 0.1.0
 * @category execution
 */
export const fetch = (request: Request.Request): Effect.Effect<Response.Response, HttpError, Client> =>
  withClient((client) => client.fetch(request))

/**
 * A client pinned to one connection to `url`'s origin for the life of the scope (see `Service.pinned`).
 *
 * @example
 * ```ts
 * Effect.scoped(Effect.gen(function* () {
 *   const one = yield* Client.pinned("http://device.local/")
 *   yield* one.fetch(Request.get("http://device.local/a"))
 *   yield* one.fetch(Request.get("http://device.local/b")) // same socket
 * }))
 * ```
 *
 * @since 0.1.0
 * @category execution
 */
export const pinned = (url: string): Effect.Effect<Service, HttpError, Client | Scope.Scope> =>
  Effect.flatMap(Client, (client) => client.pinned(url))

/**
 * Options of the one-call functions: those of `Request.make`, and Zerynth's `stream_callback`.
 *
 * @since 0.1.0
 * @category models
 */
export interface CallOptions extends Request.Options {
  /**
   * Called with each piece of the body, `chunkSize` bytes at a time, as it arrives (Zerynth's
   * `stream_callback`); the body is not kept, and the response's body is the last piece, as there.
   */
  readonly onChunk?: (chunk: Uint8Array) => Effect.Effect<void>
  /**
   * The size of the pieces given to `onChunk` (Zerynth's `stream_chunk`).
   * @default 512
   */
  readonly chunkSize?: number
}

const call = (request: Request.Request, options: CallOptions | undefined) =>
  options?.onChunk === undefined
    ? fetch(request)
    : inPieces(execute, request, options.onChunk, options.chunkSize ?? 512)

/**
 * GET `url`; `params` go in the query. The body is read into memory, or handed to `onChunk` piece by piece.
 *
 * @example
 * ```ts
 * import { Client, Response } from "@courier/core"
 * const program = Client.get("http://localhost:8080/get", { params: { name1: "value1" } }).pipe(
 *   Effect.flatMap(Response.json),
 * )
 * ```
 *
 * @since 0.1.0
 * @category one-call API
 */
export const get = (url: string, options?: CallOptions) => call(Request.get(url, options), options)

/**
 * POST `url` with `data` (a urlencoded form) or `json`; when both are given, `data` wins and `json` is
 * ignored, as in Zerynth's `requests.post`.
 *
 * @since 0.1.0
 * @category one-call API
 */
export const post = (url: string, options?: CallOptions) => call(Request.post(url, options), options)

/**
 * PUT `url`; the body options are those of `post`.
 *
 * @since 0.1.0
 * @category one-call API
 */
export const put = (url: string, options?: CallOptions) => call(Request.put(url, options), options)

/**
 * PATCH `url`; the body options are those of `post`.
 *
 * @since 0.1.0
 * @category one-call API
 */
export const patch = (url: string, options?: CallOptions) => call(Request.patch(url, options), options)

/**
 * DELETE `url` (`delete` is a reserved word).
 *
 * @since 0.1.0
 * @category one-call API
 */
export const del = (url: string, options?: CallOptions) => call(Request.del(url, options), options)

/**
 * HEAD `url`: status and headers, no body.
 *
 * @since 0.1.0
 * @category one-call API
 */
export const head = (url: string, options?: CallOptions) => call(Request.head(url, options), options)

/**
 * OPTIONS `url`.
 *
 * @since 0.1.0
 * @category one-call API
 */
export const options = (url: string, opts?: CallOptions) => call(Request.options(url, opts), opts)

/**
 * Uploads a file (Zerynth's `upload`): a local path, streamed from disk, or a file already open (Zerynth's
 * `fd`; see `NodeFiles.fromHandle`), sent from its start; either way with its size as Content-Length, as
 * `mimeType`, with POST (default) or PUT. A path needs the Files service, which `NodeTransport.client`
 * provides.
 *
 * @since 0.1.0
 * @category one-call API
 */
export const upload = (
  url: string,
  file: string | OpenedFile,
  options?: CallOptions & { readonly mimeType?: string; readonly method?: "POST" | "PUT" },
) => {
  const type = options?.mimeType ?? "application/octet-stream"
  const body =
    typeof file === "string"
      ? Body.file(file, type)
      : Body.stream(file.stream, { contentType: type, length: file.size, replayable: true })
  return call(Request.make(options?.method ?? "POST", url, { ...options, body }), options)
}

/**
 * OpenTelemetry's `http.client.request.duration`: each physical request's duration in seconds, with the
 * conventions' bucket boundaries and attributes (method, server address and port, scheme, status code or
 * error type, protocol version); recorded when the Client traces (see `Options.tracing`).
 *
 * @since 0.2.0
 * @category metrics
 */
export const requestDuration = internalRequestDuration
