/**
 * The mock's engine: which route answers a request, how its answer becomes a response or a typed fault,
 * which simulated connection carries it, and the record of every call. The public module wraps it in a
 * Layer and adds the end-of-scope checks.
 * @internal
 */

import { Headers, HttpError, Request, type Response, Transport, type Url } from "@courier/core"
import { fromResult, Result } from "@courier/core/internal/edition"
import * as Clock from "effect/Clock"
import type * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Ref from "effect/Ref"
import type { Answer, Call, ConnectionStats, MockRequest, Route } from "../MockTransport.js"
import { bodyBytes } from "./body.js"
import { millisOf } from "./duration.js"
import { type Incoming, match } from "./match.js"
import { type Fault, faultCut, faultError, type Reply, respond } from "./respond.js"

/** The engine of one layer. @internal */
export interface Engine {
  /** Sends a request; `pinned` holds the connection of a pinned transport, chosen on its first request. */
  readonly send: (
    request: Request.Request,
    url: Url.Url,
    pinned?: { id: number | undefined },
  ) => Effect.Effect<Response.Response, HttpError.HttpError>
  /** Returns a simulated connection to the idle set of its origin. */
  readonly giveBack: (key: string, id: number) => void
  readonly history: Ref.Ref<ReadonlyArray<Call>>
  /** How many answers each route has given, by index. */
  readonly used: ReadonlyArray<number>
  readonly stats: () => ConnectionStats
}

export const routeName = (route: Route<unknown>): string => {
  if (route.name !== undefined) return route.name
  const method =
    route.method === undefined ? "*" : typeof route.method === "string" ? route.method : route.method.join("|")
  return `${method} ${route.origin === undefined ? "" : String(route.origin)}${String(route.path)}`
}

const isFault = (answer: Reply | Fault): answer is Fault => "_tag" in answer && answer._tag === "Fault"

/** What one call carries through its routing: the request, where it goes, and how it is recorded. */
interface CallContext {
  readonly request: Request.Request
  readonly url: Url.Url
  readonly info: HttpError.RequestInfo
  readonly origin: { readonly host: string; readonly port: number }
  readonly pinned: { id: number | undefined } | undefined
  readonly deadlines: {
    readonly head: number | undefined
    readonly body: number | undefined
    readonly maxBytes: number | undefined
  }
  readonly record: (call: Omit<Call, "endedAt" | "attempt" | "startedAt">) => Effect.Effect<void>
}

type Connection = { readonly id: number; readonly reused: boolean }

/** A route's replies as a list: a sequence as it is, a single answer as a list of one. */
const answersOf = <R>(reply: Route<R>["reply"]): ReadonlyArray<Answer<R>> => (isList(reply) ? reply : [reply])

const isList = <A>(reply: A | ReadonlyArray<A>): reply is ReadonlyArray<A> => Array.isArray(reply)

/** What a server would receive: the headers as the HTTP/1.1 transport writes them, checked as it does. */
const incomingOf = (request: Request.Request, url: Url.Url): Effect.Effect<Incoming, HttpError.HttpError> =>
  Effect.gen(function* () {
    const headers = yield* fromResult(Request.wireHeaders(request, url))
    const body = yield* bodyBytes(request)
    const parsed = new URL(url.href)
    return {
      method: request.method,
      url: url.href,
      scheme: url.origin.scheme,
      host: url.origin.host.toLowerCase(),
      port: url.origin.port,
      path: parsed.pathname,
      query: parsed.searchParams,
      headers,
      body,
      text: new TextDecoder().decode(body),
    }
  })

const closes = (h: Headers.Headers) =>
  /\bclose\b/i.test(Headers.get(h, "connection").pipe((o) => (o._tag === "Some" ? o.value : "")))

/** How many times a refused HTTP/2 stream is sent again, as in the node transport. */
const MAX_REFUSED = 2

class MockEngine<R> implements Engine {
  readonly used: Array<number>
  private readonly idle = new Map<string, Array<number>>()
  /** Over HTTP/2: the one connection each origin's requests share. */
  private readonly shared = new Map<string, number>()
  private readonly counts = { opened: 0, reused: 0 }

  constructor(
    private readonly routes: ReadonlyArray<Route<R>>,
    private readonly context: Context.Context<R>,
    readonly history: Ref.Ref<ReadonlyArray<Call>>,
    private readonly version: "HTTP/1.1" | "HTTP/2",
  ) {
    this.used = routes.map(() => 0)
  }

  readonly stats = (): ConnectionStats => ({ ...this.counts })

  readonly giveBack = (key: string, id: number): void => {
    if (this.version === "HTTP/2") return
    this.idle.set(key, [...(this.idle.get(key) ?? []), id])
  }

  /** An idle simulated connection to the origin (over HTTP/2, its shared one), or a new one. */
  private take(key: string): Connection {
    if (this.version === "HTTP/2") {
      const id = this.shared.get(key)
      if (id !== undefined) {
        this.counts.reused++
        return { id, reused: true }
      }
      this.counts.opened++
      this.shared.set(key, this.counts.opened)
      return { id: this.counts.opened, reused: false }
    }
    const id = this.idle.get(key)?.pop()
    if (id !== undefined) {
      this.counts.reused++
      return { id, reused: true }
    }
    this.counts.opened++
    return { id: this.counts.opened, reused: false }
  }

  /** The connection a call is carried on: the pinned one, or one from the idle set. */
  private connect(ctx: CallContext): Connection {
    if (ctx.pinned?.id !== undefined) {
      this.counts.reused++
      return { id: ctx.pinned.id, reused: true }
    }
    const connection = this.take(ctx.url.origin.key)
    if (ctx.pinned !== undefined) ctx.pinned.id = connection.id
    return connection
  }

  /** How many requests route `i` has answered. */
  private usedOf(i: number): number {
    return this.used[i] ?? 0
  }

  /** The route's next answer: its list in order, the last one repeated; none for an empty list. */
  private answerFor(route: Route<R>, i: number): Answer<R> | undefined {
    const list = answersOf(route.reply)
    return list[Math.min(this.usedOf(i), list.length - 1)]
  }

  readonly send = (
    request: Request.Request,
    url: Url.Url,
    pinned?: { id: number | undefined },
  ): Effect.Effect<Response.Response, HttpError.HttpError> => {
    const self = this
    return Effect.gen(function* () {
      const startedAt = yield* Clock.currentTimeMillis
      const incoming = yield* incomingOf(request, url)
      const attempt = yield* Transport.currentAttempt
      const ctx: CallContext = {
        request,
        url,
        info: { method: request.method, url: Request.redactUrl(url.href) },
        origin: { host: url.origin.host, port: url.origin.port },
        pinned,
        deadlines: {
          head: millisOf(request.timeouts.head),
          body: millisOf(request.timeouts.body),
          maxBytes: request.maxResponseBytes,
        },
        record: (call) =>
          Effect.flatMap(Clock.currentTimeMillis, (endedAt) =>
            Ref.update(self.history, (all) => [...all, { ...call, startedAt, endedAt, attempt }]),
          ),
      }
      const reasons: Array<string> = []
      for (const [i, route] of self.routes.entries()) {
        const name = routeName(route)
        if (route.times !== undefined && self.usedOf(i) >= route.times) {
          reasons.push(`${name}: already answered ${route.times} time(s)`)
          continue
        }
        const matched = match(route, incoming)
        if (Result.isSuccess(matched))
          return yield* self.serve(ctx, route, i, { ...incoming, params: Result.success(matched) })
        reasons.push(`${name}: ${Result.failure(matched)}`)
      }
      const error = new HttpError.UnmatchedRequest({ request: ctx.info, reasons })
      const unmatched = { ...incoming, params: {} }
      yield* ctx.record({ request: unmatched, route: undefined, outcome: { error: error._tag }, connection: undefined })
      return yield* Effect.fail(error)
    })
  }

  /** Answers with route `i` until an answer is final: an idle-close on a reused connection moves on. */
  private serve(
    ctx: CallContext,
    route: Route<R>,
    i: number,
    mockRequest: MockRequest,
  ): Effect.Effect<Response.Response, HttpError.HttpError> {
    const name = routeName(route)
    const self = this
    return Effect.gen(function* () {
      const fail = (error: HttpError.HttpError, connection: Connection | undefined) =>
        Effect.andThen(
          ctx.record({ request: mockRequest, route: name, outcome: { error: error._tag }, connection }),
          Effect.fail(error),
        )
      let connection: Connection | undefined
      let refused = 0
      while (true) {
        const answer = self.answerFor(route, i)
        if (answer === undefined) {
          const reasons = [`${name}: its list of replies is empty`]
          return yield* fail(new HttpError.UnmatchedRequest({ request: ctx.info, reasons }), undefined)
        }
        self.used[i] = self.usedOf(i) + 1
        const resolved = yield* (
          typeof answer === "function" ? Effect.provide(answer(mockRequest), self.context) : Effect.succeed(answer)
        ).pipe(
          Effect.tapError((e) =>
            ctx.record({ request: mockRequest, route: name, outcome: { error: e._tag }, connection }),
          ),
        )
        if (isFault(resolved) && (resolved.kind === "refused" || resolved.kind === "dns" || resolved.kind === "tls")) {
          return yield* fail(faultError(resolved.kind, ctx.info, ctx.origin), undefined)
        }
        connection = self.connect(ctx)
        if (isFault(resolved) && resolved.kind === "idleClose") {
          const replayable = Request.isIdempotent(ctx.request) && ctx.request.body._tag !== "Stream"
          if (replayable) {
            connection = undefined
            continue
          }
          return yield* fail(faultError("idleClose", ctx.info, ctx.origin), { id: connection.id, reused: true })
        }
        if (isFault(resolved) && (resolved.kind === "refusedStream" || resolved.kind === "goaway")) {
          // Never processed: sent again, as the node transport does, when the body is in memory.
          if (resolved.kind === "goaway") self.shared.delete(ctx.url.origin.key)
          if (ctx.request.body._tag !== "Stream" && refused++ < MAX_REFUSED) {
            connection = undefined
            continue
          }
          return yield* fail(faultError(resolved.kind, ctx.info, ctx.origin), connection)
        }
        return yield* self.reply(ctx, resolved, connection, mockRequest, name)
      }
    })
  }

  /** The response (or typed fault) of a final answer on `conn`, recorded. */
  private reply(
    ctx: CallContext,
    resolved: Reply | Fault,
    conn: Connection,
    mockRequest: MockRequest,
    name: string,
  ): Effect.Effect<Response.Response, HttpError.HttpError> {
    const self = this
    return Effect.gen(function* () {
      const recordError = (e: HttpError.HttpError) =>
        ctx.record({ request: mockRequest, route: name, outcome: { error: e._tag }, connection: conn })
      const connectionInfo = { id: conn.id, reused: conn.reused, pinned: ctx.pinned !== undefined }
      let cut: ReturnType<typeof faultCut> | undefined
      let reply: Reply
      if (!isFault(resolved)) reply = resolved
      else {
        switch (resolved.kind) {
          case "stall": {
            // A silent server: only the head deadline (here) or the total one (in the Client) ends it.
            const head = ctx.deadlines.head
            if (head === undefined) return yield* Effect.never
            yield* Effect.sleep(head)
            const error = new HttpError.Timeout({ request: ctx.info, phase: "head", millis: head })
            return yield* Effect.andThen(recordError(error), Effect.fail(error))
          }
          case "resetAfter":
          case "closeMidBody":
            cut = faultCut(resolved, ctx.info)
            reply = resolved.reply
            break
          case "resetStream": {
            const code = HttpError.HTTP2_ERROR_CODES.indexOf(resolved.code)
            const error = new HttpError.StreamReset({
              request: ctx.info,
              code: resolved.code,
              errorCode: code,
              goaway: false,
            })
            return yield* Effect.andThen(recordError(error), Effect.fail(error))
          }
          case "resetBeforeHead":
          case "refused":
          case "dns":
          case "tls":
          case "idleClose":
          case "refusedStream":
          case "goaway": {
            // The connection faults reach here only as resets before the head (serve handles the others).
            const error = faultError(resolved.kind, ctx.info, ctx.origin)
            return yield* Effect.andThen(recordError(error), Effect.fail(error))
          }
        }
      }
      const response = yield* respond(reply, ctx.info, ctx.deadlines, connectionInfo, self.version, cut).pipe(
        Effect.tapError(recordError),
      )
      yield* ctx.record({ request: mockRequest, route: name, outcome: { status: response.status }, connection: conn })
      if (cut !== undefined) return response
      const keep = !closes(ctx.request.headers) && !closes(response.headers)
      if (ctx.pinned !== undefined) {
        if (!keep) ctx.pinned.id = undefined
      } else if (keep) self.giveBack(ctx.url.origin.key, conn.id)
      return response
    })
  }
}

/** Builds the engine for `routes`; handlers run with `context`. @internal */
export const makeEngine = <R>(
  routes: ReadonlyArray<Route<R>>,
  context: Context.Context<R>,
  version: "HTTP/1.1" | "HTTP/2",
): Effect.Effect<Engine> =>
  Effect.map(Ref.make<ReadonlyArray<Call>>([]), (history) => new MockEngine(routes, context, history, version))
