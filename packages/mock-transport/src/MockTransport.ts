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
import { type HttpError, type Request, Response, Transport, type Url } from "@courier/core"
import * as Edition from "@courier/core/internal/edition"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import * as Ref from "effect/Ref"
import { makeEngine, routeName } from "./internal/engine.js"
import type { Incoming, Matcher } from "./internal/match.js"
import type { Fault, Reply } from "./internal/respond.js"

export type {
  /**
   * A pattern for the request body: `{ json }` (deep-equal), `{ text }`, `{ form }` fields, or a predicate.
   *
   * @since 0.1.0
   * @category models
   */
  BodyPattern,
  /**
   * Which server a route stands for: a host (`api.test`), a host and port (`api.test:8443`), a scheme and
   * host with an optional port (`https://api.test`), or a RegExp tested against `scheme://host:port`. One
   * layer can then stand in for several services at once.
   *
   * @since 0.5.0
   * @category models
   */
  OriginPattern,
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
  /** Which attempt of one call this was: 1, then 2 for its first retry by the Client's policy, and so on. */
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
export class MockTransport extends Edition.Service<
  MockTransport,
  { readonly calls: Effect.Effect<ReadonlyArray<Call>>; readonly connections: Effect.Effect<ConnectionStats> }
>()("@courier/mock-transport/MockTransport") {}

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
  /**
   * The protocol the simulated server speaks. Over `"HTTP/2"` responses say so, carry no
   * `Transfer-Encoding`, and every request to an origin shares one simulated connection (until a `goaway`
   * fault closes it), as the node transport multiplexes them.
   * @default "HTTP/1.1"
   */
  readonly version?: "HTTP/1.1" | "HTTP/2"
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
  /**
   * HTTP/2: the server refuses the stream (`RST_STREAM` with `REFUSED_STREAM`), so it was never processed.
   * A request whose body is in memory is sent again, up to twice (and gets the route's next answers); then,
   * or for a streamed body, `StreamReset` with code `REFUSED_STREAM`.
   */
  refusedStream: (): Fault => ({ _tag: "Fault", kind: "refusedStream" }),
  /**
   * HTTP/2: the server closes the connection with `GOAWAY` before processing the stream. It is sent again
   * on a new connection as for `refusedStream`; when the tries are spent, `StreamReset` with `goaway` true.
   */
  goaway: (): Fault => ({ _tag: "Fault", kind: "goaway" }),
  /** HTTP/2: the server resets the stream with the error code named (RFC 9113 §7): `StreamReset`. */
  resetStream: (code = "INTERNAL_ERROR"): Fault => ({ _tag: "Fault", kind: "resetStream", code }),
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
  Edition.service(MockTransport),
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
  Edition.service(MockTransport),
  (m) => m.connections,
)

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
  Edition.layerScopedContext(
    Effect.gen(function* () {
      const context = yield* Effect.context<R>()
      const { send, giveBack, history, used, stats } = yield* makeEngine(routes, context, options.version ?? "HTTP/1.1")

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
          return problems.length === 0 ? Effect.void : Effect.die(new Error(`MockTransport: ${problems.join("; ")}`))
        }),
      )

      const fetch = (request: Request.Request, url: Url.Url) => Effect.flatMap(send(request, url), Response.buffered)
      // A pinned transport: one simulated connection for all its requests, in order, given back at the end.
      const pin = (origin: Url.Origin) =>
        Effect.gen(function* () {
          const turn = yield* Edition.makeSemaphore(1)
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
          connections: Effect.sync(stats),
        }),
      )
    }),
  )
