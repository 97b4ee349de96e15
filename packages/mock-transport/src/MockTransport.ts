/**
 * A Transport for application tests: routes answer requests with values, Effect handlers or typed faults,
 * with latency on the Effect Clock, and no sockets.
 *
 * Provide `MockTransport.layer(routes)` where the application expects a Transport. Routes are tried in the
 * order given and the first whose every part matches answers (method, path with `:params`, a RegExp or a
 * predicate, query, headers, body). A route may answer with a sequence — `[fault.resetBeforeHead(),
 * { status: 200 }]` fails once then succeeds, the last answer repeating — and `times` limits how often it
 * matches. Latency (`delay`, `chunkDelay`) runs on the Effect Clock, so TestClock drives the client's
 * timeouts and retries. Every call is recorded as data; when the layer's scope closes, a required route
 * never called, or a request no route matched, fails the test. Nothing is global: layers are isolated.
 *
 * @since 0.1.0
 */
import { Headers, HttpError, type Request, Response, Transport, type Url } from "@courier/core"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Ref from "effect/Ref"
import { bodyBytes } from "./internal/body.js"
import { type Incoming, type Matcher, match } from "./internal/match.js"
import { type Fault, faultCut, faultError, type Reply, respond } from "./internal/respond.js"

export type {
  /**
   * A pattern for the request body: `{ json }` (deep-equal), `{ text }`, `{ form }` fields, or a predicate.
   *
   * @since 0.1.0
   * @category models
   */
  BodyPattern,
  /**
   * A route's path pattern: a template with `:params`, a RegExp (named groups become params), or a predicate.
   *
   * @since 0.1.0
   * @category models
   */
  PathPattern,
  /**
   * A pattern for a query or header value: the exact string, or a RegExp.
   *
   * @since 0.1.0
   * @category models
   */
  ValuePattern,
} from "./internal/match.js"
export type {
  /**
   * A simulated network failure (see `fault`).
   *
   * @since 0.1.0
   * @category models
   */
  Fault,
  /**
   * A reply as a value: status, headers, a body (`text`, `json`, `bytes`, `chunks` or `stream`), trailers,
   * and latency before the head (`delay`) and between body chunks (`chunkDelay`).
   *
   * @since 0.1.0
   * @category models
   */
  Reply,
} from "./internal/respond.js"

/**
 * The request as a route sees it.
 *
 * @since 0.1.0
 * @category models
 */
export interface MockRequest extends Incoming {
  /** Values of the route's `:name` path segments or RegExp named groups. */
  readonly params: Readonly<Record<string, string>>
}

/**
 * An Effect handler: computes the reply, may use services (Ref, Deferred …) and may fail with an HttpError.
 *
 * @since 0.1.0
 * @category models
 */
export type Handler<R> = (request: MockRequest) => Effect.Effect<Reply | Fault, HttpError.HttpError, R>

/**
 * What a route answers with.
 *
 * @since 0.1.0
 * @category models
 */
export type Answer<R> = Reply | Fault | Handler<R>

/**
 * A route: what to match and how to answer.
 *
 * @since 0.1.0
 * @category models
 */
export interface Route<R = never> extends Matcher {
  /** A name for history and messages; defaults to `METHOD path`. */
  readonly name?: string
  /** One answer, or a sequence answered in order whose last answer repeats. */
  readonly reply: Answer<R> | ReadonlyArray<Answer<R>>
  /** How many requests the route answers before it stops matching. */
  readonly times?: number
  /** The route must be called at least once before the layer's scope closes. */
  readonly required?: boolean
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
  /** Clock time (ms) the request arrived and its answer was ready; TestClock time in tests. */
  readonly startedAt: number
  readonly endedAt: number
  /** 1 for the first call with this method and URL, 2 for the next (a retry), and so on. */
  readonly attempt: number
  /** The simulated connection that carried it, and whether it was reused (undefined if none opened). */
  readonly connection: { readonly id: number; readonly reused: boolean } | undefined
}

/**
 * Connections the mock has simulated.
 *
 * @since 0.1.0
 * @category models
 */
export interface ConnectionStats {
  readonly opened: number
  readonly reused: number
}

/**
 * The mock's own service: history and connection counts.
 *
 * @since 0.1.0
 * @category tags
 */
export class MockTransport extends Context.Tag("@courier/mock-transport/MockTransport")<
  MockTransport,
  { readonly calls: Effect.Effect<ReadonlyArray<Call>>; readonly connections: Effect.Effect<ConnectionStats> }
>() {}

/**
 * Options of the layer.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /**
   * Let requests that match no route fail with `UnmatchedRequest` without failing the test at scope close.
   * @default false
   */
  readonly allowUnmatched?: boolean
}

/**
 * Simulated failures, each surfacing as the typed error the node transport gives in the same situation.
 *
 * @since 0.1.0
 * @category faults
 */
export const fault = {
  /** Nothing listens: `HTTPConnectionError` with code ECONNREFUSED. */
  refused: (): Fault => ({ _tag: "Fault", kind: "refused" }),
  /** The name does not resolve: `HTTPConnectionError` with code ENOTFOUND. */
  dns: (): Fault => ({ _tag: "Fault", kind: "dns" }),
  /** The certificate is not trusted: `HTTPConnectionError` with code UNABLE_TO_VERIFY_LEAF_SIGNATURE. */
  tls: (): Fault => ({ _tag: "Fault", kind: "tls" }),
  /** The server resets the connection before the head: `IOError` ECONNRESET. */
  resetBeforeHead: (): Fault => ({ _tag: "Fault", kind: "resetBeforeHead" }),
  /** The server answers `reply`'s head and `bytes` of its body, then resets: `IOError` ECONNRESET. */
  resetAfter: (bytes: number, reply: Reply): Fault => ({ _tag: "Fault", kind: "resetAfter", bytes, reply }),
  /** The server answers `reply`'s head and `bytes` of its body, then closes: `IncompleteRead`. */
  closeMidBody: (bytes: number, reply: Reply): Fault => ({ _tag: "Fault", kind: "closeMidBody", bytes, reply }),
  /** The server never answers: only a deadline ends the request. */
  stall: (): Fault => ({ _tag: "Fault", kind: "stall" }),
  /**
   * The server had closed the idle keep-alive connection: an idempotent request is sent again on a fresh
   * connection (and gets the route's next answer), any other fails with `BadStatusLine` (empty line).
   */
  idleClose: (): Fault => ({ _tag: "Fault", kind: "idleClose" }),
} as const

/**
 * The route answers once, then stops matching.
 *
 * @since 0.1.0
 * @category combinators
 */
export const once = <R>(route: Route<R>): Route<R> => ({ ...route, times: 1 })

/**
 * The route answers `n` times, then stops matching.
 *
 * @since 0.1.0
 * @category combinators
 */
export const times = <R>(n: number, route: Route<R>): Route<R> => ({ ...route, times: n })

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

/**
 * The calls a named route answered.
 *
 * @since 0.1.0
 * @category history
 */
export const callsTo = (route: string): Effect.Effect<ReadonlyArray<Call>, never, MockTransport> =>
  Effect.map(calls, (all) => all.filter((c) => c.route === route))

/**
 * Connections opened and reused so far.
 *
 * @since 0.1.0
 * @category history
 */
export const connections: Effect.Effect<ConnectionStats, never, MockTransport> = Effect.flatMap(
  MockTransport,
  (m) => m.connections,
)

const routeName = (route: Route<unknown>): string =>
  route.name ??
  `${route.method === undefined ? "*" : typeof route.method === "string" ? route.method : route.method.join("|")} ${String(route.path)}`

const isFault = (answer: Reply | Fault): answer is Fault => "_tag" in answer && answer._tag === "Fault"
const idempotent = new Set(["GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"])

const millisOf = (d: Duration.DurationInput | undefined) =>
  d === undefined ? undefined : Duration.toMillis(Duration.decode(d))

/**
 * A Transport answering from `routes`, with the history service beside it.
 *
 * @example
 * ```ts
 * const mock = MockTransport.layer([
 *   { method: "GET", path: "/users/:id", reply: (req) => Effect.succeed({ status: 200, json: { id: req.params.id } }) },
 *   { method: "POST", path: "/orders", reply: [MockTransport.fault.resetBeforeHead(), { status: 201 }] },
 * ])
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = <R = never>(
  routes: ReadonlyArray<Route<R>>,
  options: Options = {},
): Layer.Layer<Transport.Transport | MockTransport, never, R> =>
  Layer.scopedContext(
    Effect.gen(function* () {
      const context = yield* Effect.context<R>()
      const history = yield* Ref.make<ReadonlyArray<Call>>([])
      const used = routes.map(() => 0)
      const idle = new Map<string, Array<number>>()
      const stats = { opened: 0, reused: 0 }

      const take = (key: string): { id: number; reused: boolean } => {
        const id = idle.get(key)?.pop()
        if (id !== undefined) {
          stats.reused++
          return { id, reused: true }
        }
        stats.opened++
        return { id: stats.opened, reused: false }
      }
      const giveBack = (key: string, id: number) => idle.set(key, [...(idle.get(key) ?? []), id])

      const answerFor = (i: number): Answer<R> => {
        const route = routes[i] as Route<R>
        const list = Array.isArray(route.reply) ? (route.reply as ReadonlyArray<Answer<R>>) : [route.reply as Answer<R>]
        return list[Math.min(used[i] as number, list.length - 1)] as Answer<R>
      }

      /** Sends a request; `pinned` holds the connection of a pinned transport, chosen on its first request. */
      const send = (
        request: Request.Request,
        url: Url.Url,
        pinned?: { id: number | undefined },
      ): Effect.Effect<Response.Response, HttpError.HttpError> =>
        Effect.gen(function* () {
          const startedAt = yield* Clock.currentTimeMillis
          const body = yield* bodyBytes(request)
          const parsed = new URL(url.href)
          const incoming: Incoming = {
            method: request.method,
            url: url.href,
            path: parsed.pathname,
            query: parsed.searchParams,
            headers: request.headers,
            body,
            text: new TextDecoder().decode(body),
          }
          const info = { method: request.method, url: url.href }
          const attempt =
            1 +
            (yield* Ref.get(history)).filter((c) => c.request.method === info.method && c.request.url === info.url)
              .length
          const record = (call: Omit<Call, "endedAt" | "attempt" | "startedAt">) =>
            Effect.flatMap(Clock.currentTimeMillis, (endedAt) =>
              Ref.update(history, (all) => [...all, { ...call, startedAt, endedAt, attempt }]),
            )

          const reasons: Array<string> = []
          for (let i = 0; i < routes.length; i++) {
            const route = routes[i] as Route<R>
            const name = routeName(route)
            if (route.times !== undefined && (used[i] as number) >= route.times) {
              reasons.push(`${name}: already answered ${route.times} time(s)`)
              continue
            }
            const matched = match(route, incoming)
            if (Either.isLeft(matched)) {
              reasons.push(`${name}: ${matched.left}`)
              continue
            }
            const mockRequest: MockRequest = { ...incoming, params: matched.right }
            const deadlines = { head: millisOf(request.timeouts.head), body: millisOf(request.timeouts.body) }
            const origin = { host: url.origin.host, port: url.origin.port }

            // Answers until one is final: an idle-close on a reused connection moves on to the next answer.
            let connection: { id: number; reused: boolean } | undefined
            while (true) {
              const answer = answerFor(i)
              used[i] = (used[i] as number) + 1
              const resolved = yield* (
                typeof answer === "function" ? Effect.provide(answer(mockRequest), context) : Effect.succeed(answer)
              ).pipe(
                Effect.tapError((e) =>
                  record({ request: mockRequest, route: name, outcome: { error: e._tag }, connection }),
                ),
              )
              if (isFault(resolved) && ["refused", "dns", "tls"].includes(resolved.kind)) {
                const error = faultError(resolved.kind, info, origin)
                yield* record({
                  request: mockRequest,
                  route: name,
                  outcome: { error: error._tag },
                  connection: undefined,
                })
                return yield* Effect.fail(error)
              }
              if (pinned?.id !== undefined) {
                stats.reused++
                connection = { id: pinned.id, reused: true }
              } else {
                connection = take(url.origin.key)
                if (pinned !== undefined) pinned.id = connection.id
              }
              if (isFault(resolved) && resolved.kind === "idleClose") {
                const replayable = idempotent.has(request.method) && request.body._tag !== "Stream"
                if (!connection.reused) connection = { id: connection.id, reused: true }
                if (replayable) {
                  connection = undefined
                  continue
                }
                const error = faultError("idleClose", info, origin)
                yield* record({ request: mockRequest, route: name, outcome: { error: error._tag }, connection })
                return yield* Effect.fail(error)
              }
              const conn = connection
              const connectionInfo = { id: conn.id, reused: conn.reused, pinned: pinned !== undefined }
              if (isFault(resolved)) {
                if (resolved.kind === "stall") {
                  // A silent server: only the head deadline (here) or the total one (in the Client) ends it.
                  if (deadlines.head === undefined) return yield* Effect.never
                  yield* Effect.sleep(deadlines.head)
                  const error = new HttpError.Timeout({ request: info, phase: "head", millis: deadlines.head })
                  yield* record({ request: mockRequest, route: name, outcome: { error: error._tag }, connection: conn })
                  return yield* Effect.fail(error)
                }
                if (resolved.kind === "resetBeforeHead") {
                  const error = faultError("resetBeforeHead", info, origin)
                  yield* record({ request: mockRequest, route: name, outcome: { error: error._tag }, connection: conn })
                  return yield* Effect.fail(error)
                }
                if (resolved.kind === "resetAfter" || resolved.kind === "closeMidBody") {
                  const response = yield* respond(
                    resolved.reply,
                    info,
                    deadlines,
                    connectionInfo,
                    faultCut(resolved, info),
                  )
                  yield* record({
                    request: mockRequest,
                    route: name,
                    outcome: { status: response.status },
                    connection: conn,
                  })
                  return response
                }
              }
              const reply = resolved as Reply
              const response = yield* respond(reply, info, deadlines, connectionInfo).pipe(
                Effect.tapError((e) =>
                  record({ request: mockRequest, route: name, outcome: { error: e._tag }, connection: conn }),
                ),
              )
              yield* record({
                request: mockRequest,
                route: name,
                outcome: { status: response.status },
                connection: conn,
              })
              const closes = (h: Headers.Headers) =>
                /\bclose\b/i.test(Headers.get(h, "connection").pipe((o) => (o._tag === "Some" ? o.value : "")))
              const keep = !closes(request.headers) && !closes(response.headers)
              if (pinned !== undefined) {
                if (!keep) pinned.id = undefined
              } else if (keep) giveBack(url.origin.key, conn.id)
              return response
            }
          }
          const error = new HttpError.UnmatchedRequest({ request: info, reasons })
          yield* record({
            request: { ...incoming, params: {} },
            route: undefined,
            outcome: { error: error._tag },
            connection: undefined,
          })
          return yield* Effect.fail(error)
        })

      // When the layer's scope closes: required routes never called, and unmatched requests, fail the test.
      yield* Effect.addFinalizer(() =>
        Effect.flatMap(Ref.get(history), (all) => {
          const problems: Array<string> = []
          routes.forEach((route, i) => {
            if (route.required === true && used[i] === 0)
              problems.push(`required route ${routeName(route)} was never called`)
          })
          if (options.allowUnmatched !== true) {
            for (const c of all.filter((c) => c.route === undefined)) {
              problems.push(`no route matched ${c.request.method} ${c.request.url}`)
            }
          }
          return problems.length === 0 ? Effect.void : Effect.dieMessage(`MockTransport: ${problems.join("; ")}`)
        }),
      )

      const fetch = (request: Request.Request, url: Url.Url) => Effect.flatMap(send(request, url), Response.buffered)
      // A pinned transport: one simulated connection for all its requests, in order, given back at the end.
      const pin = (origin: Url.Origin) =>
        Effect.gen(function* () {
          const turn = yield* Effect.makeSemaphore(1)
          const held: { id: number | undefined } = { id: undefined }
          yield* Effect.addFinalizer(() =>
            Effect.sync(() => {
              if (held.id !== undefined) giveBack(origin.key, held.id)
            }),
          )
          const run = (request: Request.Request, url: Url.Url) =>
            turn.withPermits(1)(Effect.flatMap(send(request, url, held), Response.buffered))
          return Transport.Transport.of({ send: run, fetch: run })
        })
      return Context.make(Transport.Transport, Transport.Transport.of({ send, fetch, pin })).pipe(
        Context.add(MockTransport, {
          calls: Ref.get(history),
          connections: Effect.sync(() => ({ ...stats })),
        }),
      )
    }),
  )
