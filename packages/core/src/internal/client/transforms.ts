/**
 * The Client's transforms: the general ones (map, tap, catch, filter, middleware) and each of Courier's
 * policies as one (base URL, default headers, deadlines, limits, retries, redirects, cookies, decoding,
 * tracing). Each is a link of the chain (see `client.ts`); the policies themselves are in `policies.ts`.
 * @internal
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as Body from "../../Body.js"
import type { Middleware, With } from "../../Client.js"
import * as ContentDecoding from "../../ContentDecoding.js"
import * as Cookies from "../../Cookies.js"
import * as Headers from "../../Headers.js"
import { type HttpError, type StatusError, Timeout, TooManyRedirects } from "../../HttpError.js"
import * as Request from "../../Request.js"
import * as Response from "../../Response.js"
import type { Policy } from "../../Retry.js"
import * as Url from "../../Url.js"
import { millisOf } from "../binding/phases.js"
import { Result } from "../shared/edition.js"
import { catch as catchFailure, contextOf, timeoutFail, tracerOf, withFiber } from "../shared/edition-effect.js"
import { copy as copyRequest, redactUrl } from "../shared/request.js"
import { type Call, hasOwnCredentials, urlOf } from "./call.js"
import { transform } from "./client.js"
import { decoded, discard, redirectOf, retrying } from "./policies.js"
import { isTracing, requestSpan } from "./tracing.js"

/** `self` with each request replaced by `f(request)`. */
export const mapRequest = <E, R>(
  self: With<E, R>,
  f: (request: Request.Request) => Request.Request,
): With<E | HttpError, R> => transform(self, (next) => (request, call) => next(f(request), call))

/** `self` with each request replaced by `f(request)`, or the call failed with its error. */
export const mapRequestEither = <E, R>(
  self: With<E, R>,
  f: (request: Request.Request) => Result<Request.Request, HttpError>,
): With<E | HttpError, R> =>
  transform(self, (next) => (request, call) => {
    const mapped = f(request)
    return Result.isFailure(mapped) ? Effect.fail(Result.failure(mapped)) : next(Result.success(mapped), call)
  })

export const mapRequestEffect = <E, R, E2, R2>(
  self: With<E, R>,
  f: (request: Request.Request) => Effect.Effect<Request.Request, E2, R2>,
): With<E | E2 | HttpError, R | R2> =>
  transform(self, (next) => (request, call) => Effect.flatMap(f(request), (r) => next(r, call)))

export const tapRequest = <E, R, E2, R2>(
  self: With<E, R>,
  f: (request: Request.Request) => Effect.Effect<unknown, E2, R2>,
): With<E | E2 | HttpError, R | R2> =>
  transform(self, (next) => (request, call) => Effect.andThen(f(request), next(request, call)))

export const mapResponse = <E, R>(
  self: With<E, R>,
  f: (response: Response.Response) => Response.Response,
): With<E | HttpError, R> => transform(self, (next) => (request, call) => Effect.map(next(request, call), f))

export const mapResponseEffect = <E, R, E2, R2>(
  self: With<E, R>,
  f: (response: Response.Response) => Effect.Effect<Response.Response, E2, R2>,
): With<E | E2 | HttpError, R | R2> =>
  transform(self, (next) => (request, call) => Effect.flatMap(next(request, call), f))

export const tapResponse = <E, R, E2, R2>(
  self: With<E, R>,
  f: (response: Response.Response) => Effect.Effect<unknown, E2, R2>,
): With<E | E2 | HttpError, R | R2> => transform(self, (next) => (request, call) => Effect.tap(next(request, call), f))

export const tapError = <E, R, E2, R2>(
  self: With<E, R>,
  f: (error: E | HttpError) => Effect.Effect<unknown, E2, R2>,
): With<E | E2 | HttpError, R | R2> =>
  transform(self, (next) => (request, call) => Effect.tapError(next(request, call), f))

export const catchAll = <E, R, E2, R2>(
  self: With<E, R>,
  f: (error: E | HttpError) => Effect.Effect<Response.Response, E2, R2>,
): With<E2, R | R2> => transform(self, (next) => (request, call) => catchFailure(next(request, call), f))

export const catchIf = <E, R, EB extends E | HttpError, E2, R2>(
  self: With<E, R>,
  refinement: (error: E | HttpError) => error is EB,
  f: (error: EB) => Effect.Effect<Response.Response, E2, R2>,
): With<Exclude<E | HttpError, EB> | E2, R | R2> =>
  transform(
    self,
    (next) => (request, call) =>
      catchFailure(
        next(request, call),
        (e): Effect.Effect<Response.Response, Exclude<E | HttpError, EB> | E2, R2> =>
          refinement(e) ? f(e) : Effect.fail(e as Exclude<E | HttpError, EB>),
      ),
  )

export const middleware = <E, R, E2, R2>(self: With<E, R>, f: Middleware<E2, R2, E>): With<E2, R | R2> =>
  transform(self, (next) => {
    const step = <S>(request: Request.Request, call: Call<S>): Effect.Effect<Response.Response, E2, R | R2 | S> =>
      f(request, (r) => inCallContext(next(r, call), call))
    return step
  })

/**
 * `effect` run in the context the call started in, which holds what the chain below needs (the client's
 * services, and the Scope of a streaming response: the call could not have started without them). A
 * middleware almost always runs `next` on the call's own fiber, in that very context, and then nothing is
 * done (providing a context costs some twenty runtime operations); run anywhere else (in a scope of the
 * middleware's own, or in another fiber with other services) the call's context is provided.
 */
const inCallContext = <A, E, R>(effect: Effect.Effect<A, E, R>, call: Call<unknown>): Effect.Effect<A, E> => {
  const context = contextOf(call.fiber) as Context.Context<R>
  return withFiber((fiber) =>
    contextOf(fiber) === context ? (effect as Effect.Effect<A, E>) : Effect.provide(effect, context),
  )
}

export const filterStatus = <E, R>(
  self: With<E, R>,
  accept: (status: number) => boolean,
): With<E | StatusError | HttpError, R> =>
  mapResponseEffect(self, (response) =>
    accept(response.status) ? Effect.succeed(response) : Effect.fail(Response.toStatusError(response)),
  )

const absolute = /^[a-z][a-z0-9+.-]*:/i

export const withBaseUrl = <E, R>(self: With<E, R>, base: string): With<E | HttpError, R> =>
  mapRequestEither(self, (request) => {
    if (absolute.test(request.url)) return Result.succeed(request)
    return Result.map(Url.join(base, request.url), (url) => copyRequest(request, { url }))
  })

export const withHeaders = <E, R>(self: With<E, R>, input: Headers.Input): With<E | HttpError, R> => {
  const defaults = Headers.fromInput(input)
  if (defaults.entries.length === 0) return self
  return mapRequest(self, (request) => copyRequest(request, { headers: Headers.merge(defaults, request.headers) }))
}

/** `request` with `name: value` added, unless it sets `name` itself. */
/** The request with `name: value` unless it sets `name`, or, for `Authorization`, brings credentials in its URL. */
const withDefault = (request: Request.Request, name: string, value: string): Request.Request =>
  Headers.has(request.headers, name) || (name.toLowerCase() === "authorization" && hasOwnCredentials(request))
    ? request
    : copyRequest(request, { headers: Headers.append(request.headers, name, value) })

/** `self` sending `name: value` on each request that does not set `name` itself. */
export const withDefaultHeader = <E, R>(self: With<E, R>, name: string, value: string): With<E | HttpError, R> =>
  mapRequest(self, (request) => withDefault(request, name, value))

export const withTimeouts = <E, R>(self: With<E, R>, timeouts: Request.Timeouts): With<E | HttpError, R> => {
  const total = timeouts.total
  const ms = total === undefined ? undefined : millisOf(total, Number.POSITIVE_INFINITY)
  return transform(self, (next) => (request, call) => {
    const own = request.timeouts
    const merged = copyRequest(request, { timeouts: { ...timeouts, ...own } })
    // A total deadline of the request's own is applied where the call starts; this one covers what is below.
    if (ms === undefined || own.total !== undefined) return next(merged, call)
    return timeoutFail(
      next(merged, call),
      ms,
      () => new Timeout({ request: Request.info(merged), phase: "total", millis: ms }),
    )
  })
}

export const withMaxResponseBytes = <E, R>(self: With<E, R>, limit: number): With<E | HttpError, R> =>
  mapRequest(self, (request) =>
    request.maxResponseBytes === undefined ? copyRequest(request, { maxResponseBytes: limit }) : request,
  )

/** Whether `when` (the Client's `expectContinue`) asks for `Expect: 100-continue` with this body. */
const wantsContinue = (when: boolean | number, body: Body.Body): boolean => {
  if (when === false || body._tag === "Empty") return false
  if (when === true) return true
  switch (body._tag) {
    case "Bytes":
      return body.bytes.length >= when
    case "Stream":
      return body.length === undefined || body.length >= when
    case "File":
    case "Multipart":
      return true
    default:
      return false
  }
}

export const withExpectContinue = <E, R>(self: With<E, R>, when: boolean | number): With<E | HttpError, R> =>
  mapRequest(self, (request) =>
    request.expectContinue || !wantsContinue(when, request.body)
      ? request
      : copyRequest(request, { expectContinue: true }),
  )

export const retry = <E, R>(self: With<E, R>, policy: Policy): With<E | HttpError, R> =>
  transform(self, (next) => (request, call) => retrying(policy, request, next(request, call), call.debug))

export const followRedirects = <E, R>(
  self: With<E, R>,
  max: number | false,
  decoding?: DecodingOptions,
): With<E | HttpError, R> => {
  if (max === false) return decoding === undefined ? self : decompress(self, decoding)
  return transform(self, (next, context) => {
    const decode = decoding === undefined ? undefined : decodingOf(context, decoding)
    const follow = <S>(
      asked: Request.Request,
      call: Call<S>,
    ): Effect.Effect<Response.Response, E | HttpError, R | S> => {
      const first = decode === undefined ? asked : withDefault(asked, "Accept-Encoding", decode.accept)
      /** The response the call ends with: decoded here when decoding is fused in (see `standard`). */
      const last = (response: Response.Response) =>
        decode === undefined ? Effect.succeed(response) : decode.step(response, call)
      const firstUrl = Result.getOrUndefined(urlOf(first))
      if (firstUrl === undefined)
        return decode === undefined ? next(first, call) : Effect.flatMap(next(first, call), last)
      // Nothing here is kept between runs: a retry above this transform runs the chain again from hop 0.
      const send = (request: Request.Request, hop: number) =>
        call.traced
          ? Effect.suspend(() => {
              call.hop = hop
              return next(request, call)
            })
          : next(request, call)
      const loop = (
        request: Request.Request,
        url: Url.Url,
        hop: number,
        chain: ReadonlyArray<string>,
      ): Effect.Effect<Response.Response, E | HttpError, R | S> =>
        Effect.flatMap(send(request, hop), (response) => {
          const redirect = redirectOf(response, request, url)
          if (redirect === undefined) return last(response)
          const nextUrl = Result.getOrUndefined(urlOf(redirect))
          if (nextUrl === undefined) return last(response)
          const visited = [...chain, nextUrl.href]
          if (visited.length - 1 > max) {
            return Effect.andThen(
              discard(response),
              Effect.fail(new TooManyRedirects({ request: Request.info(first), chain: visited })),
            )
          }
          const onward = Effect.andThen(discard(response), loop(redirect, nextUrl, hop + 1, visited))
          if (!call.debug) return onward
          const to = `${redirect.method} ${redactUrl(nextUrl.href)}`
          return Effect.andThen(Effect.logDebug(`courier: redirect ${response.status} -> ${to}`), onward)
        })
      return loop(first, firstUrl, 0, [firstUrl.href])
    }
    return follow
  })
}

export const withCookies = <E, R>(self: With<E, R>, jar: Cookies.Jar): With<E | HttpError, R> =>
  transform(self, (next) => (request, call) => {
    const url = urlOf(request)
    if (Result.isFailure(url)) return next(request, call)
    const href = Result.success(url).href
    return Effect.flatMap(Cookies.header(jar, href), (cookie) => {
      const own = Option.getOrUndefined(Headers.get(request.headers, "cookie"))
      const withJar =
        cookie === undefined
          ? request
          : Request.setHeader(request, "Cookie", own === undefined ? cookie : `${own}; ${cookie}`)
      return Effect.tap(next(withJar, call), (response) =>
        Cookies.setFromResponse(jar, href, Headers.getAll(response.headers, "set-cookie")),
      )
    })
  })

/** What `decompress` is given: the codings (the context's ContentDecoding by default) and the limit. */
export interface DecodingOptions {
  readonly decoding?: ContentDecoding.Service
  readonly maxDecodedBytes?: number
}

/** Decoding around a call: the `Accept-Encoding` a request gets, and its response decoded (read whole when buffered). */
interface Decoding {
  readonly accept: string
  readonly step: <S>(response: Response.Response, call: Call<S>) => Effect.Effect<Response.Response, HttpError>
}

/** The decoding `options` ask for in `context`; none when no codings are given or provided. */
const decodingOf = (context: Context.Context<never>, options: DecodingOptions): Decoding | undefined => {
  const found = options.decoding ?? Option.getOrUndefined(Context.getOption(context, ContentDecoding.ContentDecoding))
  if (found === undefined) return undefined
  const limit = options.maxDecodedBytes ?? ContentDecoding.DEFAULT_MAX_DECODED_BYTES
  return {
    accept: found.codings.join(", "),
    step: (response, call) => {
      const d = decoded(response, found, limit)
      if (Result.isFailure(d)) return Effect.fail(Result.failure(d))
      const r = Result.success(d)
      return call.buffer && !(r.body instanceof Uint8Array) ? Response.buffered(r) : Effect.succeed(r)
    },
  }
}

export const decompress = <E, R>(self: With<E, R>, options: DecodingOptions = {}): With<E | HttpError, R> =>
  transform(self, (next, context) => {
    const decode = decodingOf(context, options)
    if (decode === undefined) return next
    return (request, call) =>
      Effect.flatMap(next(withDefault(request, "Accept-Encoding", decode.accept), call), (response) =>
        decode.step(response, call),
      )
  })

export const withTracing = <E, R>(
  self: With<E, R>,
  options: { readonly enabled?: boolean | "auto"; readonly propagate?: boolean } = {},
): With<E | HttpError, R> => {
  const enabled = options.enabled ?? "auto"
  const propagate = options.propagate !== false
  return transform(self, (next) => (request, call) => {
    call.traced = enabled === true || (enabled === "auto" && isTracing(tracerOf(call.fiber)))
    call.propagate = propagate
    if (!call.traced) return next(request, call)
    const url = urlOf(request)
    if (Result.isFailure(url)) return Effect.fail(Result.failure(url))
    return requestSpan(request, Result.success(url), call.secrets, next(request, call))
  })
}
