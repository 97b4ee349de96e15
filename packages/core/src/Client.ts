/**
 * The Client: runs Request values over the Transport, and the one-call API built on it.
 *
 * A Client is a pipeable value: a chain of links over the transport. Each policy is a transform that adds a
 * link (`withBaseUrl`, `withHeaders`, `withAuth`, `followRedirects`, `withCookies`, `withCache`, `retry`,
 * `decompress`, `withTimeouts`, `withTracing`, `limitConcurrency`, `rateLimit` …), and so is a user's own step
 * (`middleware`, `mapRequest`, `tapResponse`, `catchTags` …). The last transform applied sees a request
 * first. `Client.make(options)` is the standard composition, in this order from the caller down: the base
 * URL (urljoin); default headers (a `User-Agent` naming Courier and the client's own; the request's win);
 * auth (the client's, or `.netrc`'s); tracing; deadlines and limits; decoding (`Accept-Encoding` and the
 * decoded body); then redirects, and for each hop the cookie jar, the HTTP cache (when asked for), the
 * retry policy and the transport.
 * Params, the URL's user info and file bodies are the request's own and are applied at every chain's end.
 * `execute` returns a response whose body streams in the caller's Scope; `fetch` and the one-call
 * functions (`get`, `post`, …, in the shape of Python's requests and Zerynth's module) read it into memory
 * and need no Scope.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import { dual } from "effect/Function"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type { Pipeable } from "effect/Pipeable"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import type * as AuthModule from "./Auth.js"
import * as Body from "./Body.js"
import type * as Cache from "./Cache.js"
import * as ContentDecoding from "./ContentDecoding.js"
import type * as Cookies from "./Cookies.js"
import type { OpenedFile } from "./Files.js"
import * as HeadersModule from "./Headers.js"
import type { HttpError, StatusError } from "./HttpError.js"
import * as authFlows from "./internal/client/auth.js"
import * as caching from "./internal/client/cache.js"
import * as internal from "./internal/client/client.js"
import * as paginator from "./internal/client/paginate.js"
import { inPieces } from "./internal/client/progress.js"
import * as shaping from "./internal/client/shaping.js"
import { requestDuration as internalRequestDuration } from "./internal/client/tracing.js"
import * as transforms from "./internal/client/transforms.js"
import type { DurationInput } from "./internal/shared/edition.js"
import * as Edition from "./internal/shared/edition-effect.js"
import * as Request from "./Request.js"
import type * as Response from "./Response.js"
import type * as Retry from "./Retry.js"
import { Transport } from "./Transport.js"
import { USER_AGENT } from "./version.js"

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
 * Credentials sent with every request: HTTP Basic (RFC 7617), a bearer token (RFC 6750), HTTP Digest
 * (RFC 7616), or a token provider (see `Auth`).
 *
 * @since 0.1.0
 * @category models
 */
export type Auth = AuthModule.Credentials<HttpError>

/**
 * Client options: `make` composes the transform of each, in the order the module's description gives.
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
  readonly headers?: HeadersModule.Input
  /** Credentials for every request, unless the request sets its own Authorization. */
  readonly auth?: Auth
  /** Basic credentials from a `.netrc` file for requests with none (see `NodeNetrc.load`); opt-in. */
  readonly netrc?: AuthModule.Netrc
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
   * An HTTP cache (RFC 9111, see `Cache`): `true` for a private cache in memory, or its options. It sits
   * above retries and below cookies and redirects, so it stores each hop and sees every request field it
   * may vary on. None by default.
   * @since 0.5.0
   */
  readonly cache?: boolean | Cache.Options
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
   * The query parameters whose values the debug log and spans (`url.full`) hide, compared without case;
   * errors hide `Request.SECRET_QUERY_PARAMS`. Spread that list to add names of your own.
   * @default Request.SECRET_QUERY_PARAMS
   */
  readonly secretQueryParams?: ReadonlyArray<string>
  /**
   * The `User-Agent` header, or `false` to send none.
   * @default "courier/<version>"
   */
  readonly userAgent?: string | false
}

/**
 * A Client that fails with `E` and needs `R`: a pipeable value, transformed by the functions of this module.
 *
 * @since 0.3.0
 * @category models
 */
export interface With<E, R> extends Pipeable {
  /** Runs a request; the response body streams from the connection until the scope closes. */
  readonly execute: (request: Request.Request) => Effect.Effect<Response.Response, E | HttpError, R | Scope.Scope>
  /** Runs a request and reads the whole body into memory. */
  readonly fetch: (request: Request.Request) => Effect.Effect<Response.Response, E | HttpError, R>
  /**
   * The same client with its requests to `url`'s origin all over one connection, held until the scope
   * closes (Zerynth's `connection=`); its responses say `connection.pinned`. Over a transport without
   * connections it is the same client.
   */
  readonly pinned: (url: string) => Effect.Effect<With<E, R>, HttpError, Scope.Scope>
  /** The options it was made with (transforms keep them). */
  readonly options: Options
}

/**
 * What the Client service holds: a client that fails only with `HttpError` and needs nothing.
 *
 * @since 0.1.0
 * @category models
 */
export interface Service extends With<HttpError, never> {}

/**
 * A user's step in the chain: it sees each request and `next`, the rest of the chain, which it may call
 * any number of times (retrying), not at all (answering from a cache or with a synthetic response), or
 * with another request; and it may measure, log or rewrite the response. `next` fails as the client below
 * does (`E`, besides `HttpError`: a circuit breaker's own error, say) and runs in the context of the call
 * (the client's services, and for `execute` the Scope the streaming response lives in), so it needs
 * nothing; what the step's own Effect fails with and needs is the client's from then on.
 *
 * @since 0.3.0
 * @category models
 */
export type Middleware<E2, R2, E = never> = (
  request: Request.Request,
  next: (request: Request.Request) => Effect.Effect<Response.Response, E | HttpError>,
) => Effect.Effect<Response.Response, E2, R2>

/**
 * The Client service.
 *
 * @since 0.1.0
 * @category tags
 */
export class Client extends Edition.Service<Client, Service>()("@courier/core/Client") {}

/**
 * `f` of the Client in the fiber's context, and of the fiber: one runtime operation, where
 * `Effect.flatMap(Client, f)` takes four (the accessors below run once per request, so it shows on the
 * request benchmarks). Courier's own clients are handed the fiber, so the call does not read it again. The
 * context is read as `Effect.flatMap` would read it; the type adds the requirement that the lookup relies on.
 */
const withClient = <A, E, R>(
  f: (client: Service, fiber: Edition.CurrentFiber) => Effect.Effect<A, E, R>,
): Effect.Effect<A, E, R | Client> => Edition.withService(Client, f)

/** The standard composition of `options`' transforms over `bare`, in the documented order (innermost first). */
const standard = (bare: Service, options: Options, decoding: Option.Option<ContentDecoding.Service>): Service => {
  let client: Service = bare
  if (options.retry !== undefined) client = retry(client, options.retry)
  if (options.cache !== undefined && options.cache !== false) {
    client = withCache(client, options.cache === true ? {} : options.cache)
  }
  if (options.cookies !== undefined) client = withCookies(client, options.cookies)
  // Decoding is the link above redirects; fused into it, the final response costs one flatMap less.
  const decodingOptions = Option.isNone(decoding)
    ? undefined
    : {
        decoding: decoding.value,
        ...(options.maxDecodedBytes === undefined ? {} : { maxDecodedBytes: options.maxDecodedBytes }),
      }
  client = transforms.followRedirects(client, options.redirects ?? 10, decodingOptions)
  if (options.expectContinue !== undefined) client = withExpectContinue(client, options.expectContinue)
  if (options.maxResponseBytes !== undefined) client = withMaxResponseBytes(client, options.maxResponseBytes)
  if (options.timeouts !== undefined) client = withTimeouts(client, options.timeouts)
  client = withTracing(client, {
    enabled: options.tracing ?? "auto",
    propagate: options.propagateTraceContext !== false,
  })
  if (options.netrc !== undefined) client = withNetrc(client, options.netrc)
  if (options.auth !== undefined) client = withAuth(client, options.auth)
  const userAgent = options.userAgent ?? USER_AGENT
  const own = HeadersModule.fromInput(options.headers)
  client = withHeaders(
    client,
    userAgent === false || HeadersModule.has(own, "user-agent") ? own : [["User-Agent", userAgent], ...own.entries],
  )
  if (options.baseUrl !== undefined) client = withBaseUrl(client, options.baseUrl)
  return client
}

/**
 * A Client with no policies over the Transport in context: each request goes to the transport as it is
 * (its params, URL credentials and file bodies applied), with no default headers, redirects, cookies,
 * retries or decoding. The start of a chain built by hand; `make` builds the standard one.
 *
 * @since 0.3.0
 * @category constructors
 */
export const makeBare: Effect.Effect<Service, never, Transport> = Effect.map(
  Effect.zip(Transport, Effect.context<never>()),
  ([transport, context]) => internal.fromRoot({ transport, context }),
)

/**
 * Builds the standard Client for `options` over the Transport in context; it uses the Files and
 * ContentDecoding services when they are there too.
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
    return standard(internal.fromRoot({ transport, context }, options), options, decoding)
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
 * A Layer that replaces the Client in context by `f` of it: how an application adds its transforms to a
 * client made by a layer (`NodeTransport.client`, `Session.layer`).
 *
 * @example
 * ```ts
 * const AppClient = Client.layerTransform(Client.withHeaders({ "X-App": "shop" })).pipe(
 *   Layer.provide(NodeTransport.client({ retry: Retry.transient })),
 * )
 * ```
 *
 * @since 0.3.0
 * @category layers
 */
export const layerTransform = (f: (client: Service) => Service): Layer.Layer<Client, never, Client> =>
  Layer.effect(Client, Effect.map(Client, f))

/**
 * Runs a request with the Client in context; the body streams until the scope closes.
 *
 * @since 0.1.0
 * @category execution
 */
export const execute = (request: Request.Request): Effect.Effect<Response.Response, HttpError, Client | Scope.Scope> =>
  withClient((client, fiber) =>
    client instanceof internal.ClientImpl ? client.execute(request, fiber) : client.execute(request),
  )

/**
 * Runs a request with the Client in context and reads the whole body into memory.
 *
 * @since 0.1.0
 * @category execution
 */
export const fetch = (request: Request.Request): Effect.Effect<Response.Response, HttpError, Client> =>
  withClient((client, fiber) =>
    client instanceof internal.ClientImpl ? client.fetch(request, fiber) : client.fetch(request),
  )

/**
 * A client pinned to one connection to `url`'s origin for the life of the scope (see `With.pinned`).
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
export const pinned = (url: string): Effect.Effect<With<HttpError, never>, HttpError, Client | Scope.Scope> =>
  Effect.flatMap(Client, (client) => client.pinned(url))

/**
 * Replaces each request by `f(request)` before it goes down the chain.
 *
 * @since 0.3.0
 * @category transforms
 */
export const mapRequest: {
  (f: (request: Request.Request) => Request.Request): <E, R>(self: With<E, R>) => With<E, R>
  <E, R>(self: With<E, R>, f: (request: Request.Request) => Request.Request): With<E, R>
} = dual(2, transforms.mapRequest)

/**
 * Replaces each request by the result of an Effect (signing it, say); its failure fails the call.
 *
 * @since 0.3.0
 * @category transforms
 */
export const mapRequestEffect: {
  <E2, R2>(
    f: (request: Request.Request) => Effect.Effect<Request.Request, E2, R2>,
  ): <E, R>(self: With<E, R>) => With<E | E2, R | R2>
  <E, R, E2, R2>(
    self: With<E, R>,
    f: (request: Request.Request) => Effect.Effect<Request.Request, E2, R2>,
  ): With<E | E2, R | R2>
} = dual(2, transforms.mapRequestEffect)

/**
 * Runs `f` with each request before it is sent.
 *
 * @since 0.3.0
 * @category transforms
 */
export const tapRequest: {
  <E2, R2>(
    f: (request: Request.Request) => Effect.Effect<unknown, E2, R2>,
  ): <E, R>(self: With<E, R>) => With<E | E2, R | R2>
  <E, R, E2, R2>(
    self: With<E, R>,
    f: (request: Request.Request) => Effect.Effect<unknown, E2, R2>,
  ): With<E | E2, R | R2>
} = dual(2, transforms.tapRequest)

/**
 * Replaces each response by `f(response)`.
 *
 * @since 0.3.0
 * @category transforms
 */
export const mapResponse: {
  (f: (response: Response.Response) => Response.Response): <E, R>(self: With<E, R>) => With<E, R>
  <E, R>(self: With<E, R>, f: (response: Response.Response) => Response.Response): With<E, R>
} = dual(2, transforms.mapResponse)

/**
 * Replaces each response by the result of an Effect.
 *
 * @since 0.3.0
 * @category transforms
 */
export const mapResponseEffect: {
  <E2, R2>(
    f: (response: Response.Response) => Effect.Effect<Response.Response, E2, R2>,
  ): <E, R>(self: With<E, R>) => With<E | E2, R | R2>
  <E, R, E2, R2>(
    self: With<E, R>,
    f: (response: Response.Response) => Effect.Effect<Response.Response, E2, R2>,
  ): With<E | E2, R | R2>
} = dual(2, transforms.mapResponseEffect)

/**
 * Runs `f` with each response before it is returned.
 *
 * @since 0.3.0
 * @category transforms
 */
export const tapResponse: {
  <E2, R2>(
    f: (response: Response.Response) => Effect.Effect<unknown, E2, R2>,
  ): <E, R>(self: With<E, R>) => With<E | E2, R | R2>
  <E, R, E2, R2>(
    self: With<E, R>,
    f: (response: Response.Response) => Effect.Effect<unknown, E2, R2>,
  ): With<E | E2, R | R2>
} = dual(2, transforms.tapResponse)

/**
 * Runs `f` with each failure of the chain below (to log or count it); the failure goes on to the caller.
 *
 * @since 0.3.0
 * @category error handling
 */
export const tapError: {
  <E, E2, R2>(
    f: (error: E | HttpError) => Effect.Effect<unknown, E2, R2>,
  ): <R>(self: With<E, R>) => With<E | E2, R | R2>
  <E, R, E2, R2>(self: With<E, R>, f: (error: E | HttpError) => Effect.Effect<unknown, E2, R2>): With<E | E2, R | R2>
} = dual(2, transforms.tapError)

/**
 * Recovers from any failure of the chain below with a response, or another failure.
 *
 * @since 0.3.0
 * @category error handling
 */
export const catchAll: {
  <E, E2, R2>(
    f: (error: E | HttpError) => Effect.Effect<Response.Response, E2, R2>,
  ): <R>(self: With<E, R>) => With<E2, R | R2>
  <E, R, E2, R2>(
    self: With<E, R>,
    f: (error: E | HttpError) => Effect.Effect<Response.Response, E2, R2>,
  ): With<E2, R | R2>
} = dual(2, transforms.catchAll)

/**
 * The `_tag`s of the tagged errors in `E`.
 *
 * @since 0.3.0
 * @category error handling
 */
export type Tags<E> = E extends { readonly _tag: string } ? E["_tag"] : never

/**
 * Recovers from the failures with tag `tag` (`"Timeout"`, `"StatusError"` …).
 *
 * @since 0.3.0
 * @category error handling
 */
export const catchTag: {
  <E, K extends Tags<E | HttpError>, E2, R2>(
    tag: K,
    f: (error: Extract<E | HttpError, { readonly _tag: K }>) => Effect.Effect<Response.Response, E2, R2>,
  ): <R>(self: With<E, R>) => With<Exclude<E | HttpError, { readonly _tag: K }> | E2, R | R2>
  <E, R, K extends Tags<E | HttpError>, E2, R2>(
    self: With<E, R>,
    tag: K,
    f: (error: Extract<E | HttpError, { readonly _tag: K }>) => Effect.Effect<Response.Response, E2, R2>,
  ): With<Exclude<E | HttpError, { readonly _tag: K }> | E2, R | R2>
} = dual(
  3,
  <E, R, K extends Tags<E | HttpError>, E2, R2>(
    self: With<E, R>,
    tag: K,
    f: (error: Extract<E | HttpError, { readonly _tag: K }>) => Effect.Effect<Response.Response, E2, R2>,
  ) =>
    transforms.catchIf(self, (error): error is Extract<E | HttpError, { readonly _tag: K }> => hasTag(error, tag), f),
)

const hasTag = (u: unknown, tag: string): boolean =>
  typeof u === "object" && u !== null && "_tag" in u && (u as { readonly _tag: unknown })._tag === tag

/**
 * Recovers from failures by tag, one handler per tag, as `Effect.catchTags`.
 *
 * @example
 * ```ts
 * const lenient = client.pipe(
 *   Client.catchTags({
 *     StatusError: (e) => Effect.succeed(Response.make({ ...fallbackFor(e) })),
 *     Timeout: () => Effect.fail(new Unavailable()),
 *   }),
 * )
 * ```
 *
 * @since 0.3.0
 * @category error handling
 */
export const catchTags: {
  <E, Cases extends TagCases<E>>(
    cases: Cases,
  ): <R>(self: With<E, R>) => With<CaughtError<E, Cases>, R | CaughtContext<Cases>>
  <E, R, Cases extends TagCases<E>>(
    self: With<E, R>,
    cases: Cases,
  ): With<CaughtError<E, Cases>, R | CaughtContext<Cases>>
} = dual(
  2,
  <E, R, Cases extends TagCases<E>>(
    self: With<E, R>,
    cases: Cases,
  ): With<CaughtError<E, Cases>, R | CaughtContext<Cases>> => {
    // The handlers by tag, as the runtime sees them: each is called only with an error of its own tag.
    const table = cases as unknown as Readonly<
      Record<string, (error: unknown) => Effect.Effect<Response.Response, CaughtError<E, Cases>, CaughtContext<Cases>>>
    >
    const handlerOf = (error: unknown) =>
      typeof error === "object" && error !== null && "_tag" in error && typeof error._tag === "string"
        ? table[error._tag]
        : undefined
    return transforms.catchIf(
      self,
      (error): error is Extract<E | HttpError, { readonly _tag: keyof Cases }> => handlerOf(error) !== undefined,
      (error) => {
        const handler = handlerOf(error)
        return handler === undefined ? Effect.fail(error as CaughtError<E, Cases>) : handler(error)
      },
    )
  },
)

/**
 * The handlers `catchTags` takes: at most one per tag of `E | HttpError`.
 *
 * @since 0.3.0
 * @category error handling
 */
export type TagCases<E> = {
  readonly [K in Tags<E | HttpError>]?: (
    error: Extract<E | HttpError, { readonly _tag: K }>,
  ) => Effect.Effect<Response.Response, unknown, unknown>
}

/**
 * The failures a client has after `catchTags(cases)`: those not caught, and those the handlers fail with.
 *
 * @since 0.3.0
 * @category error handling
 */
export type CaughtError<E, Cases> =
  | Exclude<E | HttpError, Extract<E | HttpError, { readonly _tag: keyof Cases }>>
  | {
      [K in keyof Cases]: Cases[K] extends (
        ...args: ReadonlyArray<never>
      ) => Effect.Effect<Response.Response, infer E2, unknown>
        ? E2
        : never
    }[keyof Cases]

/**
 * What a client needs after `catchTags(cases)`: what the handlers need.
 *
 * @since 0.3.0
 * @category error handling
 */
export type CaughtContext<Cases> = {
  [K in keyof Cases]: Cases[K] extends (
    ...args: ReadonlyArray<never>
  ) => Effect.Effect<Response.Response, unknown, infer R2>
    ? R2
    : never
}[keyof Cases]

/**
 * Fails with `StatusError` when `accept(status)` is false (platform's `filterStatus`).
 *
 * @since 0.3.0
 * @category transforms
 */
export const filterStatus: {
  (accept: (status: number) => boolean): <E, R>(self: With<E, R>) => With<E | StatusError, R>
  <E, R>(self: With<E, R>, accept: (status: number) => boolean): With<E | StatusError, R>
} = dual(2, transforms.filterStatus)

/**
 * Fails with `StatusError` unless the status is 2xx (requests' `raise_for_status`, platform's `filterStatusOk`).
 *
 * @since 0.3.0
 * @category transforms
 */
export const filterStatusOk = <E, R>(self: With<E, R>): With<E | StatusError | HttpError, R> =>
  transforms.filterStatus(self, (status) => status >= 200 && status < 300)

/**
 * Adds a step of the caller's own (see `Middleware`): request signing, logging, a cache, a circuit breaker.
 * It goes on any client: its `next` fails as that client does, so an error type of the user's own (a
 * breaker's `CircuitOpen`) reaches a middleware above it, which may log it, pass it on or recover.
 *
 * @example
 * ```ts
 * const timed = client.pipe(
 *   Client.middleware((request, next) =>
 *     Effect.timed(next(request)).pipe(
 *       Effect.tap(([took]) => Effect.log(`${request.method} ${request.url} took ${Duration.format(took)}`)),
 *       Effect.map(([, response]) => response),
 *     ),
 *   ),
 * )
 * ```
 *
 * @since 0.3.0
 * @category transforms
 */
export const middleware: {
  <E2, R2, E = HttpError>(f: Middleware<E2, R2, E>): <R>(self: With<E, R>) => With<E2, R | R2>
  <E, R, E2, R2>(self: With<E, R>, f: Middleware<E2, R2, E>): With<E2, R | R2>
} = dual(2, transforms.middleware)

/**
 * Resolves relative request URLs against `base`, with urljoin semantics (see `Url.join`).
 *
 * @since 0.3.0
 * @category policies
 */
export const withBaseUrl: {
  (base: string): <E, R>(self: With<E, R>) => With<E, R>
  <E, R>(self: With<E, R>, base: string): With<E, R>
} = dual(2, transforms.withBaseUrl)

/**
 * Sends `headers` with every request; the request's own headers of the same names win.
 *
 * @since 0.3.0
 * @category policies
 */
export const withHeaders: {
  (headers: HeadersModule.Input): <E, R>(self: With<E, R>) => With<E, R>
  <E, R>(self: With<E, R>, headers: HeadersModule.Input): With<E, R>
} = dual(2, transforms.withHeaders)

/**
 * Authenticates requests that set no `Authorization` of their own (see `Auth.Credentials`): Basic or bearer
 * as a default header; Digest answered on the server's challenge (and then up front, counting the nonce's
 * uses); a token provider's token, fetched again and the request sent once more on a 401 when its body
 * can be sent again.
 *
 * @since 0.3.0
 * @category policies
 */
export const withAuth: {
  <E2 = never, R2 = never>(
    credentials: AuthModule.Credentials<E2, R2>,
  ): <E, R>(self: With<E, R>) => With<E | E2, R | R2>
  <E, R, E2 = never, R2 = never>(self: With<E, R>, credentials: AuthModule.Credentials<E2, R2>): With<E | E2, R | R2>
} = dual(2, authFlows.withAuth)

/**
 * Sends Basic credentials from a `.netrc` (see `Auth.parseNetrc`, `NodeNetrc.load`) to the hosts it names,
 * on requests with no `Authorization` of their own, as curl's `--netrc` and requests do.
 *
 * @since 0.3.0
 * @category policies
 */
export const withNetrc: {
  (netrc: AuthModule.Netrc): <E, R>(self: With<E, R>) => With<E, R>
  <E, R>(self: With<E, R>, netrc: AuthModule.Netrc): With<E, R>
} = dual(2, authFlows.withNetrc)

/**
 * Retries transient failures and the policy's statuses (see `Retry`): idempotent requests only unless the
 * policy says otherwise, bodies that can be sent again only, after the schedule's delay or the server's
 * `Retry-After` when longer (capped). Below `followRedirects` it retries each hop.
 *
 * @since 0.3.0
 * @category policies
 */
export const retry: {
  (policy: Retry.Policy): <E, R>(self: With<E, R>) => With<E, R>
  <E, R>(self: With<E, R>, policy: Retry.Policy): With<E, R>
} = dual(2, transforms.retry)

/**
 * Follows up to `max` redirects (RFC 9110 §15.4): 303 becomes GET, 301 and 302 turn a POST into a GET, 307
 * and 308 keep method and body; credentials are dropped when a hop leaves the origin or goes from https to
 * http; past `max`, `TooManyRedirects`. `false` returns redirects as they are.
 *
 * @since 0.3.0
 * @category policies
 */
export const followRedirects: {
  (max?: number | false): <E, R>(self: With<E, R>) => With<E, R>
  <E, R>(self: With<E, R>, max?: number | false): With<E, R>
} = dual(
  (args) => isWith(args[0]),
  <E, R>(self: With<E, R>, max: number | false = 10) => transforms.followRedirects(self, max),
)

/**
 * Sends cookies from `jar` and keeps those the responses set; below `followRedirects` it does so on each hop.
 *
 * @since 0.3.0
 * @category policies
 */
export const withCookies: {
  (jar: Cookies.Jar): <E, R>(self: With<E, R>) => With<E, R>
  <E, R>(self: With<E, R>, jar: Cookies.Jar): With<E, R>
} = dual(2, transforms.withCookies)

/**
 * Puts an HTTP cache (RFC 9111) in front of the client: a GET is answered from a fresh stored response, a
 * stale one is validated with the origin (`ETag`, `Last-Modified`), `stale-while-revalidate` and
 * `stale-if-error` are honoured, and an unsafe request that succeeds invalidates what is stored for its URL.
 * Each response says what the cache did (`Cache.status`). Placed by hand, it is best put where
 * `Options.cache` puts it: above retries, below cookies, redirects and decompression.
 *
 * @since 0.5.0
 * @category policies
 */
export const withCache: {
  (options?: Cache.Options): <E, R>(self: With<E, R>) => With<E, R>
  <E, R>(self: With<E, R>, options?: Cache.Options): With<E, R>
} = dual((args) => isWith(args[0]), caching.withCache)

/**
 * Asks for compressed bodies (`Accept-Encoding`) and decodes them, checking the decoded size against
 * `maxDecodedBytes` (default 1 GiB) as it goes. The codings are those of `decoding`, or of the
 * ContentDecoding service in the context the client was built in; with neither, responses are left as
 * they come.
 *
 * @since 0.3.0
 * @category policies
 */
export const decompress: {
  (options?: DecompressOptions): <E, R>(self: With<E, R>) => With<E, R>
  <E, R>(self: With<E, R>, options?: DecompressOptions): With<E, R>
} = dual((args) => isWith(args[0]), transforms.decompress)

/**
 * Options of `decompress`.
 *
 * @since 0.3.0
 * @category models
 */
export interface DecompressOptions {
  readonly decoding?: ContentDecoding.Service
  readonly maxDecodedBytes?: number
}

/**
 * Applies `timeouts` to every request; a request's own deadlines win, phase by phase. A `total` covers
 * everything below this transform: redirects and retries when they are below it.
 *
 * @since 0.3.0
 * @category policies
 */
export const withTimeouts: {
  (timeouts: Request.Timeouts): <E, R>(self: With<E, R>) => With<E, R>
  <E, R>(self: With<E, R>, timeouts: Request.Timeouts): With<E, R>
} = dual(2, transforms.withTimeouts)

/**
 * Limits response bodies to `limit` bytes as received, for requests that set no limit of their own.
 *
 * @since 0.3.0
 * @category policies
 */
export const withMaxResponseBytes: {
  (limit: number): <E, R>(self: With<E, R>) => With<E, R>
  <E, R>(self: With<E, R>, limit: number): With<E, R>
} = dual(2, transforms.withMaxResponseBytes)

/**
 * Sends `Expect: 100-continue` as `Options.expectContinue` describes.
 *
 * @since 0.3.0
 * @category policies
 */
export const withExpectContinue: {
  (when: boolean | number): <E, R>(self: With<E, R>) => With<E, R>
  <E, R>(self: With<E, R>, when: boolean | number): With<E, R>
} = dual(2, transforms.withExpectContinue)

/**
 * OpenTelemetry spans and the request-duration histogram, as `Options.tracing` describes: `enabled`
 * (`true`, `false` or `"auto"`, the default) and `propagate` (`traceparent`, default true).
 *
 * @since 0.3.0
 * @category policies
 */
export const withTracing: {
  (options?: TracingOptions): <E, R>(self: With<E, R>) => With<E, R>
  <E, R>(self: With<E, R>, options?: TracingOptions): With<E, R>
} = dual((args) => isWith(args[0]), transforms.withTracing)

/**
 * Options of `withTracing`.
 *
 * @since 0.3.0
 * @category models
 */
export interface TracingOptions {
  readonly enabled?: boolean | "auto"
  readonly propagate?: boolean
}

/**
 * At most `max` requests in flight per origin; the others wait their turn, in order. A request holds its
 * place until its response is done with: returned by `fetch`; after `execute`, its body read to the end or
 * its scope closed.
 *
 * @since 0.3.0
 * @category traffic shaping
 */
export const limitConcurrency: {
  (max: number): <E, R>(self: With<E, R>) => With<E, R>
  <E, R>(self: With<E, R>, max: number): With<E, R>
} = dual(2, shaping.limitConcurrency)

/**
 * At most `limit` requests started per `interval` per origin (a sliding window); a request past it waits.
 * Time is the Effect Clock's, so `TestClock` drives it in tests.
 *
 * @since 0.3.0
 * @category traffic shaping
 */
export const rateLimit: {
  (options: { readonly limit: number; readonly interval: DurationInput }): <E, R>(self: With<E, R>) => With<E, R>
  <E, R>(self: With<E, R>, options: { readonly limit: number; readonly interval: DurationInput }): With<E, R>
} = dual(2, shaping.rateLimit)

/**
 * How `paginate` reads pages: `items` of a page (by default its JSON body, an array), `next`, the request
 * for the page after it or undefined at the last (by default the `Link` field's `rel="next"` target, RFC
 * 8288; an Effect when it reads the page's body, a cursor say), `maxPages` (default
 * 10,000, as got's `requestLimit`: a `next` link that loops ends there) and `shouldContinue`, which ends the
 * stream at the first item it refuses (that item not emitted).
 *
 * @since 0.5.0
 * @category pagination
 */
export interface PaginateOptions<A, E = HttpError, R = never> {
  readonly items?: (response: Response.Response) => Effect.Effect<ReadonlyArray<A>, E, R>
  readonly next?: (page: {
    readonly response: Response.Response
    readonly request: Request.Request
    readonly items: ReadonlyArray<A>
  }) => Request.Request | undefined | Effect.Effect<Request.Request | undefined, E, R>
  readonly maxPages?: number
  readonly shouldContinue?: (item: A) => boolean
}

/**
 * The items of `request`'s pages as a Stream, over the Client in context: a page is fetched only when the
 * consumer pulls past the items of the one before (so `Stream.take(10)` stops fetching), each with
 * `Client.fetch`, following `Link: <…>; rel="next"` by default (see `PaginateOptions`).
 *
 * @example
 * ```ts
 * const first50 = Client.paginate<Order>(Request.get("https://api.example.com/orders?per_page=20")).pipe(
 *   Stream.take(50),
 *   Stream.runCollect,
 * )
 * ```
 *
 * @since 0.5.0
 * @category pagination
 */
export const paginate = <A = unknown, E = HttpError, R = never>(
  request: Request.Request,
  options?: PaginateOptions<A, E, R>,
): Stream.Stream<A, E | HttpError, R | Client> =>
  Stream.unwrap(Effect.map(Client, (client) => paginator.paginate(client, request, options)))

/**
 * `paginate` over a client of one's own (a composed `With`), whose errors and requirements the stream keeps.
 *
 * @since 0.5.0
 * @category pagination
 */
export const paginateWith = <E, R, A = unknown, E2 = HttpError, R2 = never>(
  self: With<E, R>,
  request: Request.Request,
  options?: PaginateOptions<A, E2, R2>,
): Stream.Stream<A, E | E2 | HttpError, R | R2> => paginator.paginate(self, request, options)

/**
 * Whether `u` is a Client made by this module.
 *
 * @since 0.3.0
 * @category guards
 */
export const isWith = (u: unknown): u is With<unknown, unknown> =>
  typeof u === "object" && u !== null && internal.TypeId in u

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
