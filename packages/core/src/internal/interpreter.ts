/**
 * The interpreter behind `Client.make`: the request pipeline over a Transport. See `Client` for the order of
 * the policies; this module holds their wiring, the policies themselves are in `policies.ts`.
 * @internal
 */
import type * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Encoding from "effect/Encoding"
import * as FiberRef from "effect/FiberRef"
import * as LogLevel from "effect/LogLevel"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import type * as Body from "../Body.js"
import type { Auth, Options, Service } from "../Client.js"
import * as ContentDecoding from "../ContentDecoding.js"
import * as Cookies from "../Cookies.js"
import * as Headers from "../Headers.js"
import { EncodeError, type HttpError, Timeout, TooManyRedirects } from "../HttpError.js"
import * as Request from "../Request.js"
import * as Response from "../Response.js"
import type { Service as TransportService } from "../Transport.js"
import * as Url from "../Url.js"
import { USER_AGENT } from "../version.js"
import { requestHead, responseHead } from "./debug.js"
import { resolve as resolveBody } from "./multipart.js"
import { decoded, discard, redirectOf, retrying } from "./policies.js"
import { millisOf } from "./prepare.js"
import { withDownloadProgress, withUploadProgress } from "./progress.js"
import { copy as copyRequest, redactUrl } from "./request.js"
import { attemptSpan, isTracing, requestSpan } from "./tracing.js"

const absolute = /^[a-z][a-z0-9+.-]*:/i

/** How many parsed URLs a Client keeps; the cache is emptied when full. */
const URL_CACHE_SIZE = 512

const secret = (s: string | Redacted.Redacted<string>): string => (Redacted.isRedacted(s) ? Redacted.value(s) : s)

const authorization = (auth: Auth): string =>
  "basic" in auth
    ? `Basic ${Encoding.encodeBase64(`${auth.basic.username}:${secret(auth.basic.password)}`)}`
    : `Bearer ${secret(auth.bearer)}`

/** The execute and fetch of a Client with `options` over `transport`. */
export const interpret = (
  options: Options,
  transport: TransportService,
  context: Context.Context<never>,
  decoding: Option.Option<ContentDecoding.Service>,
): Pick<Service, "execute" | "fetch"> => {
  let defaults = Headers.fromInput(options.headers)
  const userAgent = options.userAgent ?? USER_AGENT
  if (userAgent !== false && !Headers.has(defaults, "user-agent")) {
    defaults = Headers.fromInput([["User-Agent", userAgent], ...defaults.entries])
  }
  if (Option.isSome(decoding) && !Headers.has(defaults, "accept-encoding")) {
    defaults = Headers.append(defaults, "Accept-Encoding", decoding.value.codings.join(", "))
  }
  if (options.auth !== undefined && !Headers.has(defaults, "authorization")) {
    defaults = Headers.append(defaults, "Authorization", authorization(options.auth))
  }
  const base = options.baseUrl
  const defaultTimeouts = options.timeouts
  const maxRedirects = options.redirects === false ? 0 : (options.redirects ?? 10)
  const maxDecoded = options.maxDecodedBytes ?? ContentDecoding.DEFAULT_MAX_DECODED_BYTES
  const jar = options.cookies
  // Parsed URLs by string: parsing is pure, and most programs call a handful of URLs many times.
  const parsedUrls = new Map<string, Url.Url>()

  const parse = (href: string, request: Request.Request): Either.Either<Url.Url, HttpError> => {
    let url = parsedUrls.get(href)
    if (url !== undefined) return Either.right(url)
    const parsed = Url.parse(href, Request.info(request))
    if (Either.isLeft(parsed)) return parsed
    url = parsed.right
    if (parsedUrls.size >= URL_CACHE_SIZE) parsedUrls.clear()
    parsedUrls.set(href, url)
    return Either.right(url)
  }

  /** The request as it goes out: absolute URL with params, default headers, URL credentials, deadlines. */
  const resolve = (request: Request.Request): Either.Either<readonly [Request.Request, Url.Url], HttpError> => {
    let href = request.url
    if (base !== undefined && !absolute.test(href)) {
      const joined = Url.join(base, href)
      if (Either.isLeft(joined)) return Either.left(joined.left)
      href = joined.right
    }
    const parsed = parse(Url.appendQuery(href, request.params), request)
    if (Either.isLeft(parsed)) return Either.left(parsed.left)
    const url = parsed.right
    let headers = Headers.merge(defaults, request.headers)
    if ((url.username !== "" || url.password !== "") && !Headers.has(request.headers, "authorization")) {
      headers = Headers.set(
        headers,
        "Authorization",
        authorization({ basic: { username: url.username, password: url.password } }),
      )
    }
    const timeouts = defaultTimeouts === undefined ? request.timeouts : { ...defaultTimeouts, ...request.timeouts }
    const maxResponseBytes = request.maxResponseBytes ?? options.maxResponseBytes
    const expectContinue = request.expectContinue || wantsContinue(request.body)
    return Either.right([
      copyRequest(request, { url: url.href, params: [], headers, timeouts, maxResponseBytes, expectContinue }),
      url,
    ])
  }

  const continueAt = options.expectContinue ?? false
  /** Whether the Client's `expectContinue` asks for `Expect: 100-continue` with this body. */
  const wantsContinue = (body: Body.Body): boolean => {
    if (continueAt === false || body._tag === "Empty") return false
    if (continueAt === true) return true
    switch (body._tag) {
      case "Bytes":
        return body.bytes.length >= continueAt
      case "Stream":
        return body.length === undefined || body.length >= continueAt
      case "File":
      case "Multipart":
        return true
      default:
        return false
    }
  }

  /** Opens file and multipart bodies as streams (with their lengths). */
  const withBody = (request: Request.Request): Effect.Effect<Request.Request, HttpError> =>
    request.body._tag === "File" || request.body._tag === "Multipart"
      ? Effect.map(
          Effect.mapError(
            Effect.provide(resolveBody(request.body), context),
            (reason) => new EncodeError({ request: Request.info(request), reason }),
          ),
          (body) => copyRequest(request, { body }),
        )
      : Effect.succeed(request)

  const tracing = options.tracing ?? "auto"
  const propagate = options.propagateTraceContext !== false

  /** How one request runs: with spans or not (decided once per request), and buffered or streaming. */
  interface Mode<R> {
    readonly send: (request: Request.Request, url: Url.Url) => Effect.Effect<Response.Response, HttpError, R>
    readonly traced: boolean
    /** Read the body into memory before returning (fetch and the one-call API). */
    readonly buffer: boolean
    /** Log each step at Debug level (decided once per request from the fiber's minimum log level). */
    readonly debug: boolean
  }

  /** One physical request: the transport, in its own CLIENT span (and measured) when tracing. */
  const attempt = <R>(
    request: Request.Request,
    url: Url.Url,
    hop: number,
    counter: { attempts: number },
    mode: Mode<R>,
  ): Effect.Effect<Response.Response, HttpError, R> =>
    mode.traced
      ? Effect.suspend(() => attemptSpan(request, url, counter.attempts++, hop, propagate, (r) => mode.send(r, url)))
      : mode.send(request, url)

  /** The transport with each exchange logged at Debug level: heads (credentials redacted) and connection. */
  const logged =
    <R>(send: Mode<R>["send"]): Mode<R>["send"] =>
    (request, url) =>
      Effect.zipRight(
        Effect.logDebug(requestHead(request, url)),
        send(request, url).pipe(
          Effect.tap((response) => Effect.logDebug(responseHead(response))),
          Effect.tapError((error) => Effect.logDebug(`courier: ${error.message}`)),
        ),
      )

  /** One hop: cookies from the jar, the transport under the retry policy, cookies back into the jar. */
  const hopOnce = <R>(
    request: Request.Request,
    url: Url.Url,
    hop: number,
    counter: { attempts: number },
    mode: Mode<R>,
  ): Effect.Effect<Response.Response, HttpError, R> => {
    if (jar === undefined) {
      return retrying(options.retry, request, attempt(request, url, hop, counter, mode), mode.debug)
    }
    return Effect.flatMap(Cookies.header(jar, url.href), (cookie) => {
      const own = Option.getOrUndefined(Headers.get(request.headers, "cookie"))
      const withCookies =
        cookie === undefined
          ? request
          : Request.setHeader(request, "Cookie", own === undefined ? cookie : `${own}; ${cookie}`)
      return Effect.tap(
        retrying(options.retry, withCookies, attempt(withCookies, url, hop, counter, mode), mode.debug),
        (response) => Cookies.setFromResponse(jar, url.href, Headers.getAll(response.headers, "set-cookie")),
      )
    })
  }

  /** The response as the caller gets it: decoded, with download progress reported, in memory if asked. */
  const finish = <R>(
    request: Request.Request,
    response: Response.Response,
    mode: Mode<R>,
  ): Effect.Effect<Response.Response, HttpError> => {
    let ready = response
    if (Option.isSome(decoding)) {
      const d = decoded(response, decoding.value, maxDecoded)
      if (Either.isLeft(d)) return Effect.fail(d.left)
      ready = d.right
    }
    if (request.onDownloadProgress !== undefined) ready = withDownloadProgress(ready, request.onDownloadProgress)
    return mode.buffer && !(ready.body instanceof Uint8Array) ? Response.buffered(ready) : Effect.succeed(ready)
  }

  /** Follows redirects from `first`, hop by hop, up to the limit, and finishes the last response. */
  const follow = <R>(
    first: Request.Request,
    firstUrl: Url.Url,
    mode: Mode<R>,
  ): Effect.Effect<Response.Response, HttpError, R> => {
    let chain: Array<string> | undefined
    // Physical requests of this call so far, across retries and redirect hops (the spans' resend count).
    const counter = { attempts: 0 }
    const loop = (
      request: Request.Request,
      url: Url.Url,
      hop: number,
    ): Effect.Effect<Response.Response, HttpError, R> =>
      Effect.flatMap(hopOnce(request, url, hop, counter, mode), (response) => {
        const next = options.redirects === false ? undefined : redirectOf(response, request, url)
        if (next === undefined) return finish(request, response, mode)
        const nextUrl = parse(next.url, next)
        if (Either.isLeft(nextUrl)) return finish(request, response, mode)
        chain ??= [firstUrl.href]
        chain.push(nextUrl.right.href)
        if (chain.length - 1 > maxRedirects) {
          return Effect.zipRight(
            discard(response),
            Effect.fail(new TooManyRedirects({ request: Request.info(first), chain })),
          )
        }
        const onward = Effect.zipRight(discard(response), loop(next, nextUrl.right, hop + 1))
        if (!mode.debug) return onward
        const to = `${next.method} ${redactUrl(nextUrl.right.href)}`
        return Effect.zipRight(Effect.logDebug(`courier: redirect ${response.status} -> ${to}`), onward)
      })
    return loop(first, firstUrl, 0)
  }

  /**
   * Runs the whole pipeline, within the request's total deadline if it has one. One `withFiberRuntime`
   * both defers the work and reads the fiber's tracer, where `suspend` and `tracerWith` took three runtime
   * operations.
   */
  const run = <R>(
    request: Request.Request,
    send: Mode<R>["send"],
    buffer: boolean,
  ): Effect.Effect<Response.Response, HttpError, R> =>
    Effect.withFiberRuntime((fiber) => {
      const resolved = resolve(request)
      if (Either.isLeft(resolved)) return Effect.fail(resolved.left)
      const [final, url] = resolved.right
      const simple =
        final.body._tag !== "File" && final.body._tag !== "Multipart" && final.onUploadProgress === undefined
      const pipeline = (mode: Mode<R>) =>
        simple
          ? follow(final, url, mode)
          : Effect.flatMap(Effect.map(withBody(final), withUploadProgress), (ready) => follow(ready, url, mode))
      const debug = fiber.getFiberRef(FiberRef.currentMinimumLogLevel).ordinal <= LogLevel.Debug.ordinal
      const sending = debug ? logged(send) : send
      const traced = () => requestSpan(final, url, pipeline({ send: sending, buffer, traced: true, debug }))
      const plain = () => pipeline({ send: sending, buffer, traced: false, debug })
      const spanned = tracing === true || (tracing === "auto" && isTracing(fiber.currentTracer)) ? traced() : plain()
      const total = final.timeouts.total
      if (total === undefined) return spanned
      const ms = millisOf(total, Number.POSITIVE_INFINITY)
      return Effect.timeoutFail(spanned, {
        duration: ms,
        onTimeout: () => new Timeout({ request: Request.info(final), phase: "total", millis: ms }),
      })
    })

  const execute: Service["execute"] = (request) => run(request, transport.send, false)
  const fetch: Service["fetch"] = (request) => run(request, transport.fetch, true)
  return { execute, fetch }
}
