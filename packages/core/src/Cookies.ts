/**
 * A cookie jar (RFC 6265) kept by a Session: cookies set by responses are sent back by later requests
 * according to their domain, path, secure flag and expiry. The rules are tough-cookie's; time is the
 * Effect Clock's, so TestClock moves expiry in tests. The jar can be read and seeded.
 *
 * @since 0.1.0
 */
import * as Clock from "effect/Clock"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import { CookieJar, Cookie as ToughCookie } from "tough-cookie"
import { Result } from "./internal/shared/edition.js"
import { redactUrl } from "./internal/shared/request.js"

/**
 * The unique symbol that marks a Cookies value.
 *
 * @since 0.1.0
 * @category type ids
 */
export const TypeId: unique symbol = Symbol.for("@courier/core/Cookies")

/**
 * A cookie jar.
 *
 * @since 0.1.0
 * @category models
 */
export interface Jar {
  readonly [TypeId]: TypeId
  /** @internal */
  readonly store: CookieJar
}

/**
 * The type of the symbol that marks a Cookies value.
 *
 * @since 0.1.0
 * @category type ids
 */
export type TypeId = typeof TypeId

/**
 * A cookie as the jar holds it.
 *
 * @since 0.1.0
 * @category models
 */
export interface Cookie {
  readonly name: string
  readonly value: string
  readonly domain: string | undefined
  readonly path: string | undefined
  readonly secure: boolean
  readonly httpOnly: boolean
  /** Expiry in epoch milliseconds, or undefined for a session cookie. */
  readonly expires: number | undefined
}

/**
 * An empty jar.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (): Jar => ({ [TypeId]: TypeId, store: new CookieJar(undefined, { prefixSecurity: "strict" }) })

/**
 * Whether cookies may be Secure when set from `url`: https (or wss), or a loopback host — the rule
 * tough-cookie applies when it sends Secure cookies ("potentially trustworthy" origins), so one rule serves
 * both directions.
 */
const secureOrigin = (url: string): boolean => {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return false
  }
  if (parsed.protocol === "https:" || parsed.protocol === "wss:") return true
  const host = parsed.hostname
    .replace(/^\[|\]$/g, "")
    .replace(/\.+$/, "")
    .toLowerCase()
  return host === "localhost" || host.endsWith(".localhost") || /^127(\.\d{1,3}){3}$/.test(host) || host === "::1"
}

/** `__Secure-` and `__Host-` name prefixes (matched without regard to case, as RFC 6265bis asks). */
const securePrefix = /^__(secure|host)-/i

/**
 * Why a cookie from `url` must be ignored under RFC 6265bis §5.7 beyond what tough-cookie checks: a
 * Secure cookie, or one whose name claims a secure prefix, from an origin that is not secure — otherwise a
 * plain-http response could plant a cookie that the https site later receives as its own.
 */
const insecure = (cookie: ToughCookie, url: string): string | undefined => {
  if (secureOrigin(url)) return undefined
  if (cookie.secure) return "a Secure cookie may only be set from a secure origin"
  if (securePrefix.test(cookie.key)) return "a __Secure- or __Host- cookie may only be set from a secure origin"
  return undefined
}

const now = Clock.currentTimeMillis

/**
 * Max-Age is relative to when the cookie was received: turn it into an absolute expiry on the Effect
 * Clock, so that expiry is judged on one clock (TestClock in tests) rather than the machine's.
 */
const settle = (cookie: ToughCookie, at: number): void => {
  if (typeof cookie.maxAge === "number") {
    cookie.expires = new Date(cookie.maxAge <= 0 ? 0 : at + cookie.maxAge * 1000)
    cookie.maxAge = null
  }
  cookie.creation = new Date(at)
  cookie.lastAccessed = new Date(at)
}

const live = (cookie: ToughCookie, at: number): boolean =>
  !(cookie.expires instanceof Date) || cookie.expires.getTime() > at

/**
 * Stores the cookies of `Set-Cookie` values received from `url`; invalid or foreign cookies are ignored,
 * as browsers and requests do.
 *
 * @since 0.1.0
 * @category updating
 */
export const setFromResponse = (jar: Jar, url: string, setCookies: ReadonlyArray<string>): Effect.Effect<void> =>
  setCookies.length === 0
    ? Effect.void
    : Effect.map(now, (at) => {
        for (const value of setCookies) {
          const cookie = ToughCookie.parse(value)
          if (cookie === undefined || insecure(cookie, url) !== undefined) continue
          const stored = jar.store.setCookieSync(cookie, url, { ignoreError: true })
          if (stored !== undefined) settle(stored, at)
        }
      })

/**
 * A cookie was refused: it does not parse, does not belong to the URL's host, or breaks a rule of RFC
 * 6265bis (a Secure or prefixed cookie from an insecure origin, a prefix's conditions). It names the
 * cookie, never its value.
 *
 * @since 0.2.0
 * @category errors
 */
export class CookieError extends Data.TaggedError("CookieError")<{
  readonly url: string
  readonly name: string
  readonly reason: string
}> {
  override get message(): string {
    return `Cookie ${JSON.stringify(this.name)} refused for ${this.url}: ${this.reason}`
  }
}

/**
 * Seeds the jar with a cookie for `url`, written as a `Set-Cookie` value (`"name=value; Path=/"`).
 *
 * @since 0.1.0
 * @category updating
 */
export const set = (jar: Jar, url: string, cookie: string): Effect.Effect<void, CookieError> =>
  Effect.flatMap(now, (at) =>
    Effect.try({
      try: () => {
        const parsed = ToughCookie.parse(cookie)
        if (parsed === undefined) throw new Error("the cookie does not parse")
        const refused = insecure(parsed, url)
        if (refused !== undefined) throw new Error(refused)
        const stored = jar.store.setCookieSync(parsed, url)
        if (stored === undefined) throw new Error("the cookie was not accepted for this URL")
        settle(stored, at)
      },
      catch: (e) =>
        new CookieError({
          url: redactUrl(url),
          name: cookie.slice(0, Math.max(0, cookie.indexOf("="))).trim(),
          reason: e instanceof Error ? e.message : String(e),
        }),
    }),
  )

/**
 * The `Cookie` header value for a request to `url`, or undefined when no cookie applies.
 *
 * @since 0.1.0
 * @category reading
 */
export const header = (jar: Jar, url: string): Effect.Effect<string | undefined> =>
  Effect.map(now, (at) => {
    const cookies = jar.store.getCookiesSync(url, { expire: false }).filter((c) => live(c, at))
    return cookies.length === 0 ? undefined : cookies.map((c) => c.cookieString()).join("; ")
  })

const view = (c: ToughCookie): Cookie => ({
  name: c.key,
  value: c.value,
  domain: c.domain ?? undefined,
  path: c.path ?? undefined,
  secure: c.secure,
  httpOnly: c.httpOnly,
  expires: c.expires instanceof Date ? c.expires.getTime() : undefined,
})

/**
 * The cookies that apply to `url`, or every live cookie in the jar when no URL is given.
 *
 * @since 0.1.0
 * @category reading
 */
export const list = (jar: Jar, url?: string): Effect.Effect<ReadonlyArray<Cookie>> =>
  Effect.map(now, (at) => {
    let all: Array<ToughCookie> = []
    if (url === undefined) {
      // The in-memory store answers synchronously, through its callback.
      jar.store.store.getAllCookies((_error: Error | null, cookies?: Array<ToughCookie>) => {
        all = cookies ?? []
      })
    } else all = jar.store.getCookiesSync(url, { expire: false })
    return all.filter((c) => live(c, at)).map(view)
  })

/**
 * A cookie jar as JSON: tough-cookie's own serialization (`CookieJar.serialize`), every cookie with its
 * domain, path, flags and absolute expiry, so a CLI or a worker keeps its login across runs. Store it as
 * a secret: it holds session cookies.
 *
 * @since 0.5.0
 * @category models
 */
export interface Serialized {
  readonly version?: string
  readonly cookies: ReadonlyArray<Readonly<Record<string, unknown>>>
  readonly [field: string]: unknown
}

/**
 * A jar could not be restored: the JSON is not a serialized jar.
 *
 * @since 0.5.0
 * @category errors
 */
export class JarError extends Data.TaggedError("JarError")<{
  readonly reason: string
}> {
  override get message(): string {
    return `Cookie jar not restored: ${this.reason}`
  }
}

/**
 * The jar's cookies as JSON (see `Serialized`); cookies past their expiry on the Effect Clock are left out.
 *
 * @since 0.5.0
 * @category serialization
 */
export const toJSON = (jar: Jar): Effect.Effect<Serialized> =>
  Effect.map(now, (at) => {
    const serialized = jar.store.serializeSync() as unknown as Serialized | undefined
    const cookies = serialized?.cookies ?? []
    const kept = cookies.filter((c) => typeof c.expires !== "string" || Date.parse(c.expires) > at)
    return { ...serialized, cookies: kept }
  })

/**
 * A jar restored from `toJSON`'s output, with Courier's rules whatever the JSON says (strict cookie-prefix
 * checks, public suffixes refused); entries that are not cookies are skipped, as tough-cookie skips them.
 * JSON that is not a serialized jar is a `JarError`.
 *
 * @since 0.5.0
 * @category serialization
 */
export const fromJSON = (json: unknown): Result<Jar, JarError> => {
  if (typeof json !== "object" || json === null || !Array.isArray((json as { cookies?: unknown }).cookies)) {
    return Result.fail(new JarError({ reason: "expected an object with a cookies array, as Cookies.toJSON gives" }))
  }
  try {
    const restored = CookieJar.deserializeSync({
      ...(json as Serialized),
      prefixSecurity: "strict",
      rejectPublicSuffixes: true,
      enableLooseMode: false,
    } as unknown as Parameters<typeof CookieJar.deserializeSync>[0])
    return Result.succeed({ [TypeId]: TypeId, store: restored })
  } catch (e) {
    return Result.fail(new JarError({ reason: e instanceof Error ? e.message : String(e) }))
  }
}
