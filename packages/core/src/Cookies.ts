/**
 * A cookie jar (RFC 6265) kept by a Session: cookies set by responses are sent back by later requests
 * according to their domain, path, secure flag and expiry. The rules are tough-cookie's; time is the
 * Effect Clock's, so TestClock moves expiry in tests. The jar can be read and seeded.
 *
 * @since 0.1.0
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import { CookieJar, type Cookie as ToughCookie } from "tough-cookie"

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
export const make = (): Jar => ({ [TypeId]: TypeId, store: new CookieJar() })

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
          const stored = jar.store.setCookieSync(value, url, { ignoreError: true })
          if (stored !== undefined) settle(stored, at)
        }
      })

/**
 * Seeds the jar with a cookie for `url`, written as a `Set-Cookie` value (`"name=value; Path=/"`).
 *
 * @since 0.1.0
 * @category updating
 */
export const set = (jar: Jar, url: string, cookie: string): Effect.Effect<void, string> =>
  Effect.flatMap(now, (at) =>
    Effect.try({
      try: () => {
        const stored = jar.store.setCookieSync(cookie, url)
        if (stored === undefined) throw new Error("the cookie was not accepted for this URL")
        settle(stored, at)
      },
      catch: (e) => (e instanceof Error ? e.message : String(e)),
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
