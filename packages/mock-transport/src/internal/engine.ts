/**
 * The mock's engine: which route answers a request, how its answer becomes a response or a typed fault,
 * which simulated connection carries it, and the record of every call. The public module wraps it in a
 * Layer and adds the end-of-scope checks.
 * @internal
 */

import { Headers, HttpError, Request, type Response, Transport, type Url } from "@courier/core"
import * as Clock from "effect/Clock"
import type * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as FiberRef from "effect/FiberRef"
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

export const routeName = (route: Route<unknown>): string =>
  route.name ??
  `${route.method === undefined ? "*" : typeof route.method === "string" ? route.method : route.method.join("|")} ${String(route.path)}`

const isFault = (answer: Reply | Fault): answer is Fault => "_tag" in answer && answer._tag === "Fault"

/** Builds the engine for `routes`; handlers run with `context`. @internal */
export const makeEngine = <R>(routes: ReadonlyArray<Route<R>>, context: Context.Context<R>): Effect.Effect<Engine> =>
  Effect.gen(function* () {
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

    const send = (
      request: Request.Request,
      url: Url.Url,
      pinned?: { id: number | undefined },
    ): Effect.Effect<Response.Response, HttpError.HttpError> =>
      Effect.gen(function* () {
        const startedAt = yield* Clock.currentTimeMillis
        // What a server would receive: the headers as the HTTP/1.1 transport writes them, checked as it does.
        const headers = yield* Request.wireHeaders(request, url)
        const body = yield* bodyBytes(request)
        const parsed = new URL(url.href)
        const incoming: Incoming = {
          method: request.method,
          url: url.href,
          path: parsed.pathname,
          query: parsed.searchParams,
          headers,
          body,
          text: new TextDecoder().decode(body),
        }
        const info = { method: request.method, url: url.href }
        const attempt = yield* FiberRef.get(Transport.currentAttempt)
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
          const deadlines = {
            head: millisOf(request.timeouts.head),
            body: millisOf(request.timeouts.body),
            maxBytes: request.maxResponseBytes,
          }
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
              const replayable = Request.isIdempotent(request) && request.body._tag !== "Stream"
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

    return { send, giveBack, history, used, stats: () => ({ ...stats }) }
  })
