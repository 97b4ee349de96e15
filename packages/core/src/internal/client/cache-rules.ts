/**
 * RFC 9111's rules, as pure functions of stored entries, requests and responses: which responses may be
 * stored (§3), how old an entry is (§4.2.3) and how long it stays fresh (§4.2.1, §4.2.2), which stored variant
 * a request selects (§4.1), when a stale entry may still be used (§4.2.4, RFC 5861), how to validate it and
 * merge the 304 (§4.3), how a cache answers the caller's own conditional request (§4.3.2), and what an unsafe
 * request invalidates (§4.4). The transform that runs them is `cache.ts`.
 * @internal
 */
import { sha256 } from "@noble/hashes/sha2"
import { bytesToHex, utf8ToBytes } from "@noble/hashes/utils"
import type { Entry } from "../../Cache.js"
import * as Headers from "../../Headers.js"
import * as Request from "../../Request.js"
import { parseDirectives, parseHttpDate } from "../http1/grammar.js"
import { HEURISTICALLY_CACHEABLE } from "../shared/semantics.js"

/** Cache directives by lower-cased name; a directive without an argument maps to `undefined`. */
export type Directives = ReadonlyMap<string, string | undefined>

/** The `Cache-Control` directives of a message's fields, every field line together. */
export const directivesOf = (fields: ReadonlyArray<readonly [string, string]>): Directives => {
  const values: Array<string> = []
  for (const [name, value] of fields) if (name.toLowerCase() === "cache-control") values.push(value)
  return parseDirectives(values.join(", "))
}

/** A request's directives: `Cache-Control`, or with none, `Pragma: no-cache` read as `no-cache` (RFC 9111 §5.4). */
export const requestDirectives = (request: Request.Request): Directives => {
  const own = directivesOf(request.headers.entries)
  if (own.size > 0 || Headers.has(request.headers, "cache-control")) return own
  return parseDirectives(Headers.getAll(request.headers, "pragma").join(", ")).has("no-cache")
    ? new Map([["no-cache", undefined]])
    : own
}

/** The largest delta-seconds a cache must handle; larger values are read as it (RFC 9111 §1.2.2). */
const MAX_DELTA = 2 ** 31

/** delta-seconds (RFC 9111 §1.2.2): digits only; undefined for anything else. */
export const deltaSeconds = (value: string | undefined): number | undefined =>
  value !== undefined && /^\d+$/.test(value) ? Math.min(Number(value), MAX_DELTA) : undefined

const first = (entry: Entry, name: string): string | undefined =>
  entry.headers.find(([n]) => n.toLowerCase() === name)?.[1]

/**
 * The `Age` a response arrived with, in seconds (RFC 9111 §5.1): the first member of the first field line when
 * it is a non-negative integer; otherwise the field is ignored (0), never a reason to take the response as stale.
 */
export const ageValue = (entry: Entry): number => {
  const value = first(entry, "age")
  if (value === undefined) return 0
  return deltaSeconds(value.split(",")[0]?.trim()) ?? 0
}

/** The response's `Date` in milliseconds, or the time it arrived when it has none or an unreadable one. */
const dateValue = (entry: Entry): number => {
  const value = first(entry, "date")
  return (value === undefined ? undefined : parseHttpDate(value, entry.responseTime)) ?? entry.responseTime
}

/** The entry's current age in seconds at `now` (RFC 9111 §4.2.3). */
export const currentAge = (entry: Entry, now: number): number => {
  const apparentAge = Math.max(0, entry.responseTime - dateValue(entry)) / 1000
  const responseDelay = Math.max(0, entry.responseTime - entry.requestTime) / 1000
  const correctedInitialAge = Math.max(apparentAge, ageValue(entry) + responseDelay)
  return correctedInitialAge + Math.max(0, now - entry.responseTime) / 1000
}

/** The most a heuristic freshness lifetime may be, in seconds: a day. */
export const MAX_HEURISTIC_SECONDS = 24 * 60 * 60

/**
 * The entry's freshness lifetime in seconds (RFC 9111 §4.2.1): `s-maxage` in a shared cache, then `max-age`,
 * then `Expires` less `Date` (an invalid `Expires` means already stale), then a heuristic (§4.2.2) for a
 * heuristically cacheable status or a `public` response: a tenth of the time since `Last-Modified`, at most a
 * day. An argument that is not delta-seconds gives 0: such a response is stale, never fresh by mistake.
 */
export const freshnessLifetime = (
  entry: Entry,
  shared: boolean,
  cc: Directives = directivesOf(entry.headers),
): number => {
  if (shared && cc.has("s-maxage")) return deltaSeconds(cc.get("s-maxage")) ?? 0
  if (cc.has("max-age")) return deltaSeconds(cc.get("max-age")) ?? 0
  const expires = first(entry, "expires")
  if (expires !== undefined) {
    const at = parseHttpDate(expires, entry.responseTime)
    return at === undefined ? 0 : Math.max(0, (at - dateValue(entry)) / 1000)
  }
  if (!HEURISTICALLY_CACHEABLE.has(entry.status) && !cc.has("public")) return 0
  const modified = first(entry, "last-modified")
  const lastModified = modified === undefined ? undefined : parseHttpDate(modified, entry.responseTime)
  if (lastModified === undefined) return 0
  return Math.min(MAX_HEURISTIC_SECONDS, Math.max(0, (dateValue(entry) - lastModified) / 1000 / 10))
}

/** Whether the entry's directives forbid using it stale at all (§4.2.4): `must-revalidate`, and in a shared cache `proxy-revalidate` and `s-maxage`. */
export const mustRevalidate = (cc: Directives, shared: boolean): boolean =>
  cc.has("must-revalidate") || (shared && (cc.has("proxy-revalidate") || cc.has("s-maxage")))

/**
 * Whether a response's `no-cache` asks for validation on every use: the unqualified form. A qualified one
 * (`no-cache="Set-Cookie"`) names fields that may not be reused without validation (§5.2.2.4); the cache keeps
 * the response without them (`storedFields`), and the rest is reused as any response is.
 */
export const noCache = (cc: Directives): boolean => cc.has("no-cache") && cc.get("no-cache") === undefined

/** The field names a qualified directive (`no-cache="…"`, `private="…"`) lists, lower-cased. */
const namedFields = (value: string | undefined): ReadonlyArray<string> =>
  value === undefined ? [] : value.split(",").map((name) => name.trim().toLowerCase())

/** What the cache may do with a selected entry for a request at `now`. */
export type Reuse =
  /** Answer from it: fresh enough for the request (or stale within the request's `max-stale`). */
  | "fresh"
  /** Answer from it and validate it in the background (RFC 5861 `stale-while-revalidate`). */
  | "stale-while-revalidate"
  /** Validate it with the origin first. */
  | "validate"

/**
 * How the selected `entry` may serve `request` (RFC 9111 §4, §4.2.4, §5.2.1; RFC 5861 §3), and the seconds it
 * has left to be fresh (negative once stale: RFC 9211's `ttl`), its directives read and its age reckoned once.
 */
export const reuseOf = (
  entry: Entry,
  request: Directives,
  now: number,
  shared: boolean,
): { readonly reuse: Reuse; readonly ttl: number } => {
  const cc = directivesOf(entry.headers)
  const age = currentAge(entry, now)
  const lifetime = freshnessLifetime(entry, shared, cc)
  return { reuse: reuseBy(cc, request, age, lifetime, shared), ttl: Math.floor(lifetime - age) }
}

/** `reuseOf`'s verdict, from the entry's directives, its age and its freshness lifetime in seconds. */
const reuseBy = (cc: Directives, request: Directives, age: number, lifetime: number, shared: boolean): Reuse => {
  if (request.has("no-cache") || noCache(cc)) return "validate"
  const staleness = age - lifetime
  const maxAge = deltaSeconds(request.get("max-age"))
  const minFresh = deltaSeconds(request.get("min-fresh")) ?? 0
  const withinRequest = (maxAge === undefined || age <= maxAge) && lifetime - age >= minFresh
  if (staleness < 0 && withinRequest) return "fresh"
  if (mustRevalidate(cc, shared)) return "validate"
  if (request.has("max-stale") && (maxAge === undefined || age <= maxAge)) {
    const maxStale = request.get("max-stale")
    if (maxStale === undefined || staleness <= (deltaSeconds(maxStale) ?? -1)) return "fresh"
  }
  const swr = deltaSeconds(cc.get("stale-while-revalidate"))
  if (swr !== undefined && staleness >= 0 && staleness <= swr && !request.has("max-age") && !request.has("min-fresh")) {
    return "stale-while-revalidate"
  }
  return "validate"
}

/**
 * Whether a stale entry may answer when its validation failed or the origin answered 500, 502, 503 or 504
 * (RFC 5861 §4): within the `stale-if-error` of the response or the request, and never against
 * `must-revalidate` or `no-cache` (RFC 9111 §4.2.4).
 */
export const staleIfError = (entry: Entry, request: Directives, now: number, shared: boolean): boolean => {
  const cc = directivesOf(entry.headers)
  if (mustRevalidate(cc, shared) || noCache(cc)) return false
  const window = Math.max(
    deltaSeconds(cc.get("stale-if-error")) ?? -1,
    deltaSeconds(request.get("stale-if-error")) ?? -1,
  )
  return window >= 0 && currentAge(entry, now) - freshnessLifetime(entry, shared) <= window
}

/** Statuses an origin answers with when it failed, for `stale-if-error`. */
export const ERROR_STATUSES: ReadonlySet<number> = new Set([500, 502, 503, 504])

/** Statuses whose meaning the cache understands, for `must-understand` (RFC 9111 §5.2.2.3). */
const UNDERSTOOD: ReadonlySet<number> = new Set([...HEURISTICALLY_CACHEABLE, 302, 303, 307])

/** The response's `Vary` field names, lower-cased, sorted and without repeats; `"*"` when it varies on anything. */
export const varyNames = (headers: Headers.Headers): ReadonlyArray<string> | "*" => {
  const names = new Set<string>()
  for (const line of Headers.getAll(headers, "vary")) {
    for (const member of line.split(",")) {
      const name = member.trim().toLowerCase()
      if (name === "*") return "*"
      if (name !== "") names.add(name)
    }
  }
  return [...names].sort()
}

/** Fields whose values compare without case (RFC 9110 §12.5): their normalized values are lower-cased. */
const CASELESS_VALUES: ReadonlySet<string> = new Set(["accept-encoding", "accept-charset", "accept-language"])

/**
 * The request's value of `name`, normalized as RFC 9111 §4.1 allows: every field line combined, whitespace
 * around list commas removed, and lower-cased for fields whose values compare without case; `null` when absent.
 */
const normalized = (headers: Headers.Headers, name: string): string | null => {
  const lines = Headers.getAll(headers, name)
  if (lines.length === 0) return null
  const members = lines
    .join(",")
    .split(",")
    .map((m) => m.trim())
    .filter((m) => m !== "")
  const value = members.join(",")
  return CASELESS_VALUES.has(name) ? value.toLowerCase() : value
}

/** The request's values of the fields `names`, as an entry records them. */
export const selectingFields = (
  request: Request.Request,
  names: ReadonlyArray<string>,
): ReadonlyArray<readonly [string, string | null]> => names.map((name) => [name, normalized(request.headers, name)])

/**
 * A digest of the request's credentials — its `Authorization` and `Cookie` values — or null when it carries
 * neither. A private cache answers a request only from an entry fetched with the same credentials, so that one
 * caller's stored responses never reach another's, whatever the server's `Vary` says (a client in a server
 * often acts for many users); the store holds the digest, never the credentials.
 */
export const credentialsOf = (request: Request.Request): string | null => {
  const authorization = Headers.getAll(request.headers, "authorization")
  const cookie = Headers.getAll(request.headers, "cookie")
  if (authorization.length === 0 && cookie.length === 0) return null
  return bytesToHex(sha256(utf8ToBytes(`${authorization.join("\n")}\u0000${cookie.join("; ")}`)))
}

/**
 * Whether `entry` may answer `request`: by its `Vary` (RFC 9111 §4.1), and in a private cache by the
 * credentials it was fetched with (`credentials`: the request's, see `credentialsOf`).
 */
export const selects = (entry: Entry, request: Request.Request, credentials: string | null): boolean =>
  entry.credentials === credentials && entry.vary.every(([name, value]) => normalized(request.headers, name) === value)

/** Whether two entries are the same variant: for the same credentials, varying on the same fields with the same values. */
export const sameVariant = (a: Entry, b: Entry): boolean =>
  a.credentials === b.credentials &&
  a.vary.length === b.vary.length &&
  a.vary.every(([name, value], i) => b.vary[i]?.[0] === name && b.vary[i]?.[1] === value)

/**
 * Whether a response to `request` may be stored (RFC 9111 §3): a GET that asked for no range; a final status
 * the cache understands (no 206, no 304); no `no-store` on either side (unless `must-understand` and an
 * understood status); no `Vary: *`; explicit freshness, `public`, `private` in a private cache, or a
 * heuristically cacheable status; a response that sets a cookie only when a qualified `no-cache` or `private`
 * names `Set-Cookie`. A shared cache also refuses `private` and a request with `Authorization` whose response
 * does not allow it (§3.5).
 */
export const storable = (
  request: Request.Request,
  requestCc: Directives,
  status: number,
  headers: Headers.Headers,
  shared: boolean,
): boolean => {
  if (request.method !== "GET" || Headers.has(request.headers, "range")) return false
  if (status < 200 || status === 206 || status === 304) return false
  const cc = directivesOf(headers.entries)
  const understood = cc.has("must-understand") && UNDERSTOOD.has(status)
  if (cc.has("must-understand") && !understood) return false
  if (!understood && (cc.has("no-store") || requestCc.has("no-store"))) return false
  if (varyNames(headers) === "*") return false
  // A cookie set for one caller is never handed to another: a response that sets one is stored only when a
  // qualified no-cache or private names Set-Cookie, and then without it (`storedFields`).
  if (Headers.has(headers, "set-cookie")) {
    const named = [...namedFields(cc.get("no-cache")), ...namedFields(cc.get("private"))]
    if (!named.includes("set-cookie")) return false
  }
  if (shared) {
    if (cc.has("private") && cc.get("private") === undefined) return false
    const allowsAuth = cc.has("must-revalidate") || cc.has("public") || cc.has("s-maxage")
    if (Headers.has(request.headers, "authorization") && !allowsAuth) return false
  }
  return (
    cc.has("public") ||
    (!shared && cc.has("private")) ||
    cc.has("max-age") ||
    (shared && cc.has("s-maxage")) ||
    Headers.has(headers, "expires") ||
    HEURISTICALLY_CACHEABLE.has(status)
  )
}

/** Fields never stored: the connection's own (RFC 9111 §3.1), and those `Connection` names; `Set-Cookie`. */
const NEVER_STORED: ReadonlySet<string> = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "te",
  "transfer-encoding",
  "upgrade",
  "cache-status",
  "set-cookie",
])

/**
 * The fields of `headers` a cache keeps (RFC 9111 §3.1): without hop-by-hop fields, `Cache-Status` (each cache
 * adds its own), `Set-Cookie` (see `storable`), the fields a qualified `no-cache="…"` names, and in a shared
 * cache those a qualified `private="…"` names.
 */
export const storedFields = (headers: Headers.Headers, shared: boolean): ReadonlyArray<readonly [string, string]> => {
  const dropped = new Set(NEVER_STORED)
  for (const line of Headers.getAll(headers, "connection")) {
    for (const name of line.split(",")) dropped.add(name.trim().toLowerCase())
  }
  const cc = directivesOf(headers.entries)
  for (const name of namedFields(cc.get("no-cache"))) dropped.add(name)
  if (shared) for (const name of namedFields(cc.get("private"))) dropped.add(name)
  return headers.entries.filter(([name]) => !dropped.has(name.toLowerCase()))
}

/**
 * The entry's fields updated from a 304 (RFC 9111 §3.2, §4.3.4): each field the 304 carries replaces the
 * stored one, except `Content-Length` and what a cache never stores.
 */
export const mergedFields = (
  entry: Entry,
  notModified: Headers.Headers,
  shared: boolean,
): ReadonlyArray<readonly [string, string]> => {
  const fresh = storedFields(notModified, shared).filter(([name]) => name.toLowerCase() !== "content-length")
  const replaced = new Set(fresh.map(([name]) => name.toLowerCase()))
  return [...entry.headers.filter(([name]) => !replaced.has(name.toLowerCase())), ...fresh]
}

/** An entity tag's opaque part, for the weak comparison (RFC 9110 §8.8.3.2). */
const opaque = (tag: string): string => tag.trim().replace(/^W\//, "")

/**
 * Whether a 304 names `entry` as the response it validated (RFC 9111 §4.3.4): its entity tag, or with none its
 * `Last-Modified`, matches the entry's; a 304 with neither names the one entry validated.
 */
export const validates = (entry: Entry, notModified: Headers.Headers): boolean => {
  const tag = Headers.get(notModified, "etag")
  const stored = first(entry, "etag")
  if (tag._tag === "Some") return stored !== undefined && opaque(tag.value) === opaque(stored)
  const modified = Headers.get(notModified, "last-modified")
  if (modified._tag === "Some") return first(entry, "last-modified") === modified.value
  return true
}

/** Request fields that make a request conditional (RFC 9110 §13.1). */
const CONDITIONALS = ["if-none-match", "if-modified-since", "if-match", "if-unmodified-since", "if-range"]

/** Whether the caller made the request conditional itself. */
export const isConditional = (request: Request.Request): boolean =>
  CONDITIONALS.some((name) => Headers.has(request.headers, name))

/**
 * The request that validates `entry` (RFC 9111 §4.3.1): `If-None-Match` with its entity tag and
 * `If-Modified-Since` with its `Last-Modified`; the request as it is when the entry has neither.
 */
export const validation = (request: Request.Request, entry: Entry): Request.Request => {
  let out = request
  const tag = first(entry, "etag")
  const modified = first(entry, "last-modified")
  if (tag !== undefined) out = Request.setHeader(out, "If-None-Match", tag)
  if (modified !== undefined) out = Request.setHeader(out, "If-Modified-Since", modified)
  return out
}

/**
 * Whether the caller's own conditional request is answered 304 by a fresh `entry` (RFC 9111 §4.3.2, RFC 9110
 * §13.1.1, §13.1.3): an `If-None-Match` listing its entity tag (or `*`), weakly compared; without one, an
 * `If-Modified-Since` no earlier than its `Last-Modified` (or its `Date`).
 */
export const answersNotModified = (entry: Entry, request: Request.Request): boolean => {
  const noneMatch = Headers.get(request.headers, "if-none-match")
  if (noneMatch._tag === "Some") {
    const tag = first(entry, "etag")
    if (noneMatch.value.trim() === "*") return true
    return tag !== undefined && noneMatch.value.split(",").some((t) => opaque(t) === opaque(tag))
  }
  const since = Headers.get(request.headers, "if-modified-since")
  if (since._tag === "None" || entry.status !== 200) return false
  const at = parseHttpDate(since.value, entry.responseTime)
  const modified = first(entry, "last-modified") ?? first(entry, "date")
  const lastModified = modified === undefined ? undefined : parseHttpDate(modified, entry.responseTime)
  return at !== undefined && lastModified !== undefined && lastModified <= at
}

/** The fields a 304 made from a stored response carries (RFC 9110 §15.4.5). */
export const NOT_MODIFIED_FIELDS: ReadonlySet<string> = new Set([
  "cache-control",
  "content-location",
  "date",
  "etag",
  "expires",
  "vary",
  "last-modified",
])
