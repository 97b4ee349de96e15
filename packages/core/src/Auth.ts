/**
 * Credentials and auth flows for a Client (`Client.withAuth`): HTTP Basic (RFC 7617), bearer tokens
 * (RFC 6750), a token provider that caches a token and fetches a new one when it expires or is refused,
 * HTTP Digest (RFC 7616, MD5 and SHA-256 with `qop=auth`), and `.netrc` files (opt-in, `Client.withNetrc`).
 *
 * @since 0.3.0
 */
import * as Clock from "effect/Clock"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Redacted from "effect/Redacted"
import type { DurationInput } from "./internal/shared/edition.js"
import * as Edition from "./internal/shared/edition-effect.js"

/**
 * A token and how long it is good for, as a token endpoint returns it (OAuth 2's `expires_in`).
 *
 * @since 0.3.0
 * @category models
 */
export interface Token {
  readonly token: string | Redacted.Redacted<string>
  /** How long the token is good for, from when it was asked for; none: until the server refuses it. */
  readonly expiresIn?: DurationInput | undefined
}

const TokenProviderTypeId: unique symbol = Symbol.for("@courier/core/Auth/TokenProvider")

/**
 * A cached bearer token (see `tokenProvider`): `get` returns the cached token, or fetches one when there
 * is none or it is about to expire; concurrent callers share one fetch.
 *
 * @since 0.3.0
 * @category models
 */
export interface TokenProvider<E = never, R = never> {
  readonly [TokenProviderTypeId]: typeof TokenProviderTypeId
  /** The current token, fetched when there is none or it has expired. */
  readonly get: Effect.Effect<Redacted.Redacted<string>, E, R>
  /** Forgets `token` if it is still the current one, so that the next `get` fetches another. */
  readonly invalidate: (token: Redacted.Redacted<string>) => Effect.Effect<void>
}

/**
 * Credentials for `Client.withAuth` and `Client.Options.auth`: HTTP Basic, a fixed bearer token, HTTP
 * Digest (answered on the server's challenge, then sent up front with the nonce it gave), or a token
 * provider (a bearer token fetched at run time, fetched again once when a 401 refuses it).
 *
 * @since 0.3.0
 * @category models
 */
export type Credentials<E = never, R = never> =
  | { readonly basic: { readonly username: string; readonly password: string | Redacted.Redacted<string> } }
  | { readonly bearer: string | Redacted.Redacted<string> }
  | { readonly digest: { readonly username: string; readonly password: string | Redacted.Redacted<string> } }
  | { readonly token: TokenProvider<E, R> }

/**
 * A token provider over `fetch` (a call to a token endpoint, say): the token is cached, fetched again
 * `refreshBefore` ahead of its expiry (default 30 s; halfway through a shorter life) and after `invalidate`.
 * Concurrent callers wait for one fetch instead of each making their own, and share its outcome: when the
 * fetch fails, every caller that waited on it fails with that error, and the next call fetches again. Time
 * is the Effect Clock's, so `TestClock` drives it.
 *
 * @example
 * ```ts
 * const provider = yield* Auth.tokenProvider(
 *   Effect.map(fetchTokenFromEndpoint, (r) => ({ token: Redacted.make(r.access_token), expiresIn: `${r.expires_in} seconds` })),
 * )
 * const client = (yield* Client.Client).pipe(Client.withAuth({ token: provider }))
 * ```
 *
 * @since 0.3.0
 * @category constructors
 */
export const tokenProvider = <E, R>(
  fetch: Effect.Effect<Token, E, R>,
  options: { readonly refreshBefore?: DurationInput } = {},
): Effect.Effect<TokenProvider<E, R>> =>
  Effect.sync(() => {
    const early = Duration.toMillis(options.refreshBefore ?? "30 seconds")
    // When to fetch again: `early` before the expiry, or halfway through a life shorter than twice that.
    let current: { readonly token: Redacted.Redacted<string>; readonly refreshAt: number } | undefined
    // The fetch under way, if any: its outcome goes to everyone who waits on it, success or failure alike;
    // `undefined` means the caller that ran it was interrupted, and the waiters start a fetch of their own.
    let inflight: Deferred.Deferred<Exit.Exit<Redacted.Redacted<string>, E> | undefined> | undefined
    const valid = (now: number) => (current !== undefined && now < current.refreshAt ? current : undefined)
    const store = (fetched: Token, now: number) => {
      const token = Redacted.isRedacted(fetched.token) ? fetched.token : Redacted.make(fetched.token)
      const life = fetched.expiresIn === undefined ? Number.POSITIVE_INFINITY : Duration.toMillis(fetched.expiresIn)
      current = { token, refreshAt: now + Math.max(life - early, life / 2) }
      return token
    }
    type Shared = Deferred.Deferred<Exit.Exit<Redacted.Redacted<string>, E> | undefined>
    /** Starts the one fetch and tells its waiters how it ended; nothing between the two can be interrupted. */
    const start = (now: number): Effect.Effect<Redacted.Redacted<string>, E, R> =>
      Effect.uninterruptibleMask((restore) =>
        Effect.flatMap(Deferred.make<Exit.Exit<Redacted.Redacted<string>, E> | undefined>(), (shared: Shared) => {
          if (inflight !== undefined) return restore(get)
          inflight = shared
          const fetched = Effect.exit(restore(Effect.map(fetch, (token) => store(token, now))))
          return Effect.flatten(
            Effect.tap(fetched, (exit) => {
              inflight = undefined
              const interrupted = Exit.isFailure(exit) && Edition.interruptedOnly(exit.cause)
              return Deferred.succeed(shared, interrupted ? undefined : exit)
            }),
          )
        }),
      )
    const get: Effect.Effect<Redacted.Redacted<string>, E, R> = Effect.flatMap(Clock.currentTimeMillis, (now) => {
      const held = valid(now)
      if (held !== undefined) return Effect.succeed(held.token)
      const waiting = inflight
      if (waiting === undefined) return start(now)
      return Effect.flatMap(Deferred.await(waiting), (exit) => (exit === undefined ? get : exit))
    })
    return {
      [TokenProviderTypeId]: TokenProviderTypeId,
      get,
      invalidate: (token) =>
        Effect.sync(() => {
          if (current !== undefined && Redacted.value(current.token) === Redacted.value(token)) current = undefined
        }),
    }
  })

/**
 * The entries of a `.netrc` file: a login and password per machine, and the `default` entry.
 *
 * @since 0.3.0
 * @category models
 */
export interface Netrc {
  readonly machines: ReadonlyMap<string, NetrcEntry>
  readonly default: NetrcEntry | undefined
}

/**
 * One `.netrc` entry.
 *
 * @since 0.3.0
 * @category models
 */
export interface NetrcEntry {
  readonly login: string
  readonly password: string
}

/**
 * Parses a `.netrc` file as curl and Python's `netrc` read it: `machine`, `default`, `login`, `password`,
 * `account` tokens separated by any whitespace, double-quoted values, `macdef` bodies skipped up to the
 * next blank line. The first entry for a machine wins. Nothing in a netrc file is an error: what is not
 * understood is skipped.
 *
 * @since 0.3.0
 * @category netrc
 */
export const parseNetrc = (text: string): Netrc => {
  const machines = new Map<string, NetrcEntry>()
  let fallback: NetrcEntry | undefined
  const tokens = netrcTokens(text)
  let i = 0
  while (i < tokens.length) {
    const word = tokens[i++]
    if (word !== "machine" && word !== "default") continue
    const host = word === "machine" ? (tokens[i++] ?? "").toLowerCase() : undefined
    let login = ""
    let password = ""
    while (i < tokens.length && tokens[i] !== "machine" && tokens[i] !== "default") {
      const key = tokens[i++]
      const value = tokens[i++] ?? ""
      if (key === "login") login = value
      else if (key === "password") password = value
    }
    const entry = { login, password }
    if (host === undefined) fallback ??= entry
    else if (!machines.has(host)) machines.set(host, entry)
  }
  return { machines, default: fallback }
}

/** The tokens of a netrc file: whitespace-separated, `"…"` quoted with `\` escapes, macdef bodies dropped. */
const netrcTokens = (text: string): Array<string> => {
  const out: Array<string> = []
  const lines = text.split(/\r?\n/)
  for (let l = 0; l < lines.length; l++) {
    const line = lines[l] ?? ""
    if (line.trimStart().startsWith("#")) continue
    const words = line.match(/"(?:\\.|[^"\\])*"|\S+/g) ?? []
    for (const w of words) out.push(w.startsWith('"') ? w.slice(1, -1).replace(/\\(.)/g, "$1") : w)
    if (words[0] === "macdef") {
      // A macro's body runs to the next empty line.
      while (l + 1 < lines.length && (lines[l + 1] ?? "").trim() !== "") l++
      out.pop()
      out.pop()
    }
  }
  return out
}

/**
 * The netrc entry for `host`, or the default entry.
 *
 * @since 0.3.0
 * @category netrc
 */
export const netrcEntry = (netrc: Netrc, host: string): NetrcEntry | undefined =>
  netrc.machines.get(host.toLowerCase()) ?? netrc.default
