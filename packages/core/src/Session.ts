/**
 * A Session, as requests' `Session`: a Client with a cookie jar of its own, default headers merged with
 * each request's (the request wins), and credentials for every request. The jar persists cookies across
 * requests and redirect hops, and can be read and seeded through the `Session` service.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Client from "./Client.js"
import * as Cookies from "./Cookies.js"
import * as Edition from "./internal/shared/edition-effect.js"
import type { Transport } from "./Transport.js"

/**
 * What a Session adds to its Client: the jar.
 *
 * @since 0.1.0
 * @category models
 */
export interface Service {
  readonly jar: Cookies.Jar
}

/**
 * The Session service.
 *
 * @since 0.1.0
 * @category tags
 */
export class Session extends Edition.Service<Session, Service>()("@courier/core/Session") {}

/**
 * A Client with a fresh cookie jar (or the one given), and the Session service to reach the jar.
 *
 * @example
 * ```ts
 * const session = Session.layer({ auth: { basic: { username: "user", password: Redacted.make("pass") } } })
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: Client.Options = {}): Layer.Layer<Client.Client | Session, never, Transport> =>
  Layer.effectContext(
    Effect.gen(function* () {
      const jar = options.cookies ?? Cookies.make()
      const client = yield* Client.make({ ...options, cookies: jar })
      return Context.make(Client.Client, client).pipe(Context.add(Session, { jar }))
    }),
  )

/**
 * The cookies the session would send to `url`, or all of them.
 *
 * @since 0.1.0
 * @category cookies
 */
export const cookies = (url?: string): Effect.Effect<ReadonlyArray<Cookies.Cookie>, never, Session> =>
  Effect.flatMap(Session, (s) => Cookies.list(s.jar, url))

/**
 * Seeds the session's jar with a cookie for `url` (a `Set-Cookie` value).
 *
 * @since 0.1.0
 * @category cookies
 */
export const setCookie = (url: string, cookie: string): Effect.Effect<void, Cookies.CookieError, Session> =>
  Effect.flatMap(Session, (s) => Cookies.set(s.jar, url, cookie))

/**
 * The session's cookie jar as JSON (see `Cookies.toJSON`), to restore with `Cookies.fromJSON` and pass as
 * the `cookies` option of the next session (`NodeCookies.save` and `load` do both with a file).
 *
 * @since 0.5.0
 * @category cookies
 */
export const serialize: Effect.Effect<Cookies.Serialized, never, Session> = Effect.flatMap(Session, (s) =>
  Cookies.toJSON(s.jar),
)
