/**
 * A Transport for application tests: routes answer requests with values or Effect handlers, no sockets.
 *
 * Provide `MockTransport.layer(routes)` where the application expects a Transport. Routes are tried in
 * order and the first that matches answers. A request no route matches fails with `UnmatchedRequest`,
 * whose message says, route by route, why it missed. Every call is recorded as data, read with
 * `MockTransport.calls`. Nothing is global: two tests with two layers never see each other's routes.
 *
 * @since 0.1.0
 */
import { Body, Headers, HttpError, type Request, Response, Transport, type Url } from "@courier/core"
import * as Chunk from "effect/Chunk"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Ref from "effect/Ref"
import * as Stream from "effect/Stream"

/**
 * The request as a route sees it.
 *
 * @since 0.1.0
 * @category models
 */
export interface MockRequest {
  readonly method: string
  readonly url: string
  readonly path: string
  readonly query: URLSearchParams
  /** Values of the route's `:name` path segments. */
  readonly params: Readonly<Record<string, string>>
  readonly headers: Headers.Headers
  readonly body: Uint8Array
  /** The body decoded as UTF-8. */
  readonly text: string
}

/**
 * A reply: status, headers and one of `text`, `json` or `bytes` as the body.
 *
 * @since 0.1.0
 * @category models
 */
export interface Reply {
  readonly status: number
  readonly reason?: string
  readonly headers?: Headers.Input
  readonly text?: string
  readonly json?: unknown
  readonly bytes?: Uint8Array
}

/**
 * A route: what to match (method, path with `:params`, query) and how to reply.
 *
 * @since 0.1.0
 * @category models
 */
export interface Route<R = never> {
  /** A name for history and messages; defaults to `METHOD path`. */
  readonly name?: string
  /** The method to match; any method when absent. */
  readonly method?: string
  /** The path to match; `:name` segments match one segment and are captured. */
  readonly path: string
  /** Query params that must be present with these values. */
  readonly query?: Readonly<Record<string, string>>
  readonly reply: Reply | ((request: MockRequest) => Effect.Effect<Reply, HttpError.HttpError, R>)
}

/**
 * One recorded call.
 *
 * @since 0.1.0
 * @category models
 */
export interface Call {
  readonly request: MockRequest
  /** The name of the route that answered, or undefined when none matched. */
  readonly route: string | undefined
  /** The status replied, or the tag of the error the call failed with. */
  readonly outcome: { readonly status: number } | { readonly error: string }
}

/**
 * The mock's own service: its call history.
 *
 * @since 0.1.0
 * @category tags
 */
export class MockTransport extends Context.Tag("@courier/mock-transport/MockTransport")<
  MockTransport,
  { readonly calls: Effect.Effect<ReadonlyArray<Call>> }
>() {}

/**
 * Every call the mock has seen, in order.
 *
 * @since 0.1.0
 * @category history
 */
export const calls: Effect.Effect<ReadonlyArray<Call>, never, MockTransport> = Effect.flatMap(
  MockTransport,
  (m) => m.calls,
)

const routeName = (route: Route<unknown>): string => route.name ?? `${route.method ?? "*"} ${route.path}`

/** Why the route does not match, or the captured path params when it does. */
const match = (
  route: Route<unknown>,
  method: string,
  path: string,
  query: URLSearchParams,
): Either.Either<Record<string, string>, string> => {
  if (route.method !== undefined && route.method.toUpperCase() !== method) {
    return Either.left(`method ${method} is not ${route.method.toUpperCase()}`)
  }
  const want = route.path.split("/")
  const got = path.split("/")
  if (want.length !== got.length) return Either.left(`path ${path} does not match ${route.path}`)
  const params: Record<string, string> = {}
  for (let i = 0; i < want.length; i++) {
    const w = want[i] as string
    const g = got[i] as string
    if (w.startsWith(":") && g !== "") params[w.slice(1)] = decodeURIComponent(g)
    else if (w !== g) return Either.left(`path ${path} does not match ${route.path}`)
  }
  for (const [key, value] of Object.entries(route.query ?? {})) {
    const actual = query.get(key)
    if (actual !== value) {
      return Either.left(`query ${key}=${JSON.stringify(actual)} is not ${JSON.stringify(value)}`)
    }
  }
  return Either.right(params)
}

const utf8 = new TextEncoder()

const replyBody = (reply: Reply): { readonly bytes: Uint8Array; readonly type: string | undefined } => {
  if (reply.bytes !== undefined) return { bytes: reply.bytes, type: "application/octet-stream" }
  if (reply.json !== undefined) return { bytes: utf8.encode(JSON.stringify(reply.json)), type: "application/json" }
  if (reply.text !== undefined) return { bytes: utf8.encode(reply.text), type: "text/plain; charset=utf-8" }
  return { bytes: new Uint8Array(0), type: undefined }
}

const bodyBytes = (request: Request.Request): Effect.Effect<Uint8Array, HttpError.HttpError> => {
  const encoded = Body.encode(request.body)
  if (Either.isLeft(encoded))
    return Effect.fail(new HttpError.EncodeError({ request: info(request), reason: encoded.left }))
  const body = encoded.right
  if (body._tag === "Fixed") return Effect.succeed(body.bytes)
  return Stream.runCollect(body.stream).pipe(
    Effect.map((chunks) => {
      const all = Chunk.toReadonlyArray(chunks)
      const out = new Uint8Array(all.reduce((n, c) => n + c.length, 0))
      let at = 0
      for (const c of all) {
        out.set(c, at)
        at += c.length
      }
      return out
    }),
    Effect.mapError((e) => new HttpError.EncodeError({ request: info(request), reason: String(e) })),
  )
}

const info = (request: Request.Request) => ({ method: request.method, url: request.url })

/**
 * A Transport answering from `routes`, with the history service beside it.
 *
 * @example
 * ```ts
 * const mock = MockTransport.layer([
 *   { method: "GET", path: "/users/:id", reply: (req) => Effect.succeed({ status: 200, json: { id: req.params.id } }) },
 * ])
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = <R = never>(
  routes: ReadonlyArray<Route<R>>,
): Layer.Layer<Transport.Transport | MockTransport, never, R> =>
  Layer.effectContext(
    Effect.gen(function* () {
      const context = yield* Effect.context<R>()
      const history = yield* Ref.make<ReadonlyArray<Call>>([])
      const record = (call: Call) => Ref.update(history, (calls) => [...calls, call])

      const send = (request: Request.Request, url: Url.Url) =>
        Effect.gen(function* () {
          const body = yield* bodyBytes(request)
          const parsed = new URL(url.href)
          const base = {
            method: request.method,
            url: url.href,
            path: parsed.pathname,
            query: parsed.searchParams,
            headers: request.headers,
            body,
            text: new TextDecoder().decode(body),
          }
          const reasons: Array<string> = []
          for (const route of routes) {
            const matched = match(route, request.method, parsed.pathname, parsed.searchParams)
            if (Either.isLeft(matched)) {
              reasons.push(`${routeName(route)}: ${matched.left}`)
              continue
            }
            const mockRequest: MockRequest = { ...base, params: matched.right }
            const name = routeName(route)
            const reply = yield* (
              typeof route.reply === "function"
                ? Effect.provide(route.reply(mockRequest), context)
                : Effect.succeed(route.reply)
            ).pipe(Effect.tapError((e) => record({ request: mockRequest, route: name, outcome: { error: e._tag } })))
            yield* record({ request: mockRequest, route: name, outcome: { status: reply.status } })
            const { bytes, type } = replyBody(reply)
            let headers = Headers.fromInput(reply.headers)
            if (type !== undefined && !Headers.has(headers, "content-type"))
              headers = Headers.set(headers, "Content-Type", type)
            return Response.make({
              request: { method: request.method, url: url.href },
              status: reply.status,
              reason: reply.reason ?? "",
              headers,
              contentLength: bytes.length,
              body: bytes,
            })
          }
          const error = new HttpError.UnmatchedRequest({ request: { method: request.method, url: url.href }, reasons })
          yield* record({ request: { ...base, params: {} }, route: undefined, outcome: { error: error._tag } })
          return yield* Effect.fail(error)
        })

      return Context.make(Transport.Transport, Transport.Transport.of({ send, fetch: send })).pipe(
        Context.add(MockTransport, { calls: Ref.get(history) }),
      )
    }),
  )
