/**
 * The auth flows as transforms (httpx's `auth_flow` is the anchor): fixed credentials as a default header,
 * a token provider whose token is fetched again once on a 401, Digest answered on the challenge, and
 * `.netrc` credentials. A request that brings its own credentials (an `Authorization` field, or user info in
 * its URL) is sent as it is by all of them.
 * @internal
 */
import * as Effect from "effect/Effect"
import type * as Redacted from "effect/Redacted"
import { type Credentials, type Netrc, netrcEntry, type TokenProvider } from "../../Auth.js"
import type { With } from "../../Client.js"
import * as Headers from "../../Headers.js"
import type { HttpError } from "../../HttpError.js"
import * as Request from "../../Request.js"
import type * as Response from "../../Response.js"
import { basicAuthorization, bearerAuthorization, secret } from "../shared/credentials.js"
import { Result } from "../shared/edition.js"
import type { Call } from "./call.js"
import { hasOwnCredentials, urlOf } from "./call.js"
import { transform } from "./client.js"
import { answer, type Challenge, challengeOf, clientNonce } from "./digest.js"
import { discard, replayable } from "./policies.js"
import { mapRequest, withDefaultHeader } from "./transforms.js"

/** Whether a 401 may be answered by sending the request again. */
const mayResend = (request: Request.Request, response: Response.Response): boolean =>
  response.status === 401 && replayable(request.body)

const withTokenProvider = <E, R, E2, R2>(
  self: With<E, R>,
  provider: TokenProvider<E2, R2>,
): With<E | E2 | HttpError, R | R2> =>
  transform(self, (next) => {
    const flow = <S>(
      request: Request.Request,
      call: Call<S>,
    ): Effect.Effect<Response.Response, E | E2 | HttpError, R | R2 | S> => {
      if (hasOwnCredentials(request)) return next(request, call)
      const send = (token: Redacted.Redacted<string>) =>
        next(Request.setHeader(request, "Authorization", bearerAuthorization(token)), call)
      // A 401 refuses the token it carried, so it is dropped from the cache whether or not this request can
      // be sent again: the next call fetches a new one instead of meeting the same 401.
      return Effect.flatMap(provider.get, (token) =>
        Effect.flatMap(send(token), (response) => {
          if (response.status !== 401) return Effect.succeed(response)
          if (!mayResend(request, response)) return Effect.as(provider.invalidate(token), response)
          return Effect.andThen(
            Effect.andThen(discard(response), provider.invalidate(token)),
            Effect.flatMap(provider.get, send),
          )
        }),
      )
    }
    return flow
  })

/** How many origins' Digest challenges a client keeps; the oldest is dropped past it. */
const MAX_DIGEST_ORIGINS = 256

/** The `Cookie` header with the `name=value` pairs of a response's Set-Cookie added (as requests does on a 401). */
const withCookiesOf = (request: Request.Request, response: Response.Response): Request.Request => {
  const pairs = Headers.getAll(response.headers, "set-cookie")
    .map((c) => (c.split(";")[0] ?? "").trim())
    .filter((pair) => pair.includes("="))
  if (pairs.length === 0) return request
  const own = Headers.get(request.headers, "cookie")
  const value = [...(own._tag === "Some" ? [own.value] : []), ...pairs].join("; ")
  return Request.setHeader(request, "Cookie", value)
}

const withDigest = <E, R>(
  self: With<E, R>,
  credentials: { readonly username: string; readonly password: string | Redacted.Redacted<string> },
): With<E | HttpError, R> =>
  transform(self, (next) => {
    // The last challenge of each origin and how often its nonce was used: later requests answer it up front.
    const known = new Map<string, { challenge: Challenge; uses: number }>()
    const user = () => ({ username: credentials.username, password: secret(credentials.password) })
    const authorized = (request: Request.Request, target: string, state: { challenge: Challenge; uses: number }) => {
      state.uses++
      const value = answer(state.challenge, user(), request.method, target, state.uses, clientNonce())
      return Request.setHeader(request, "Authorization", value)
    }
    const flow = <S>(
      request: Request.Request,
      call: Call<S>,
    ): Effect.Effect<Response.Response, E | HttpError, R | S> => {
      if (hasOwnCredentials(request)) return next(request, call)
      const url = urlOf(request)
      if (Result.isFailure(url)) return next(request, call)
      const { origin, target } = Result.success(url)
      return Effect.suspend(() => {
        const held = known.get(origin.key)
        const first = held === undefined ? request : authorized(request, target, held)
        return Effect.flatMap(next(first, call), (response) => {
          if (!mayResend(request, response)) return Effect.succeed(response)
          const challenge = challengeOf(Headers.getAll(response.headers, "www-authenticate"))
          // A new challenge is answered once; the same nonce refused again means the credentials are wrong.
          if (challenge === undefined || (held !== undefined && held.challenge.nonce === challenge.nonce)) {
            return Effect.succeed(response)
          }
          const state = { challenge, uses: 0 }
          known.delete(origin.key)
          if (known.size >= MAX_DIGEST_ORIGINS) known.delete(known.keys().next().value ?? "")
          known.set(origin.key, state)
          return Effect.andThen(
            discard(response),
            next(authorized(withCookiesOf(request, response), target, state), call),
          )
        })
      })
    }
    return flow
  })

/**
 * `self` with `credentials` on each request that sets no `Authorization` of its own.
 */
export const withAuth = <E, R, E2, R2>(
  self: With<E, R>,
  credentials: Credentials<E2, R2>,
): With<E | E2 | HttpError, R | R2> => {
  if ("basic" in credentials) {
    return withDefaultHeader(
      self,
      "Authorization",
      basicAuthorization(credentials.basic.username, credentials.basic.password),
    )
  }
  if ("bearer" in credentials) return withDefaultHeader(self, "Authorization", bearerAuthorization(credentials.bearer))
  if ("digest" in credentials) return withDigest(self, credentials.digest)
  return withTokenProvider(self, credentials.token)
}

/** `self` with Basic credentials from `netrc` for each request's host, when the request sets none. */
export const withNetrc = <E, R>(self: With<E, R>, netrc: Netrc): With<E | HttpError, R> =>
  mapRequest(self, (request) => {
    if (hasOwnCredentials(request)) return request
    const url = urlOf(request)
    if (Result.isFailure(url)) return request
    const entry = netrcEntry(netrc, Result.success(url).origin.host)
    if (entry === undefined || (entry.login === "" && entry.password === "")) return request
    return Request.setHeader(request, "Authorization", basicAuthorization(entry.login, entry.password))
  })
