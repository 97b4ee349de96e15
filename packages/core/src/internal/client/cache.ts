/**
 * The HTTP cache as a link of the chain (RFC 9111; its rules are the pure functions of `cache-rules.ts`).
 * A GET is answered from a fresh stored response, or sent on — conditionally when a stale one can be
 * validated — and a storable response is kept: at once when it is in memory, as its body streams past the
 * caller otherwise (a body past `maxEntryBytes` is passed on and not kept). Every other method is sent on,
 * and an unsafe one that succeeds invalidates what is stored for its URL (§4.4). Each response says what the
 * cache did in an RFC 9211 `Cache-Status` member, and the call's span carries it as `courier.cache.status`.
 * @internal
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import * as Cache from "../../Cache.js"
import type { With } from "../../Client.js"
import * as Headers from "../../Headers.js"
import type { HttpError } from "../../HttpError.js"
import * as Request from "../../Request.js"
import * as Response from "../../Response.js"
import * as Url from "../../Url.js"
import { concatAll } from "../shared/bytes.js"
import { Result } from "../shared/edition.js"
import { catchCause, forkDetach } from "../shared/edition-effect.js"
import { SAFE_METHODS } from "../shared/semantics.js"
import {
  answersNotModified,
  credentialsOf,
  currentAge,
  type Directives,
  ERROR_STATUSES,
  isConditional,
  mergedFields,
  NOT_MODIFIED_FIELDS,
  requestDirectives,
  reuseOf,
  sameVariant,
  selectingFields,
  selects,
  staleIfError,
  storable,
  storedFields,
  validates,
  validation,
  varyNames,
} from "./cache-rules.js"
import { bufferedCall, type Call, type Handler, urlOf } from "./call.js"
import { transform } from "./client.js"
import { discard } from "./policies.js"

/** What one cache link holds: the chain below, its store and rules, and the keys it is revalidating. */
interface Link<E, R> {
  readonly next: Handler<E, R>
  readonly store: Cache.Store
  readonly shared: boolean
  readonly maxEntryBytes: number
  /** Keys being revalidated in the background: each is revalidated once at a time. */
  readonly revalidating: Set<string>
}

/** The most background revalidations at once; past it a stale answer waits for the next request to revalidate. */
const MAX_BACKGROUND = 64
/** The largest body stored by default: 5 MiB. */
const DEFAULT_MAX_ENTRY_BYTES = 5 * 1024 * 1024
/** The most variants kept for one URL; the least recent goes first. */
const MAX_VARIANTS = 8

/** One RFC 9211 member of this cache: its name and `params`. */
const member = (params: string): string => `${Cache.CACHE_NAME}; ${params}`

/** The response with this cache's `Cache-Status` member after those of caches nearer the origin. */
const marked = (response: Response.Response, params: string): Response.Response =>
  Response.copy(response, { headers: Headers.append(response.headers, "Cache-Status", member(params)) })

/** The store's entries for `key`, or none when the store fails: the request then goes to the origin. */
const read = (store: Cache.Store, key: string): Effect.Effect<ReadonlyArray<Cache.Entry>> =>
  catchCause(store.get(key), () => Effect.succeed([]))

/** Replaces `key`'s entries (deletes the key when none are left); a failing store only loses the write. */
const write = (store: Cache.Store, key: string, entries: ReadonlyArray<Cache.Entry>): Effect.Effect<void> =>
  catchCause(entries.length === 0 ? store.delete(key) : store.set(key, entries), () => Effect.void)

/** Puts `by` (when given) as the newest variant of `key`, in place of the variant `entry` is. */
const replaceVariant = (
  store: Cache.Store,
  key: string,
  entry: Cache.Entry,
  by: Cache.Entry | undefined,
): Effect.Effect<void> =>
  Effect.flatMap(read(store, key), (entries) => {
    const others = entries.filter((e) => !sameVariant(e, entry))
    return write(store, key, (by === undefined ? others : [by, ...others]).slice(0, MAX_VARIANTS))
  })

/** Stores `entry` as the newest variant of `key`. */
const keep = (store: Cache.Store, key: string, entry: Cache.Entry): Effect.Effect<void> =>
  replaceVariant(store, key, entry, entry)

/** The entry for a response to `request` with `body`, received between the two times. */
const entryOf = (
  request: Request.Request,
  response: Response.Response,
  body: Uint8Array,
  times: Times,
  shared: boolean,
): Cache.Entry => {
  const names = varyNames(response.headers)
  return {
    status: response.status,
    reason: response.reason,
    version: response.version,
    headers: storedFields(response.headers, shared),
    body,
    requestTime: times.requestTime,
    responseTime: times.responseTime,
    vary: selectingFields(request, names === "*" ? [] : names),
    credentials: shared ? null : credentialsOf(request),
  }
}

/** When an exchange's request went out and its response came in, by the Clock. */
interface Times {
  readonly requestTime: number
  readonly responseTime: number
}

/**
 * The answer made from `entry`: a 304 when the caller's own conditional request is satisfied by it (§4.3.2),
 * the stored response otherwise, with `Age` its current age (§5.1) and this cache's `Cache-Status` member.
 */
const answer = (entry: Cache.Entry, request: Request.Request, now: number, params: string): Response.Response => {
  const age: readonly [string, string] = ["Age", String(Math.floor(currentAge(entry, now)))]
  const status: readonly [string, string] = ["Cache-Status", member(params)]
  const notModified = isConditional(request) && answersNotModified(entry, request)
  const kept = entry.headers.filter(([name]) => {
    const lower = name.toLowerCase()
    return lower !== "age" && (!notModified || NOT_MODIFIED_FIELDS.has(lower))
  })
  return Response.make({
    request: Request.info(request),
    status: notModified ? 304 : entry.status,
    reason: notModified ? "Not Modified" : entry.reason,
    version: entry.version,
    headers: [...kept, age, status],
    contentLength: notModified ? undefined : entry.body.length,
    body: notModified ? new Uint8Array(0) : entry.body,
  })
}

/** The 504 a cache answers `only-if-cached` with when it holds nothing it may use (RFC 9111 §5.2.1.7). */
const gatewayTimeout = (request: Request.Request): Response.Response =>
  Response.make({
    request: Request.info(request),
    status: 504,
    reason: "Gateway Timeout",
    headers: [["Cache-Status", member("fwd=miss; detail=only-if-cached")]],
  })

/**
 * A response whose body, as it streams to the caller, is also collected up to `limit` bytes and handed to
 * `onEnd` once it has all arrived; a body past the limit is let through and forgotten.
 */
const teed = (
  response: Response.Response,
  limit: number,
  onEnd: (body: Uint8Array) => Effect.Effect<void>,
): Response.Response => {
  let parts: Array<Uint8Array> | undefined = []
  let size = 0
  const source = Stream.tap(Response.stream(response), (chunk) =>
    Effect.sync(() => {
      if (parts === undefined) return
      size += chunk.length
      if (size > limit) parts = undefined
      else parts.push(chunk)
    }),
  )
  const stored = Stream.drain(
    Stream.fromEffect(Effect.suspend(() => (parts === undefined ? Effect.void : onEnd(concatAll(parts))))),
  )
  return Response.withBody(response, { stream: Stream.concat(source, stored) })
}

/** The response, stored under `key` when RFC 9111 §3 allows it: now when in memory, once streamed when not. */
const admit = <E, R>(
  link: Link<E, R>,
  request: Request.Request,
  requestCc: Directives,
  response: Response.Response,
  times: Times,
  key: string,
): Effect.Effect<Response.Response> => {
  if (!storable(request, requestCc, response.status, response.headers, link.shared)) return Effect.succeed(response)
  const body = response.body
  const store = (bytes: Uint8Array) => keep(link.store, key, entryOf(request, response, bytes, times, link.shared))
  if (body instanceof Uint8Array) {
    return body.length > link.maxEntryBytes ? Effect.succeed(response) : Effect.as(store(body), response)
  }
  if (body === "taken" || (response.contentLength ?? 0) > link.maxEntryBytes) return Effect.succeed(response)
  return Effect.succeed(teed(response, link.maxEntryBytes, store))
}

/** Sends `request` with `call` and notes when it went out and when its response came in. */
const timed = <E, R, S>(
  link: Link<E, R>,
  request: Request.Request,
  call: Call<S>,
): Effect.Effect<readonly [Response.Response, Times], E, R | S> =>
  Effect.flatMap(Clock.currentTimeMillis, (requestTime) =>
    Effect.flatMap(link.next(request, call), (response) =>
      Effect.map(Clock.currentTimeMillis, (responseTime) => [response, { requestTime, responseTime }] as const),
    ),
  )

/** A miss: the request goes to the origin, and its response is stored when it may be. */
const forward = <E, R, S>(
  link: Link<E, R>,
  request: Request.Request,
  call: Call<S>,
  key: string,
  requestCc: Directives,
  params: string,
): Effect.Effect<Response.Response, E, R | S> =>
  Effect.flatMap(timed(link, request, call), ([response, times]) =>
    Effect.map(admit(link, request, requestCc, response, times, key), (r) => marked(r, params)),
  )

/**
 * What a validation's response does to `entry` (§4.3.3, §4.3.4): a 304 that names it freshens its fields and
 * times and keeps it (drops it when the merged response may no longer be stored), answering `undefined`; any
 * other response is admitted as a new one.
 */
const settle = <E, R>(
  link: Link<E, R>,
  request: Request.Request,
  requestCc: Directives,
  key: string,
  entry: Cache.Entry,
  response: Response.Response,
  times: Times,
): Effect.Effect<Cache.Entry | Response.Response | undefined> => {
  if (response.status !== 304) return admit(link, request, requestCc, response, times, key)
  if (!validates(entry, response.headers)) return Effect.as(discard(response), undefined)
  const merged: Cache.Entry = { ...entry, headers: mergedFields(entry, response.headers, link.shared), ...times }
  const allowed = storable(request, requestCc, merged.status, Headers.fromInput(merged.headers), link.shared)
  return Effect.andThen(
    discard(response),
    Effect.as(replaceVariant(link.store, key, entry, allowed ? merged : undefined), merged),
  )
}

/**
 * Validates a stale `entry` with the origin (§4.3.1): conditionally unless the caller's request is
 * conditional already. A 304 that names it answers from it (`revalidated`); an error or a 5xx answers from
 * it within `stale-if-error`; any other response is a miss.
 */
const revalidate = <E, R, S>(
  link: Link<E, R>,
  request: Request.Request,
  call: Call<S>,
  key: string,
  entry: Cache.Entry,
  requestCc: Directives,
): Effect.Effect<Response.Response, E, R | S> => {
  const own = isConditional(request)
  const stale = (now: number) =>
    answer(entry, request, now, `hit; ttl=${reuseOf(entry, requestCc, now, link.shared).ttl}; detail=stale-if-error`)
  return Effect.matchEffect(timed(link, own ? request : validation(request, entry), call), {
    onFailure: (error) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) =>
        staleIfError(entry, requestCc, now, link.shared) ? Effect.succeed(stale(now)) : Effect.fail(error),
      ),
    onSuccess: ([response, times]): Effect.Effect<Response.Response, E, R | S> => {
      if (ERROR_STATUSES.has(response.status) && staleIfError(entry, requestCc, times.responseTime, link.shared)) {
        return Effect.as(discard(response), stale(times.responseTime))
      }
      return Effect.flatMap(settle(link, request, requestCc, key, entry, response, times), (settled) => {
        const params = `fwd=stale; fwd-status=${response.status}`
        if (Response.isResponse(settled)) return Effect.succeed(marked(settled, params))
        if (settled !== undefined) {
          return Effect.succeed(own ? marked(response, params) : answer(settled, request, times.responseTime, params))
        }
        // A 304 for another response than the one held: the caller's own answer, or ours sent again unconditionally.
        return own
          ? Effect.succeed(marked(response, params))
          : forward(link, request, call, key, requestCc, "fwd=stale")
      })
    },
  })
}

/** Revalidates `entry` in a fiber of its own while the caller gets the stale answer (RFC 5861 §3). */
const inBackground = <E, R, S>(
  link: Link<E, R>,
  request: Request.Request,
  call: Call<S>,
  key: string,
  entry: Cache.Entry,
  requestCc: Directives,
): Effect.Effect<void, never, R> =>
  Effect.suspend(() => {
    if (link.revalidating.has(key) || link.revalidating.size >= MAX_BACKGROUND) return Effect.void
    link.revalidating.add(key)
    const own = bufferedCall(call.fiber, call.secrets)
    const run = Effect.flatMap(timed(link, validation(request, entry), own), ([response, times]) =>
      settle(link, request, requestCc, key, entry, response, times),
    )
    return Effect.asVoid(
      forkDetach(
        run.pipe(
          catchCause(() => Effect.void),
          Effect.ensuring(Effect.sync(() => link.revalidating.delete(key))),
        ),
      ),
    )
  })

/** A GET: answered from the store when a stored variant may serve it, validated or sent on otherwise. */
const lookup = <E, R, S>(
  link: Link<E, R>,
  request: Request.Request,
  call: Call<S>,
  key: string,
): Effect.Effect<Response.Response, E, R | S> =>
  Effect.flatMap(Effect.zip(Clock.currentTimeMillis, read(link.store, key)), ([now, entries]) => {
    const requestCc = requestDirectives(request)
    const credentials = link.shared ? null : credentialsOf(request)
    const entry = entries.find((e) => selects(e, request, credentials))
    if (entry === undefined) {
      if (requestCc.has("only-if-cached")) return Effect.succeed(gatewayTimeout(request))
      return forward(link, request, call, key, requestCc, entries.length === 0 ? "fwd=uri-miss" : "fwd=vary-miss")
    }
    const { reuse, ttl: left } = reuseOf(entry, requestCc, now, link.shared)
    if (reuse === "fresh") return Effect.succeed(answer(entry, request, now, `hit; ttl=${left}`))
    if (reuse === "stale-while-revalidate") {
      const stale = answer(entry, request, now, `hit; ttl=${left}; detail=stale-while-revalidate`)
      return Effect.as(inBackground(link, request, call, key, entry, requestCc), stale)
    }
    if (requestCc.has("only-if-cached")) return Effect.succeed(gatewayTimeout(request))
    return revalidate(link, request, call, key, entry, requestCc)
  })

/** The store keys an unsafe request to `url` that got `response` invalidates (§4.4): its URL, and `Location` and `Content-Location` on the same origin. */
const invalidated = (url: Url.Url, response: Response.Response): ReadonlyArray<string> => {
  const keys = [url.href]
  for (const name of ["location", "content-location"]) {
    const value = Headers.get(response.headers, name)
    if (value._tag === "None") continue
    const target = Result.getOrUndefined(Result.flatMap(Url.join(url.href, value.value), (href) => Url.parse(href)))
    if (target !== undefined && target.origin.key === url.origin.key) keys.push(target.href)
  }
  return keys
}

/** Any method but GET: sent on; an unsafe one that succeeds invalidates what is stored (§4.4). */
const passOn = <E, R, S>(
  link: Link<E, R>,
  request: Request.Request,
  call: Call<S>,
  url: Url.Url,
): Effect.Effect<Response.Response, E, R | S> =>
  Effect.flatMap(link.next(request, call), (response) => {
    const out = marked(response, "fwd=method")
    if (SAFE_METHODS.has(request.method) || response.status < 200 || response.status >= 400) return Effect.succeed(out)
    return Effect.as(
      Effect.forEach(invalidated(url, response), (key) => write(link.store, key, [])),
      out,
    )
  })

/** The span of a traced call says what the cache did (`courier.cache.status`). */
const reported = <E, R>(
  effect: Effect.Effect<Response.Response, E, R>,
  traced: boolean,
): Effect.Effect<Response.Response, E, R> =>
  traced
    ? Effect.tap(effect, (response) =>
        Effect.annotateCurrentSpan("courier.cache.status", Cache.status(response) ?? "miss"),
      )
    : effect

/** `self` with an RFC 9111 cache in front of it. */
export const withCache = <E, R>(self: With<E, R>, options: Cache.Options = {}): With<E | HttpError, R> => {
  // One store and one set of revalidations for the client and the pinned chains made from it.
  const store = options.store ?? Cache.memory()
  const revalidating = new Set<string>()
  return transform(self, (next) => {
    const link: Link<E | HttpError, R> = {
      next,
      store,
      shared: options.shared ?? false,
      maxEntryBytes: options.maxEntryBytes ?? DEFAULT_MAX_ENTRY_BYTES,
      revalidating,
    }
    return (request, call) => {
      const url = Result.getOrUndefined(urlOf(request))
      if (url === undefined) return next(request, call)
      const handled =
        request.method === "GET" ? lookup(link, request, call, url.href) : passOn(link, request, call, url)
      return reported(handled, call.traced)
    }
  })
}
