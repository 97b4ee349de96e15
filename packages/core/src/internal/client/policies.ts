/**
 * The Client's policies, each a small function: retries on Schedule with Retry-After, the redirect rules
 * (RFC 9110 §15.4), and content decoding with a size limit checked chunk by chunk.
 * @internal
 */
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import * as Body from "../../Body.js"
import type * as ContentDecoding from "../../ContentDecoding.js"
import { MAX_CODINGS } from "../../ContentDecoding.js"
import * as Headers from "../../Headers.js"
import { BodyTooLarge, DecodeError, type HttpError, isHttpError, isTransient } from "../../HttpError.js"
import type * as Request from "../../Request.js"
import * as Response from "../../Response.js"
import { type Policy, parseRetryAfter } from "../../Retry.js"
import { currentAttempt } from "../../Transport.js"
import * as Url from "../../Url.js"
import { Result } from "../shared/edition.js"
import { fromResult, locally, result, type Stepper, stepper } from "../shared/edition-effect.js"
import { copy, isIdempotent } from "../shared/request.js"

/** Whether a body can be sent a second time: any but a stream not marked replayable. */
export const replayable = (body: Body.Body): boolean => body._tag !== "Stream" || body.replayable

const tagOf = (error: unknown): string =>
  isHttpError(error) ? error._tag : typeof error === "object" && error !== null ? error.constructor.name : String(error)

/** Reads and drops a response's body, so its connection can be reused; failures do not matter here. */
export const discard = (response: Response.Response): Effect.Effect<void> =>
  response.body instanceof Uint8Array ? Effect.void : Effect.ignore(Response.bytes(response))

/**
 * Runs `attempt` under a retry policy: transient errors and the policy's statuses are retried while the
 * schedule continues, after the schedule's delay or the server's Retry-After if longer (capped).
 */
export const retrying = <E, R>(
  policy: Policy | undefined,
  request: Request.Request,
  attempt: Effect.Effect<Response.Response, E, R>,
  debug = false,
): Effect.Effect<Response.Response, E, R> => {
  if (policy === undefined) return attempt
  if ((policy.methods === "idempotent" && !isIdempotent(request)) || !replayable(request.body)) return attempt
  const cap = Duration.toMillis(policy.retryAfterCap)
  // The schedule's run starts at the first retry: a call that succeeds at once pays nothing for it.
  const loop = (n: number, steps: Stepper<unknown> | undefined): Effect.Effect<Response.Response, E, R> =>
    Effect.flatMap(result(n === 1 ? attempt : locally(attempt, currentAttempt, n)), (result) => {
      let retry: boolean
      if (Result.isFailure(result)) {
        const error = Result.failure(result)
        retry = isHttpError(error) && isTransient(error)
      } else retry = policy.statuses.includes(Result.success(result).status)
      if (!retry) return fromResult(result)
      return Effect.flatMap(steps === undefined ? stepper(policy.schedule) : Effect.succeed(steps), (step) =>
        Effect.flatMap(Clock.currentTimeMillis, (now) =>
          Effect.flatMap(step(now, result), (delay) => {
            if (delay === undefined) return fromResult(result)
            const response = Result.getOrUndefined(result)
            const hint =
              response === undefined
                ? undefined
                : parseRetryAfter(Option.getOrUndefined(Headers.get(response.headers, "retry-after")), now)
            const wait = hint === undefined ? delay : Math.max(delay, Math.min(hint, cap))
            const drop = response === undefined ? Effect.void : discard(response)
            const why = Result.match(result, { onFailure: tagOf, onSuccess: (r) => `status ${r.status}` })
            const note = debug ? Effect.logDebug(`courier: retry ${n + 1} in ${wait} ms after ${why}`) : Effect.void
            return Effect.andThen(Effect.andThen(Effect.andThen(note, drop), Effect.sleep(wait)), loop(n + 1, step))
          }),
        ),
      )
    })
  return loop(1, undefined)
}

const redirectStatuses = new Set([301, 302, 303, 307, 308])
const credentialHeaders = ["authorization", "cookie", "proxy-authorization"]
const bodyHeaders = ["content-type", "content-length", "content-encoding", "transfer-encoding"]

/**
 * The request a redirect leads to, or undefined when the response is not a redirect to follow:
 * 303 becomes GET (unless HEAD), 301 and 302 turn a POST into a GET, 307 and 308 keep method and body
 * (and are not followed when the body cannot be sent again). Credentials are dropped when the hop leaves
 * the origin or goes from https to http. Relative locations resolve against the current URL.
 */
export const redirectOf = (
  response: Response.Response,
  request: Request.Request,
  from: Url.Url,
): Request.Request | undefined => {
  if (!redirectStatuses.has(response.status)) return undefined
  const location = Option.getOrUndefined(Headers.get(response.headers, "location"))
  if (location === undefined) return undefined
  const target = Result.getOrUndefined(Url.join(from.href, location))
  if (target === undefined) return undefined
  const next = Result.getOrUndefined(Url.parse(target))
  if (next === undefined) return undefined
  let method = request.method
  let body = request.body
  if (
    (response.status === 303 && method !== "HEAD") ||
    ((response.status === 301 || response.status === 302) && method === "POST")
  ) {
    method = "GET"
    body = Body.empty
  } else if (!replayable(body)) return undefined
  let headers = request.headers
  if (body._tag === "Empty") for (const name of bodyHeaders) headers = Headers.remove(headers, name)
  const leavesOrigin = next.origin.key !== from.origin.key
  if (leavesOrigin || (from.origin.scheme === "https" && next.origin.scheme === "http")) {
    for (const name of credentialHeaders) headers = Headers.remove(headers, name)
  }
  return copy(request, { method, url: next.href, params: [], headers, body })
}

/** The codings of a Content-Encoding value, in the order they were applied. */
const codingsOf = (value: string): Array<string> =>
  value
    .split(",")
    .map((c) => c.trim().toLowerCase())
    .filter((c) => c !== "" && c !== "identity")

/**
 * The response with its body decoded, when it has a Content-Encoding the service supports; the decoded
 * size is checked against `limit` chunk by chunk. Unsupported codings leave the body as it came.
 */
export const decoded = (
  response: Response.Response,
  decoding: ContentDecoding.Service,
  limit: number,
): Result<Response.Response, HttpError> => {
  const header = Headers.get(response.headers, "content-encoding")
  if (Option.isNone(header)) return Result.succeed(response)
  const codings = codingsOf(header.value)
  if (codings.length === 0) return Result.succeed(response)
  if (codings.length > MAX_CODINGS) {
    return Result.fail(
      new DecodeError({
        request: response.request,
        expected: `at most ${MAX_CODINGS} content codings`,
        reason: `got ${codings.length}: ${header.value}`,
        preview: "",
      }),
    )
  }
  let body: Stream.Stream<Uint8Array, HttpError> = Response.stream(response)
  for (const coding of [...codings].reverse()) {
    const next = decoding.decode(coding, body, response.request)
    if (next === undefined) return Result.succeed(response)
    body = next
  }
  let size = 0
  const bounded = Stream.mapEffect(body, (chunk) => {
    size += chunk.length
    return size > limit
      ? Effect.fail(new BodyTooLarge({ request: response.request, limit, received: size, decoded: true }))
      : Effect.succeed(chunk)
  })
  return Result.succeed(Response.withBody(response, { stream: bounded }, undefined))
}
