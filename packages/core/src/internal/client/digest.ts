/**
 * HTTP Digest (RFC 7616): reading a server's challenge and answering it for one request, with MD5, SHA-256
 * and SHA-512-256 (and their `-sess` forms) and `qop=auth`, or RFC 2069's answer when the server offers no
 * qop. The hashes come from @noble/hashes (core imports nothing from node:*).
 * @internal
 */
import { md5 } from "@noble/hashes/legacy"
import { sha256, sha512_256 } from "@noble/hashes/sha2"
import { parseChallenges } from "../http1/grammar.js"

/** A Digest challenge from `WWW-Authenticate`, with what the answer needs. */
export interface Challenge {
  readonly realm: string
  readonly nonce: string
  readonly opaque: string | undefined
  /** As the server spelled it (`MD5`, `SHA-256-sess` …), sent back as is. */
  readonly algorithm: string
  /** Whether the server offered `qop=auth`; without it, the RFC 2069 answer. */
  readonly qopAuth: boolean
  readonly stale: boolean
}

const hashes: Record<string, (bytes: Uint8Array) => Uint8Array> = {
  MD5: md5,
  "SHA-256": sha256,
  "SHA-512-256": sha512_256,
}

/** RFC 7616 §3.7: SHA-256 first, then SHA-512-256, then MD5. */
const preference = ["SHA-256", "SHA-512-256", "MD5"]

const encoder = new TextEncoder()

const hex = (bytes: Uint8Array): string => {
  let out = ""
  for (const b of bytes) out += b.toString(16).padStart(2, "0")
  return out
}

/** The Digest challenges in `WWW-Authenticate` values (a value may hold several challenges of any scheme). */
const digestChallenges = (values: ReadonlyArray<string>): Array<ReadonlyMap<string, string>> =>
  values.flatMap((value) =>
    parseChallenges(value).flatMap((c) => (c.scheme.toLowerCase() === "digest" ? [c.params] : [])),
  )

/** The challenge to answer: the strongest algorithm Courier supports, with `qop=auth` or no qop at all. */
export const challengeOf = (values: ReadonlyArray<string>): Challenge | undefined => {
  const usable: Array<Challenge> = []
  for (const params of digestChallenges(values)) {
    const realm = params.get("realm")
    const nonce = params.get("nonce")
    const algorithm = params.get("algorithm") ?? "MD5"
    if (realm === undefined || nonce === undefined) continue
    if (hashes[algorithm.toUpperCase().replace(/-SESS$/, "")] === undefined) continue
    const qop = params.get("qop")
    const offered = qop === undefined ? [] : qop.split(",").map((q) => q.trim().toLowerCase())
    if (qop !== undefined && !offered.includes("auth")) continue
    usable.push({
      realm,
      nonce,
      opaque: params.get("opaque"),
      algorithm,
      qopAuth: offered.includes("auth"),
      stale: (params.get("stale") ?? "").toLowerCase() === "true",
    })
  }
  const rank = (c: Challenge) => preference.indexOf(c.algorithm.toUpperCase().replace(/-SESS$/, ""))
  return usable.sort((a, b) => rank(a) - rank(b))[0]
}

const quote = (s: string): string => `"${s.replace(/["\\]/g, "\\$&")}"`

/**
 * The `Authorization` value answering `challenge` for `method` on `uri` (the request target), as the
 * `nc`-th use of its nonce, with a client nonce `cnonce`.
 */
export const answer = (
  challenge: Challenge,
  credentials: { readonly username: string; readonly password: string },
  method: string,
  uri: string,
  nc: number,
  cnonce: string,
): string => {
  const name = challenge.algorithm.toUpperCase()
  const sess = name.endsWith("-SESS")
  const hash = hashes[name.replace(/-SESS$/, "")] ?? md5
  const h = (s: string) => hex(hash(encoder.encode(s)))
  const secret = h(`${credentials.username}:${challenge.realm}:${credentials.password}`)
  const ha1 = sess ? h(`${secret}:${challenge.nonce}:${cnonce}`) : secret
  const ha2 = h(`${method}:${uri}`)
  const count = nc.toString(16).padStart(8, "0")
  const response = challenge.qopAuth
    ? h(`${ha1}:${challenge.nonce}:${count}:${cnonce}:auth:${ha2}`)
    : h(`${ha1}:${challenge.nonce}:${ha2}`)
  const fields = [
    `username=${quote(credentials.username)}`,
    `realm=${quote(challenge.realm)}`,
    `nonce=${quote(challenge.nonce)}`,
    `uri=${quote(uri)}`,
    `algorithm=${challenge.algorithm}`,
    `response=${quote(response)}`,
  ]
  if (challenge.opaque !== undefined) fields.push(`opaque=${quote(challenge.opaque)}`)
  if (challenge.qopAuth) fields.push("qop=auth", `nc=${count}`, `cnonce=${quote(cnonce)}`)
  return `Digest ${fields.join(", ")}`
}

/** A fresh client nonce: 16 random bytes in hex, from the platform's WebCrypto. */
export const clientNonce = (): string => hex(globalThis.crypto.getRandomValues(new Uint8Array(16)))
