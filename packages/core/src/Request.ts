/**
 * The request: an immutable value that says what to send, and does nothing until a Client runs it.
 *
 * A request holds a method, a URL (kept as given and parsed when sent, so building never fails), query
 * params, headers and a body. Every combinator is `dual` and returns a new request. Requests compare by
 * value (`Equal`), and their `toJSON`/`toString` hide credentials.
 *
 * @since 0.1.0
 */
import * as Encoding from "effect/Encoding"
import * as Equal from "effect/Equal"
import { dual } from "effect/Function"
import * as Hash from "effect/Hash"
import { format, type Inspectable, NodeInspectSymbol } from "effect/Inspectable"
import { type Pipeable, pipeArguments } from "effect/Pipeable"
import * as Redacted from "effect/Redacted"
import type * as Stream from "effect/Stream"
import * as Body from "./Body.js"
import * as Headers from "./Headers.js"
import type { RequestInfo } from "./HttpError.js"
import { type Params, paramsToPairs } from "./Url.js"

/**
 * @since 0.1.0
 * @category type ids
 */
export const TypeId: unique symbol = Symbol.for("@courier/core/Request")

/**
 * @since 0.1.0
 * @category type ids
 */
export type TypeId = typeof TypeId

/**
 * An HTTP method; any RFC 9110 token is allowed, these are the common ones.
 *
 * @since 0.1.0
 * @category models
 */
export type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE" | "HEAD" | "OPTIONS" | "TRACE" | (string & {})

/**
 * The request value.
 *
 * @since 0.1.0
 * @category models
 */
export interface Request extends Pipeable, Equal.Equal, Inspectable {
  readonly [TypeId]: TypeId
  readonly method: Method
  /** The URL as given: absolute, or relative to the Client's base URL. */
  readonly url: string
  /** Query params appended to the URL when sent, after any query the URL has. */
  readonly params: ReadonlyArray<readonly [string, string]>
  readonly headers: Headers.Headers
  readonly body: Body.Body
}

/**
 * The options of the one-call API and of `make`, in the shape of Python's requests and Zerynth's module.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** Query params, appended to the URL. */
  readonly params?: Params
  /** Extra headers. */
  readonly headers?: Headers.Input
  /** Form fields, sent urlencoded. When both `data` and `json` are given, `data` wins (as in Zerynth). */
  readonly data?: Params
  /** A value sent as JSON, unless `data` is also given. */
  readonly json?: unknown
  /** Any other body; ignored when `data` or `json` is given. */
  readonly body?: Body.Body
}

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
      return b._tag === "Json" && Equal.equals(JSON.stringify(a.value), JSON.stringify(b.value))
    case "Form":
      return b._tag === "Form" && pairsEqual(a.fields, b.fields)
    case "Stream":
      return false
  }
}

const pairsEqual = (a: ReadonlyArray<readonly [string, string]>, b: ReadonlyArray<readonly [string, string]>) =>
  a.length === b.length && a.every(([k, v], i) => b[i]?.[0] === k && b[i]?.[1] === v)

/**
 * The URL with any user info replaced by `<redacted>`, for messages and logs.
 *
 * @since 0.1.0
 * @category conversions
 */
export const redactUrl = (url: string): string => url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@?#]*@/i, "$1<redacted>@")

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
  }
}

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
      bodyEquals(this.body, that.body)
    )
  },
  [Hash.symbol](this: Request): number {
    return Hash.cached(
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
    return format(this.toJSON())
  },
  [NodeInspectSymbol](this: Request) {
    return this.toJSON()
  },
}

const build = (
  method: Method,
  url: string,
  params: ReadonlyArray<readonly [string, string]>,
  headers: Headers.Headers,
  body: Body.Body,
): Request => {
  const self = Object.create(Proto)
  self.method = method
  self.url = url
  self.params = params
  self.headers = headers
  self.body = body
  return self
}

const copy = (self: Request, patch: Partial<Omit<Request, TypeId>>): Request =>
  build(
    patch.method ?? self.method,
    patch.url ?? self.url,
    patch.params ?? self.params,
    patch.headers ?? self.headers,
    patch.body ?? self.body,
  )

/**
 * Whether a value is a Request.
 *
 * @since 0.1.0
 * @category refinements
 */
export const isRequest = (u: unknown): u is Request => typeof u === "object" && u !== null && TypeId in u

/**
 * The body that `Options` describe: `data` first, then `json`, then `body`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const bodyFromOptions = (options: Options | undefined): Body.Body => {
  if (options === undefined) return Body.empty
  if (options.data !== undefined) return Body.form(options.data)
  if (options.json !== undefined) return Body.json(options.json)
  return options.body ?? Body.empty
}

/**
 * A request with any method.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (method: Method, url: string, options?: Options): Request =>
  build(
    method.toUpperCase(),
    url,
    options?.params === undefined ? [] : paramsToPairs(options.params),
    Headers.fromInput(options?.headers),
    bodyFromOptions(options),
  )

/**
 * A GET request.
 *
 * @since 0.1.0
 * @category constructors
 */
export const get = (url: string, options?: Options): Request => make("GET", url, options)
/**
 * A POST request.
 *
 * @since 0.1.0
 * @category constructors
 */
export const post = (url: string, options?: Options): Request => make("POST", url, options)
/**
 * A PUT request.
 *
 * @since 0.1.0
 * @category constructors
 */
export const put = (url: string, options?: Options): Request => make("PUT", url, options)
/**
 * A PATCH request.
 *
 * @since 0.1.0
 * @category constructors
 */
export const patch = (url: string, options?: Options): Request => make("PATCH", url, options)
/**
 * A DELETE request (`delete` is a reserved word).
 *
 * @since 0.1.0
 * @category constructors
 */
export const del = (url: string, options?: Options): Request => make("DELETE", url, options)
/**
 * A HEAD request.
 *
 * @since 0.1.0
 * @category constructors
 */
export const head = (url: string, options?: Options): Request => make("HEAD", url, options)
/**
 * An OPTIONS request.
 *
 * @since 0.1.0
 * @category constructors
 */
export const options = (url: string, opts?: Options): Request => make("OPTIONS", url, opts)

/**
 * Replaces the method.
 *
 * @since 0.1.0
 * @category combinators
 */
export const setMethod: {
  (method: Method): (self: Request) => Request
  (self: Request, method: Method): Request
} = dual(2, (self: Request, method: Method) => copy(self, { method: method.toUpperCase() }))

/**
 * Replaces the URL.
 *
 * @since 0.1.0
 * @category combinators
 */
export const setUrl: {
  (url: string): (self: Request) => Request
  (self: Request, url: string): Request
} = dual(2, (self: Request, url: string) => copy(self, { url }))

/**
 * Sets a header, replacing any values it had.
 *
 * @since 0.1.0
 * @category combinators
 */
export const setHeader: {
  (name: string, value: string): (self: Request) => Request
  (self: Request, name: string, value: string): Request
} = dual(3, (self: Request, name: string, value: string) =>
  copy(self, { headers: Headers.set(self.headers, name, value) }),
)

/**
 * Sets several headers, each replacing the values it had.
 *
 * @since 0.1.0
 * @category combinators
 */
export const setHeaders: {
  (headers: Headers.Input): (self: Request) => Request
  (self: Request, headers: Headers.Input): Request
} = dual(2, (self: Request, headers: Headers.Input) => copy(self, { headers: Headers.merge(self.headers, headers) }))

/**
 * Adds a header value after any the header has.
 *
 * @since 0.1.0
 * @category combinators
 */
export const appendHeader: {
  (name: string, value: string): (self: Request) => Request
  (self: Request, name: string, value: string): Request
} = dual(3, (self: Request, name: string, value: string) =>
  copy(self, { headers: Headers.append(self.headers, name, value) }),
)

/**
 * Removes a header.
 *
 * @since 0.1.0
 * @category combinators
 */
export const removeHeader: {
  (name: string): (self: Request) => Request
  (self: Request, name: string): Request
} = dual(2, (self: Request, name: string) => copy(self, { headers: Headers.remove(self.headers, name) }))

/**
 * Adds query params after those the request has.
 *
 * @since 0.1.0
 * @category combinators
 */
export const appendParams: {
  (params: Params): (self: Request) => Request
  (self: Request, params: Params): Request
} = dual(2, (self: Request, params: Params) => copy(self, { params: [...self.params, ...paramsToPairs(params)] }))

/**
 * Sets one query param, replacing any values it had.
 *
 * @since 0.1.0
 * @category combinators
 */
export const setParam: {
  (key: string, value: string): (self: Request) => Request
  (self: Request, key: string, value: string): Request
} = dual(3, (self: Request, key: string, value: string) =>
  copy(self, { params: [...self.params.filter(([k]) => k !== key), [key, value]] }),
)

/**
 * Replaces the body.
 *
 * @since 0.1.0
 * @category combinators
 */
export const setBody: {
  (body: Body.Body): (self: Request) => Request
  (self: Request, body: Body.Body): Request
} = dual(2, (self: Request, body: Body.Body) => copy(self, { body }))

/**
 * Sets a JSON body.
 *
 * @since 0.1.0
 * @category combinators
 */
export const bodyJson: {
  (value: unknown): (self: Request) => Request
  (self: Request, value: unknown): Request
} = dual(2, (self: Request, value: unknown) => copy(self, { body: Body.json(value) }))

/**
 * Sets a text body.
 *
 * @since 0.1.0
 * @category combinators
 */
export const bodyText: {
  (text: string, contentType?: string): (self: Request) => Request
  (self: Request, text: string, contentType?: string): Request
} = dual(
  (args) => isRequest(args[0]),
  (self: Request, text: string, contentType?: string) => copy(self, { body: Body.text(text, contentType) }),
)

/**
 * Sets a body of raw bytes.
 *
 * @since 0.1.0
 * @category combinators
 */
export const bodyBytes: {
  (bytes: Uint8Array, contentType?: string): (self: Request) => Request
  (self: Request, bytes: Uint8Array, contentType?: string): Request
} = dual(
  (args) => isRequest(args[0]),
  (self: Request, bytes: Uint8Array, contentType?: string) => copy(self, { body: Body.bytes(bytes, contentType) }),
)

/**
 * Sets a urlencoded form body.
 *
 * @since 0.1.0
 * @category combinators
 */
export const bodyForm: {
  (fields: Params): (self: Request) => Request
  (self: Request, fields: Params): Request
} = dual(2, (self: Request, fields: Params) => copy(self, { body: Body.form(fields) }))

/**
 * Sets a streamed body.
 *
 * @since 0.1.0
 * @category combinators
 */
export const bodyStream: {
  (
    stream: Stream.Stream<Uint8Array, unknown>,
    options?: { readonly contentType?: string; readonly length?: number },
  ): (self: Request) => Request
  (
    self: Request,
    stream: Stream.Stream<Uint8Array, unknown>,
    options?: { readonly contentType?: string; readonly length?: number },
  ): Request
} = dual(
  (args) => isRequest(args[0]),
  (
    self: Request,
    stream: Stream.Stream<Uint8Array, unknown>,
    options?: { readonly contentType?: string; readonly length?: number },
  ) => copy(self, { body: Body.stream(stream, options) }),
)

/**
 * Sets HTTP Basic credentials (RFC 7617); the password may be `Redacted`.
 *
 * @since 0.1.0
 * @category combinators
 */
export const basicAuth: {
  (username: string, password: string | Redacted.Redacted<string>): (self: Request) => Request
  (self: Request, username: string, password: string | Redacted.Redacted<string>): Request
} = dual(3, (self: Request, username: string, password: string | Redacted.Redacted<string>) => {
  const secret = Redacted.isRedacted(password) ? Redacted.value(password) : password
  return setHeader(self, "Authorization", `Basic ${Encoding.encodeBase64(`${username}:${secret}`)}`)
})

/**
 * Sets a bearer token (RFC 6750); the token may be `Redacted`.
 *
 * @since 0.1.0
 * @category combinators
 */
export const bearerToken: {
  (token: string | Redacted.Redacted<string>): (self: Request) => Request
  (self: Request, token: string | Redacted.Redacted<string>): Request
} = dual(2, (self: Request, token: string | Redacted.Redacted<string>) =>
  setHeader(self, "Authorization", `Bearer ${Redacted.isRedacted(token) ? Redacted.value(token) : token}`),
)

/**
 * The method and redacted URL, for error messages.
 *
 * @since 0.1.0
 * @category conversions
 */
export const info = (self: Request): RequestInfo => ({ method: self.method, url: redactUrl(self.url) })
