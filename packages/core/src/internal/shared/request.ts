/**
 * The Request value's prototype: equality, hashing and the redacted JSON form. The public module holds
 * the types, constructors and combinators.
 * @internal
 */
import * as Duration from "effect/Duration"
import * as Equal from "effect/Equal"
import * as Hash from "effect/Hash"
import { NodeInspectSymbol } from "effect/Inspectable"
import * as Option from "effect/Option"
import { pipeArguments } from "effect/Pipeable"
import type * as Body from "../../Body.js"
import type { RequestInfo } from "../../HttpError.js"
import type { Request } from "../../Request.js"
import { cachedHash, type DurationInput, decodeDuration } from "./edition.js"
import { IDEMPOTENT_METHODS } from "./semantics.js"

export const TypeId: unique symbol = Symbol.for("@courier/core/Request")

/** Everything a Request holds, for building and copying. */
export type Fields = Omit<
  Request,
  typeof TypeId | "pipe" | "toJSON" | "toString" | typeof NodeInspectSymbol | typeof Equal.symbol | typeof Hash.symbol
>

const pairsEqual = (a: ReadonlyArray<readonly [string, string]>, b: ReadonlyArray<readonly [string, string]>) =>
  a.length === b.length && a.every(([k, v], i) => b[i]?.[0] === k && b[i]?.[1] === v)

const bodyEquals = (a: Body.Body, b: Body.Body): boolean => {
  if (a === b) return true
  switch (a._tag) {
    case "Empty":
      return b._tag === "Empty"
    case "Text":
      return b._tag === "Text" && a.text === b.text && a.contentType === b.contentType
    case "Bytes":
      return (
        b._tag === "Bytes" &&
        a.contentType === b.contentType &&
        a.bytes.length === b.bytes.length &&
        a.bytes.every((x, i) => x === b.bytes[i])
      )
    case "Json":
      return b._tag === "Json" && jsonEquals(a.value, b.value, new Set())
    case "Form":
      return b._tag === "Form" && pairsEqual(a.fields, b.fields)
    case "File":
      return b._tag === "File" && a.path === b.path && a.contentType === b.contentType
    case "Stream":
    case "Multipart":
      return false
  }
}

/**
 * Whether two JSON body values are the same value, compared as data: no `JSON.stringify`, which throws on
 * a BigInt or a cycle (the body fails to encode later, with a typed error; comparing must not throw). A
 * value met again while it is being compared (a cycle) counts as equal there.
 */
const jsonEquals = (a: unknown, b: unknown, open: Set<object>): boolean => {
  if (Object.is(a, b)) return true
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false
  if (Array.isArray(a) !== Array.isArray(b)) return false
  if (open.has(a)) return true
  open.add(a)
  try {
    const ja = asJson(a)
    const jb = asJson(b)
    if (ja !== a || jb !== b) return jsonEquals(ja, jb, open)
    const keysA = jsonKeys(a)
    const keysB = jsonKeys(b)
    if (keysA.length !== keysB.length) return false
    return keysA.every((k) => Object.hasOwn(b, k) && jsonEquals(Reflect.get(a, k), Reflect.get(b, k), open))
  } finally {
    open.delete(a)
  }
}

/** What JSON would write for an object with a `toJSON` method (a Date, say); the object itself otherwise. */
const asJson = (o: object): unknown => {
  const toJSON: unknown = Reflect.get(o, "toJSON")
  if (typeof toJSON !== "function") return o
  try {
    return toJSON.call(o)
  } catch {
    return o
  }
}

/** The keys JSON writes: own enumerable ones whose values are neither undefined nor functions. */
const jsonKeys = (o: object): Array<string> =>
  Object.keys(o).filter((k) => {
    const v: unknown = Reflect.get(o, k)
    return v !== undefined && typeof v !== "function"
  })

/** Two deadlines are equal when they are the same length of time, however each was written ("5 seconds", 5000, a Duration). */
const durationEquals = (a: DurationInput | undefined, b: DurationInput | undefined): boolean => {
  if (a === b) return true
  if (a === undefined || b === undefined) return false
  const da = decodeDuration(a)
  const db = decodeDuration(b)
  return Option.isSome(da) && Option.isSome(db) && Duration.equals(da.value, db.value)
}

const timeoutsEqual = (a: Request["timeouts"], b: Request["timeouts"]) =>
  durationEquals(a.acquire, b.acquire) &&
  durationEquals(a.connect, b.connect) &&
  durationEquals(a.send, b.send) &&
  durationEquals(a.head, b.head) &&
  durationEquals(a.body, b.body) &&
  durationEquals(a.total, b.total)

/**
 * Query parameters whose values are secrets by common convention (OAuth's tokens, API keys, signed URLs'
 * signatures): hidden in messages, logs and spans unless the caller names others.
 */
export const SECRET_QUERY_PARAMS: ReadonlyArray<string> = [
  "access_token",
  "api_key",
  "api-key",
  "apikey",
  "client_secret",
  "id_token",
  "key",
  "password",
  "refresh_token",
  "secret",
  "sig",
  "signature",
  "token",
  "x-amz-credential",
  "x-amz-security-token",
  "x-amz-signature",
  "x-goog-signature",
]

const decodedName = (raw: string): string => {
  try {
    return decodeURIComponent(raw.replace(/\+/g, " ")).toLowerCase()
  } catch {
    return raw.toLowerCase()
  }
}

/** The query of `url` with the values of the parameters named in `secret` (lower case) replaced by `<redacted>`. */
const redactQuery = (url: string, secret: ReadonlySet<string>): string => {
  const q = url.indexOf("?")
  if (q === -1 || secret.size === 0) return url
  const hash = url.indexOf("#", q)
  const end = hash === -1 ? url.length : hash
  let changed = false
  const pairs = url
    .slice(q + 1, end)
    .split("&")
    .map((pair) => {
      const eq = pair.indexOf("=")
      if (eq === -1 || !secret.has(decodedName(pair.slice(0, eq)))) return pair
      changed = true
      return `${pair.slice(0, eq)}=<redacted>`
    })
  return changed ? `${url.slice(0, q + 1)}${pairs.join("&")}${url.slice(end)}` : url
}

const defaultSecrets: ReadonlySet<string> = new Set(SECRET_QUERY_PARAMS)
/**
 * Whether a query may hold one of the default secrets: a name of the list, or any percent-encoding (a name
 * may be encoded). `Request.info` redacts every request's URL, so most queries are passed by this one test.
 */
const mayHoldDefaultSecret = new RegExp(
  `%|[?&](?:${SECRET_QUERY_PARAMS.map((n) => n.replace(/[-]/g, "\\-")).join("|")})=`,
  "i",
)
const secretsCache = new WeakMap<ReadonlyArray<string>, ReadonlySet<string>>()

/** The names of `params` as a set of lower-case names, made once per list. */
const secretsOf = (params: ReadonlyArray<string>): ReadonlySet<string> => {
  if (params === SECRET_QUERY_PARAMS) return defaultSecrets
  let set = secretsCache.get(params)
  if (set === undefined) {
    set = new Set(params.map((p) => p.toLowerCase()))
    secretsCache.set(params, set)
  }
  return set
}

/** The URL with any user info and the values of secret query parameters replaced by `<redacted>`. */
export const redactUrl = (url: string, secretParams: ReadonlyArray<string> = SECRET_QUERY_PARAMS): string => {
  const hidden = url.includes("@") ? url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@?#]*@/i, "$1<redacted>@") : url
  if (!hidden.includes("?")) return hidden
  if (secretParams === SECRET_QUERY_PARAMS && !mayHoldDefaultSecret.test(hidden)) return hidden
  return redactQuery(hidden, secretsOf(secretParams))
}

const bodySummary = (body: Body.Body): unknown => {
  switch (body._tag) {
    case "Empty":
      return undefined
    case "Bytes":
      return { _tag: "Bytes", length: body.bytes.length, contentType: body.contentType }
    case "Text":
      return { _tag: "Text", length: body.text.length, contentType: body.contentType }
    case "Json":
      return { _tag: "Json" }
    case "Form":
      return { _tag: "Form", fields: body.fields.map(([k]) => k) }
    case "Stream":
      return { _tag: "Stream", length: body.length, contentType: body.contentType }
    case "File":
      return { _tag: "File", path: body.path, contentType: body.contentType }
    case "Multipart":
      return { _tag: "Multipart", fields: body.fields.map(([k]) => k), files: body.files.map(([k]) => k) }
  }
}

/** Whether the request's method is idempotent (RFC 9110 §9.2.2). */
export const isIdempotent = (request: Request): boolean => IDEMPOTENT_METHODS.has(request.method)

export const isRequest = (u: unknown): u is Request => typeof u === "object" && u !== null && TypeId in u

const Proto = {
  [TypeId]: TypeId,
  pipe(this: Request) {
    // biome-ignore lint/complexity/noArguments: pipeArguments is Effect's documented way to implement Pipeable
    return pipeArguments(this, arguments)
  },
  [Equal.symbol](this: Request, that: unknown): boolean {
    return (
      isRequest(that) &&
      this.method === that.method &&
      this.url === that.url &&
      pairsEqual(this.params, that.params) &&
      Equal.equals(this.headers, that.headers) &&
      bodyEquals(this.body, that.body) &&
      timeoutsEqual(this.timeouts, that.timeouts) &&
      this.maxResponseBytes === that.maxResponseBytes &&
      this.expectContinue === that.expectContinue &&
      this.onInformational === that.onInformational &&
      this.onUploadProgress === that.onUploadProgress &&
      this.onDownloadProgress === that.onDownloadProgress
    )
  },
  [Hash.symbol](this: Request): number {
    return cachedHash(
      this,
      Hash.combine(Hash.combine(Hash.string(this.method))(Hash.string(this.url)))(Hash.hash(this.headers)),
    )
  },
  toJSON(this: Request) {
    return {
      _id: "Request",
      method: this.method,
      url: redactUrl(this.url),
      params: this.params,
      headers: this.headers.toJSON(),
      body: bodySummary(this.body),
    }
  },
  toString(this: Request) {
    return JSON.stringify(this.toJSON(), null, 2)
  },
  [NodeInspectSymbol](this: Request) {
    return this.toJSON()
  },
}

/**
 * A Request with `fields`. The fields are set one by one, always in the same order, so every Request has
 * one shape; `Object.assign` was about 1% of the client's CPU on the c64 benchmark.
 */
export const build = (fields: Fields): Request => {
  const self: { -readonly [K in keyof Fields]: Fields[K] } = Object.create(Proto)
  self.method = fields.method
  self.url = fields.url
  self.params = fields.params
  self.headers = fields.headers
  self.body = fields.body
  self.timeouts = fields.timeouts
  self.maxResponseBytes = fields.maxResponseBytes
  self.expectContinue = fields.expectContinue
  self.onInformational = fields.onInformational
  self.onUploadProgress = fields.onUploadProgress
  self.onDownloadProgress = fields.onDownloadProgress
  return self as Request
}

export const copy = (self: Request, patch: Partial<Fields>): Request =>
  build({
    method: patch.method ?? self.method,
    url: patch.url ?? self.url,
    params: patch.params ?? self.params,
    headers: patch.headers ?? self.headers,
    body: patch.body ?? self.body,
    timeouts: patch.timeouts ?? self.timeouts,
    maxResponseBytes: "maxResponseBytes" in patch ? patch.maxResponseBytes : self.maxResponseBytes,
    expectContinue: patch.expectContinue ?? self.expectContinue,
    onInformational: "onInformational" in patch ? patch.onInformational : self.onInformational,
    onUploadProgress: "onUploadProgress" in patch ? patch.onUploadProgress : self.onUploadProgress,
    onDownloadProgress: "onDownloadProgress" in patch ? patch.onDownloadProgress : self.onDownloadProgress,
  })

/** The method and redacted URL, for error messages (`Request.info`). */
export const info = (self: Request): RequestInfo => ({ method: self.method, url: redactUrl(self.url) })
