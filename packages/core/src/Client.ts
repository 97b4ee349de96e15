/**
 * The interpreter: runs Request values over the Transport, and the one-call API built on it.
 *
 * A Client applies its policies to every request — resolve the URL against the base URL, append the
 * params, add default headers (a `User-Agent` naming Courier, the client's own headers; the request's
 * headers win), turn URL user info into Basic credentials — then hands it to the Transport. `execute`
 * returns a response whose body streams in the caller's Scope; the one-call functions (`get`, `post`, …,
 * in the shape of Python's requests and Zerynth's module) read the body into memory and need no Scope.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Encoding from "effect/Encoding"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import * as Headers from "./Headers.js"
import { type HttpError, Timeout } from "./HttpError.js"
import { copy as copyRequest } from "./internal/request.js"
import * as Request from "./Request.js"
import type * as Response from "./Response.js"
import { Transport } from "./Transport.js"
import * as Url from "./Url.js"
import { VERSION } from "./version.js"

/**
 * The default `User-Agent`.
 *
 * @since 0.1.0
 * @category constants
 */
export const USER_AGENT = `courier/${VERSION}`

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
  /** Deadlines applied to every request; a request's own deadlines win, phase by phase. */
  readonly timeouts?: Request.Timeouts
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
}

/**
 * The Client service.
 *
 * @since 0.1.0
 * @category tags
 */
export class Client extends Context.Tag("@courier/core/Client")<Client, Service>() {}

const absolute = /^[a-z][a-z0-9+.-]*:/i

/** How many parsed URLs a Client keeps; the cache is emptied when full. */
const URL_CACHE_SIZE = 512

/**
 * Builds a Client over the Transport in context.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: Options = {}): Effect.Effect<Service, never, Transport> =>
  Effect.map(Transport, (transport) => {
    let defaults = Headers.fromInput(options.headers)
    const userAgent = options.userAgent ?? USER_AGENT
    if (userAgent !== false && !Headers.has(defaults, "user-agent")) {
      defaults = Headers.fromInput([["User-Agent", userAgent], ...defaults.entries])
    }
    const base = options.baseUrl
    const defaultTimeouts = options.timeouts
    // Parsed URLs by string: parsing is pure, and most programs call a handful of URLs many times.
    const parsedUrls = new Map<string, Url.Url>()

    const resolve = (request: Request.Request): Either.Either<readonly [Request.Request, Url.Url], HttpError> => {
      const info = Request.info(request)
      let href = request.url
      if (base !== undefined && !absolute.test(href)) {
        const joined = Url.join(base, href)
        if (Either.isLeft(joined)) return Either.left(joined.left)
        href = joined.right
      }
      href = Url.appendQuery(href, request.params)
      let url = parsedUrls.get(href)
      if (url === undefined) {
        const parsed = Url.parse(href, info)
        if (Either.isLeft(parsed)) return Either.left(parsed.left)
        url = parsed.right
        if (parsedUrls.size >= URL_CACHE_SIZE) parsedUrls.clear()
        parsedUrls.set(href, url)
      }
      let headers = Headers.merge(defaults, request.headers)
      if ((url.username !== "" || url.password !== "") && !Headers.has(headers, "authorization")) {
        const token = Encoding.encodeBase64(`${url.username}:${url.password}`)
        headers = Headers.append(headers, "Authorization", `Basic ${token}`)
      }
      const timeouts = defaultTimeouts === undefined ? request.timeouts : { ...defaultTimeouts, ...request.timeouts }
      return Either.right([copyRequest(request, { url: url.href, params: [], headers, timeouts }), url])
    }

    /** Runs `run` on the resolved request, within its total deadline if it has one. */
    const within = <R>(
      request: Request.Request,
      run: (request: Request.Request, url: Url.Url) => Effect.Effect<Response.Response, HttpError, R>,
    ): Effect.Effect<Response.Response, HttpError, R> =>
      Effect.suspend(() => {
        const resolved = resolve(request)
        if (Either.isLeft(resolved)) return Effect.fail(resolved.left)
        const [final, url] = resolved.right
        const total = final.timeouts.total
        if (total === undefined) return run(final, url)
        const millis = Duration.toMillis(Duration.decode(total))
        return Effect.timeoutFail(run(final, url), {
          duration: millis,
          onTimeout: () => new Timeout({ request: Request.info(final), phase: "total", millis }),
        })
      })

    const execute: Service["execute"] = (request) => within(request, transport.send)
    const fetch: Service["fetch"] = (request) => within(request, transport.fetch)

    return Client.of({ execute, fetch })
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
  Effect.flatMap(Client, (client) => client.execute(request))

/**
 * Runs a request with the Client in context and reads the whole body into memory.
 *
 * @since 0.1.0
 * @category execution
 */
export const fetch = (request: Request.Request): Effect.Effect<Response.Response, HttpError, Client> =>
  Effect.flatMap(Client, (client) => client.fetch(request))

/**
 * GET `url`; `params` go in the query. The body is read into memory.
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
export const get = (url: string, options?: Request.Options) => fetch(Request.get(url, options))

/**
 * POST `url` with `data` (a urlencoded form) or `json`; when both are given, `data` wins and `json` is
 * ignored, as in Zerynth's `requests.post`.
 *
 * @since 0.1.0
 * @category one-call API
 */
export const post = (url: string, options?: Request.Options) => fetch(Request.post(url, options))

/**
 * PUT `url`; the body options are those of `post`.
 *
 * @since 0.1.0
 * @category one-call API
 */
export const put = (url: string, options?: Request.Options) => fetch(Request.put(url, options))

/**
 * PATCH `url`; the body options are those of `post`.
 *
 * @since 0.1.0
 * @category one-call API
 */
export const patch = (url: string, options?: Request.Options) => fetch(Request.patch(url, options))

/**
 * DELETE `url` (`delete` is a reserved word).
 *
 * @since 0.1.0
 * @category one-call API
 */
export const del = (url: string, options?: Request.Options) => fetch(Request.del(url, options))

/**
 * HEAD `url`: status and headers, no body.
 *
 * @since 0.1.0
 * @category one-call API
 */
export const head = (url: string, options?: Request.Options) => fetch(Request.head(url, options))

/**
 * OPTIONS `url`.
 *
 * @since 0.1.0
 * @category one-call API
 */
export const options = (url: string, opts?: Request.Options) => fetch(Request.options(url, opts))
