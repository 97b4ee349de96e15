/**
 * The `Authorization` values Courier builds, each written once: HTTP Basic (RFC 7617) and bearer tokens
 * (RFC 6750). Used by requests, clients, proxies and the auth flows.
 * @internal
 */
import * as Redacted from "effect/Redacted"
import { encodeBase64 } from "./edition.js"

/** A secret's value, whether it was given plain or `Redacted`. */
export const secret = (s: string | Redacted.Redacted<string>): string =>
  Redacted.isRedacted(s) ? Redacted.value(s) : s

/** `Basic base64(user:password)`, the user and password as given (UTF-8, as RFC 7617's charset allows). */
export const basicAuthorization = (username: string, password: string | Redacted.Redacted<string>): string =>
  `Basic ${encodeBase64(`${username}:${secret(password)}`)}`

/** `Bearer token`. */
export const bearerAuthorization = (token: string | Redacted.Redacted<string>): string => `Bearer ${secret(token)}`
