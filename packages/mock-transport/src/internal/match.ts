/**
 * Route matching: each part of a route (method, path, query, headers, body) either matches the request
 * or says, in words, why not. The first route whose parts all match answers.
 * @internal
 */
import { Headers } from "@courier/core"
import { Result } from "@courier/core/internal/edition"

/** The request as routes see it. */
export interface Incoming {
  readonly method: string
  readonly url: string
  /** `http` or `https`. */
  readonly scheme: string
  /** The host, lower case, an IPv6 literal without brackets. */
  readonly host: string
  /** The port, the scheme's default when the URL gives none. */
  readonly port: number
  readonly path: string
  readonly query: URLSearchParams
  readonly headers: Headers.Headers
  readonly body: Uint8Array
  readonly text: string
}

export type PathPattern = string | RegExp | ((path: string) => boolean)
export type ValuePattern = string | RegExp
export type BodyPattern =
  | { readonly json: unknown }
  | { readonly text: ValuePattern }
  | { readonly form: Readonly<Record<string, string>> }
  | ((request: Incoming) => boolean)

/**
 * Which server a route stands for: a host (`api.test`, any scheme and port), a host and port
 * (`api.test:8443`), scheme and host with an optional port (`https://api.test`, port 443 then), or a RegExp
 * tested against `scheme://host:port` with the port always written.
 */
export type OriginPattern = string | RegExp

export interface Matcher {
  readonly origin?: OriginPattern
  readonly method?: string | ReadonlyArray<string>
  readonly path: PathPattern
  readonly query?: Readonly<Record<string, ValuePattern>>
  readonly headers?: Readonly<Record<string, ValuePattern>>
  readonly body?: BodyPattern
}

const test = (pattern: ValuePattern, value: string): boolean =>
  typeof pattern === "string" ? pattern === value : pattern.test(value)

const show = (pattern: ValuePattern): string =>
  typeof pattern === "string" ? JSON.stringify(pattern) : String(pattern)

/** A path segment percent-decoded, or undefined when an escape is malformed (`%E0%A4%A`, `%zz`). */
const decodeSegment = (segment: string): string | undefined => {
  try {
    return decodeURIComponent(segment)
  } catch {
    return undefined
  }
}

/** `/users/:id` against a path: the captured params, or why it does not match. */
const matchTemplate = (template: string, path: string): Result<Record<string, string>, string> => {
  const want = template.split("/")
  const got = path.split("/")
  const miss = Result.fail(`path ${path} does not match ${template}`)
  if (want.length !== got.length) return miss
  const params: Record<string, string> = {}
  for (const [i, w] of want.entries()) {
    const g = got[i] ?? ""
    if (w.startsWith(":") && g !== "") {
      const value = decodeSegment(g)
      if (value === undefined) return Result.fail(`path parameter ${w} has a malformed percent-escape: ${g}`)
      params[w.slice(1)] = value
    } else if (w !== g) return miss
  }
  return Result.succeed(params)
}

const deepEqual = (a: unknown, b: unknown): boolean => {
  if (Object.is(a, b)) return true
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false
  if (Array.isArray(a) !== Array.isArray(b)) return false
  const ka = Object.keys(a)
  const kb = Object.keys(b)
  return (
    ka.length === kb.length &&
    ka.every((k) => deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
  )
}

const bodyMatches = (pattern: BodyPattern, request: Incoming): string | undefined => {
  if (typeof pattern === "function") return pattern(request) ? undefined : "body predicate is false"
  if ("json" in pattern) {
    let parsed: unknown
    try {
      parsed = JSON.parse(request.text)
    } catch {
      return "body is not JSON"
    }
    return deepEqual(parsed, pattern.json) ? undefined : `body ${request.text.slice(0, 80)} is not the expected JSON`
  }
  if ("text" in pattern) return test(pattern.text, request.text) ? undefined : `body is not ${show(pattern.text)}`
  const form = new URLSearchParams(request.text)
  for (const [k, v] of Object.entries(pattern.form)) {
    if (form.get(k) !== v) return `form field ${k}=${JSON.stringify(form.get(k))} is not ${JSON.stringify(v)}`
  }
  return undefined
}

const DEFAULT_PORTS: Readonly<Record<string, number>> = { http: 80, https: 443 }

/** Why the request's origin is not the one `pattern` names, or undefined when it is. */
const originMismatch = (pattern: OriginPattern, request: Incoming): string | undefined => {
  const origin = `${request.scheme}://${request.host.includes(":") ? `[${request.host}]` : request.host}:${request.port}`
  const miss = `origin ${origin} is not ${show(pattern)}`
  if (pattern instanceof RegExp) return pattern.test(origin) ? undefined : miss
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(pattern)?.[1]?.toLowerCase()
  const rest = scheme === undefined ? pattern : pattern.slice(scheme.length + 3)
  const hostPort = /^(\[[^\]]*\]|[^:/]*)(?::(\d+))?\/?$/.exec(rest)
  if (hostPort === null) return `origin pattern ${show(pattern)} is not host, host:port or scheme://host[:port]`
  const host = (hostPort[1] ?? "").replace(/^\[|\]$/g, "").toLowerCase()
  const port =
    hostPort[2] === undefined ? (scheme === undefined ? undefined : DEFAULT_PORTS[scheme]) : Number(hostPort[2])
  if (scheme !== undefined && scheme !== request.scheme) return miss
  if (host !== request.host) return miss
  return port === undefined || port === request.port ? undefined : miss
}

/**
 * Matches a request: the path params when it matches, or why not. The parts are checked in the order
 * origin, method, path, query, headers, body, and the first mismatch is the reason given.
 */
export const match = (m: Matcher, request: Incoming): Result<Record<string, string>, string> => {
  if (m.origin !== undefined) {
    const why = originMismatch(m.origin, request)
    if (why !== undefined) return Result.fail(why)
  }
  if (m.method !== undefined) {
    const methods = (typeof m.method === "string" ? [m.method] : m.method).map((x) => x.toUpperCase())
    if (!methods.includes(request.method)) return Result.fail(`method ${request.method} is not ${methods.join(" or ")}`)
  }
  let params: Record<string, string> = {}
  if (typeof m.path === "string") {
    const found = matchTemplate(m.path, request.path)
    if (Result.isFailure(found)) return found
    params = Result.success(found)
  } else if (m.path instanceof RegExp) {
    const found = m.path.exec(request.path)
    if (found === null) return Result.fail(`path ${request.path} does not match ${m.path}`)
    params = { ...found.groups }
  } else if (!m.path(request.path)) return Result.fail(`path ${request.path} fails the path predicate`)
  for (const [key, pattern] of Object.entries(m.query ?? {})) {
    const actual = request.query.get(key)
    if (actual === null || !test(pattern, actual)) {
      return Result.fail(`query ${key}=${JSON.stringify(actual)} is not ${show(pattern)}`)
    }
  }
  for (const [name, pattern] of Object.entries(m.headers ?? {})) {
    const actual = Headers.get(request.headers, name)
    if (actual._tag === "None" || !test(pattern, actual.value)) {
      return Result.fail(
        `header ${name}: ${actual._tag === "None" ? "absent" : JSON.stringify(actual.value)} is not ${show(pattern)}`,
      )
    }
  }
  if (m.body !== undefined) {
    const why = bodyMatches(m.body, request)
    if (why !== undefined) return Result.fail(why)
  }
  return Result.succeed(params)
}
