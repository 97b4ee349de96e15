/**
 * One call through a Client, and the chain of handlers it runs down.
 *
 * A Client is a chain of handlers ending at the transport. Each transform wraps the handler below it. The
 * chain is generic in `S`: the scope a streaming response needs (`Scope` for `execute`), or nothing for a
 * response read into memory (`fetch`). One chain thus serves both. `fetch` keeps the transport's buffered
 * path, with no Scope opened per request. The `Call` record travels down the chain and carries what the
 * transforms share about one call: the mode, the tracing and debug decisions, the hop and attempt counters.
 * @internal
 */
import type * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import * as Headers from "../../Headers.js"
import { MAX_BUFFERED_BODY_BYTES } from "../../Http1.js"
import { EncodeError, type HttpError, Timeout } from "../../HttpError.js"
import * as Request from "../../Request.js"
import * as Response from "../../Response.js"
import type { Service as TransportService } from "../../Transport.js"
import * as Url from "../../Url.js"
import { millisOf } from "../binding/phases.js"
import { Result } from "../shared/edition.js"
import { type CurrentFiber, logsDebug, timeoutFail, withFiber } from "../shared/edition-effect.js"
import { resolve as resolveBody } from "../shared/multipart.js"
import { copy as copyRequest } from "../shared/request.js"
import { withDownloadProgress, withUploadProgress } from "./progress.js"

/** What a transform below the caller sees of one call. */
export interface Call<S> {
  /** The response is wanted in memory (`fetch`): the transport reads the body before returning. */
  readonly buffer: boolean
  /** The transport's way of sending for this mode. */
  readonly sendWith: (
    transport: TransportService,
  ) => (request: Request.Request, url: Url.Url) => Effect.Effect<Response.Response, HttpError, S>
  /** Runs a whole client in this mode: its `fetch` when buffered, its `execute` when streaming. */
  readonly through: <E, R>(
    client: {
      readonly execute: (request: Request.Request) => Effect.Effect<Response.Response, E, R | Scope.Scope>
      readonly fetch: (request: Request.Request) => Effect.Effect<Response.Response, E, R>
    },
    request: Request.Request,
  ) => Effect.Effect<Response.Response, E, R | S>
  /** Runs `release` when the caller is done with the response: now when buffered, when the scope closes when not. */
  readonly whenDone: (release: Effect.Effect<void>) => Effect.Effect<void, never, S>
  /** The fiber the call started on: its context, tracer and log level, read without a runtime operation. */
  readonly fiber: CurrentFiber
  /** Log each exchange, redirect and retry at Debug level. */
  readonly debug: boolean
  /** The query parameters whose values the debug log and spans hide (`Client.Options.secretQueryParams`). */
  readonly secrets: ReadonlyArray<string>
  /** Each physical request is a CLIENT span (set by the tracing transform). */
  traced: boolean
  /** Send the CLIENT span's context in `traceparent`. */
  propagate: boolean
  /** The redirect hop being sent (0 for the first request). */
  hop: number
  /** Physical requests sent so far in this call, retries and redirects alike. */
  attempts: number
}

/** A link of the chain: runs one request of a call and returns its response. */
export type Handler<E, R> = <S>(request: Request.Request, call: Call<S>) => Effect.Effect<Response.Response, E, R | S>

/** What the two modes differ in: how the transport and a whole client are asked, and when a release runs. */
type Mode<S> = Pick<Call<S>, "buffer" | "sendWith" | "through" | "whenDone">

const streamingMode: Mode<Scope.Scope> = {
  buffer: false,
  sendWith: (transport) => transport.send,
  through: (client, request) => client.execute(request),
  whenDone: (release) => Effect.asVoid(Effect.addFinalizer(() => release)),
}

const bufferedMode: Mode<never> = {
  buffer: true,
  sendWith: (transport) => transport.fetch,
  through: (client, request) => client.fetch(request),
  whenDone: (release) => release,
}

/** A new call in `mode`, started on `fiber`. */
const callOf = <S>(mode: Mode<S>, fiber: CurrentFiber, secrets: ReadonlyArray<string>): Call<S> => ({
  // Field by field, not a spread of `mode`: the architecture notes say why.
  buffer: mode.buffer,
  sendWith: mode.sendWith,
  through: mode.through,
  whenDone: mode.whenDone,
  fiber,
  debug: logsDebug(fiber),
  secrets,
  traced: false,
  propagate: false,
  hop: 0,
  attempts: 0,
})

/** A call of its own that reads the response into memory, for work a transform runs beside the caller's call. */
export const bufferedCall = (fiber: CurrentFiber, secrets: ReadonlyArray<string>): Call<never> =>
  callOf(bufferedMode, fiber, secrets)

/** How many parsed URLs are kept; the cache is emptied when full. */
const URL_CACHE_SIZE = 512
// Parsed URLs by string: parsing is pure, and most programs call a handful of URLs many times.
const parsedUrls = new Map<string, Url.Url>()

/** The request's URL with its params, parsed (absolute URLs only: the base URL is a transform's). */
export const urlOf = (request: Request.Request): Result<Url.Url, HttpError> => {
  const href = request.params.length === 0 ? request.url : Url.appendQuery(request.url, request.params)
  const cached = parsedUrls.get(href)
  if (cached !== undefined) return Result.succeed(cached)
  const parsed = Url.parse(href, Request.info(request))
  if (Result.isFailure(parsed)) return parsed
  if (parsedUrls.size >= URL_CACHE_SIZE) parsedUrls.clear()
  parsedUrls.set(href, Result.success(parsed))
  return parsed
}

/**
 * Whether the request brings credentials of its own: an `Authorization` field, or user info in its URL
 * (sent as Basic by the chain's last link). A client's default credentials never replace them.
 */
export const hasOwnCredentials = (request: Request.Request): boolean => {
  if (Headers.has(request.headers, "authorization")) return true
  if (!request.url.includes("@")) return false
  const url = Result.getOrUndefined(urlOf(request))
  return url !== undefined && (url.username !== "" || url.password !== "")
}

/** Opens a file or multipart body as a stream with its length, with the Files service from `context`. */
export const openBody = (
  request: Request.Request,
  context: Context.Context<never>,
): Effect.Effect<Request.Request, HttpError> =>
  request.body._tag === "File" || request.body._tag === "Multipart"
    ? Effect.map(
        Effect.mapError(
          Effect.provide(resolveBody(request.body), context),
          (reason) => new EncodeError({ request: Request.info(request), reason }),
        ),
        (body) => withUploadProgress(copyRequest(request, { body })),
      )
    : Effect.succeed(withUploadProgress(request))

/** The request's own total deadline, around the whole call. */
const withinTotal = <A, E, R>(
  request: Request.Request,
  effect: Effect.Effect<A, E, R>,
): Effect.Effect<A, E | Timeout, R> => {
  const total = request.timeouts.total
  if (total === undefined) return effect
  const ms = millisOf(total, Number.POSITIVE_INFINITY)
  return timeoutFail(effect, ms, () => new Timeout({ request: Request.info(request), phase: "total", millis: ms }))
}

/**
 * The response with download progress reported as its body is read and, when `readWhole`, read into memory
 * (through the report). Without a report there is nothing to do: the transport's buffered path returns
 * the body in memory, and a transform that replaces it (decompression) reads it in when buffering.
 */
const finish = (
  request: Request.Request,
  response: Response.Response,
  readWhole: boolean,
): Effect.Effect<Response.Response, HttpError> => {
  const ready =
    request.onDownloadProgress === undefined ? response : withDownloadProgress(response, request.onDownloadProgress)
  return readWhole && !(ready.body instanceof Uint8Array) ? Response.buffered(ready) : Effect.succeed(ready)
}

/**
 * Starts a call down `handler`: opens file and multipart bodies once (so retries and redirects replay the
 * opened body), reads the fiber once, applies the request's total deadline and finishes the response. A
 * caller that already holds the fiber (`Client.fetch`, which read the Client from it) passes it, and the
 * call costs no runtime operation of its own.
 */
const start = <E, R, S>(
  handler: Handler<E, R>,
  request: Request.Request,
  context: Context.Context<never>,
  mode: Mode<S>,
  secrets: ReadonlyArray<string>,
  fiber: CurrentFiber | undefined,
  readWhole = mode.buffer,
): Effect.Effect<Response.Response, E | HttpError, R | S> => {
  if (fiber === undefined) return withFiber((own) => start(handler, request, context, mode, secrets, own, readWhole))
  const call = callOf(mode, fiber, secrets)
  const simple =
    request.body._tag !== "File" && request.body._tag !== "Multipart" && request.onUploadProgress === undefined
  const sent = simple
    ? handler(request, call)
    : Effect.flatMap(openBody(request, context), (opened) => handler(opened, call))
  const done =
    request.onDownloadProgress === undefined
      ? sent
      : Effect.flatMap(sent, (response) => finish(request, response, readWhole))
  return withinTotal(request, done)
}

/** Runs `request` down `handler` with a streaming response, on `fiber` when the caller has read it. */
export const execute = <E, R>(
  handler: Handler<E, R>,
  request: Request.Request,
  context: Context.Context<never>,
  secrets: ReadonlyArray<string> = Request.SECRET_QUERY_PARAMS,
  fiber?: CurrentFiber,
): Effect.Effect<Response.Response, E | HttpError, R | Scope.Scope> =>
  start(handler, request, context, streamingMode, secrets, fiber)

/**
 * Runs `request` down `handler` and reads the response into memory, on `fiber` when the caller has read
 * it. With a download progress report, the body is streamed from the transport and read into memory at
 * the top, so the report sees each piece as it arrives (as got and ky report); the buffered path's default
 * limit on the body goes with it.
 */
export const fetch = <E, R>(
  handler: Handler<E, R>,
  request: Request.Request,
  context: Context.Context<never>,
  secrets: ReadonlyArray<string> = Request.SECRET_QUERY_PARAMS,
  fiber?: CurrentFiber,
): Effect.Effect<Response.Response, E | HttpError, R> => {
  if (request.onDownloadProgress === undefined) return start(handler, request, context, bufferedMode, secrets, fiber)
  const bounded = copyRequest(request, { maxResponseBytes: request.maxResponseBytes ?? MAX_BUFFERED_BODY_BYTES })
  // The scope's own fiber is the caller's: Effect.scoped runs its effect on the same fiber.
  return Effect.scoped(start(handler, bounded, context, streamingMode, secrets, fiber, true))
}
