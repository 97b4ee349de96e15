/**
 * Parsing and joining of request URLs.
 *
 * Courier speaks `http:` and `https:` only; everything else is `UnknownProtocol`. A parsed `Url` knows its
 * origin (scheme, host, port — the key of the connection pool), the request target that goes on the
 * request line, and the `Host` header value derived from it. Parsing never throws: failures are
 * `InvalidURL` / `UnknownProtocol` values in an `Either`.
 *
 * @since 0.1.0
 */

import { InvalidURL, noRequest, type RequestInfo, UnknownProtocol } from "./HttpError.js"
import { Result } from "./internal/shared/edition.js"
import { isList } from "./internal/shared/guards.js"

/**
 * The default port of `http:` (httplib's `HTTP_PORT`).
 *
 * @since 0.1.0
 * @category constants
 */
export const HTTP_PORT = 80

/**
 * The default port of `https:` (httplib's `HTTPS_PORT`).
 *
 * @since 0.1.0
 * @category constants
 */
export const HTTPS_PORT = 443

/**
 * Where a connection goes: the pool keeps one set of connections per origin.
 *
 * @since 0.1.0
 * @category models
 */
export interface Origin {
  readonly scheme: "http" | "https"
  /** Host name or IP literal, IPv6 without brackets. */
  readonly host: string
  readonly port: number
  /** `scheme://host:port`, the pool key. */
  readonly key: string
}

/**
 * A parsed absolute URL.
 *
 * @since 0.1.0
 * @category models
 */
export interface Url {
  readonly origin: Origin
  /** The request target for the request line: path and query, e.g. `/get?a=1`. */
  readonly target: string
  /** The `Host` header value: host, and the port when it is not the scheme's default. */
  readonly hostHeader: string
  /** The URL without user info, as a string. */
  readonly href: string
  /** User name from the URL's user info, percent-decoded, or empty. */
  readonly username: string
  /** Password from the URL's user info, percent-decoded, or empty. */
  readonly password: string
}

const decode = (s: string): string => {
  try {
    return decodeURIComponent(s)
  } catch {
    return s
  }
}

const fromWhatwg = (u: URL, input: string, request: RequestInfo): Result<Url, InvalidURL | UnknownProtocol> => {
  if (u.protocol !== "http:" && u.protocol !== "https:") {
    return Result.fail(new UnknownProtocol({ request, protocol: u.protocol.slice(0, -1) }))
  }
  if (u.hostname === "") return Result.fail(new InvalidURL({ request, input, reason: "no host" }))
  const scheme = u.protocol === "http:" ? "http" : "https"
  const port = u.port === "" ? (scheme === "http" ? HTTP_PORT : HTTPS_PORT) : Number(u.port)
  const host = u.hostname.startsWith("[") ? u.hostname.slice(1, -1) : u.hostname
  const username = decode(u.username)
  const password = decode(u.password)
  if (username !== "" || password !== "") {
    u.username = ""
    u.password = ""
  }
  u.hash = ""
  return Result.succeed({
    origin: { scheme, host, port, key: `${scheme}://${u.host}${u.port === "" ? `:${port}` : ""}` },
    target: `${u.pathname}${u.search}`,
    hostHeader: u.host,
    href: u.href,
    username,
    password,
  })
}

const construct = (input: string, base: string | undefined): URL | string => {
  try {
    return base === undefined ? new URL(input) : new URL(input, base)
  } catch (e) {
    return e instanceof Error ? e.message : String(e)
  }
}

/**
 * Parses an absolute `http:` or `https:` URL.
 *
 * @example
 * ```ts
 * import { Url } from "@courier/core"
 * const url = Url.parse("http://example.com:8080/a?b=1") // Result.succeed(Url)
 * ```
 *
 * @since 0.1.0
 * @category parsing
 */
export const parse = (input: string, request: RequestInfo = noRequest): Result<Url, InvalidURL | UnknownProtocol> => {
  const u = construct(input, undefined)
  return typeof u === "string"
    ? Result.fail(new InvalidURL({ request, input, reason: u }))
    : fromWhatwg(u, input, request)
}

/**
 * Resolves `reference` against `base` as a browser (and Python's `urljoin`) does: a relative path replaces
 * the last segment of the base path, `/x` replaces the whole path, and an absolute URL wins outright.
 *
 * @example
 * ```ts
 * import { Url } from "@courier/core"
 * Url.join("https://api.example.com/v1/", "user/authenticate") // Right("https://api.example.com/v1/user/authenticate")
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const join = (base: string, reference: string): Result<string, InvalidURL> => {
  const u = construct(reference, base)
  return typeof u === "string"
    ? Result.fail(new InvalidURL({ request: noRequest, input: reference, reason: `against ${base}: ${u}` }))
    : Result.succeed(u.href)
}

/**
 * Query parameters: a record (array values repeat the key) or ordered pairs.
 *
 * @since 0.1.0
 * @category models
 */
export type Params =
  | Readonly<Record<string, string | number | boolean | ReadonlyArray<string | number | boolean>>>
  | ReadonlyArray<readonly [string, string]>

/**
 * Turns params into ordered pairs.
 *
 * @since 0.1.0
 * @category conversions
 */
export const paramsToPairs = (params: Params): ReadonlyArray<readonly [string, string]> => {
  if (isList(params)) return params
  const out: Array<readonly [string, string]> = []
  for (const [key, value] of Object.entries(params)) {
    if (Array.isArray(value)) for (const v of value) out.push([key, String(v)])
    else out.push([key, String(value)])
  }
  return out
}

/**
 * Encodes pairs as `application/x-www-form-urlencoded` (spaces as `+`, like Python's `urlencode`).
 *
 * @since 0.1.0
 * @category conversions
 */
export const encodeQuery = (pairs: ReadonlyArray<readonly [string, string]>): string => {
  const search = new URLSearchParams()
  for (const [k, v] of pairs) search.append(k, v)
  return search.toString()
}

/**
 * Appends encoded query pairs to a URL string, after any query it already has.
 *
 * @since 0.1.0
 * @category combinators
 */
export const appendQuery = (url: string, pairs: ReadonlyArray<readonly [string, string]>): string => {
  if (pairs.length === 0) return url
  const hash = url.indexOf("#")
  const head = hash === -1 ? url : url.slice(0, hash)
  const sep = head.includes("?") ? (head.endsWith("?") || head.endsWith("&") ? "" : "&") : "?"
  return `${head}${sep}${encodeQuery(pairs)}`
}
