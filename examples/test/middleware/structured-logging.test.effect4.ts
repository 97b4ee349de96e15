import { Client, Request } from "@courier/core"
import { MockTransport } from "@courier/mock-transport"
import { expect, it } from "@effect/vitest"
import { Effect, Logger, References, Result } from "effect"

/** The URL as the server sees it (params included), with credentials and secret query values hidden. */
const shown = (request: Request.Request) =>
  Request.redactUrl(Result.getOrElse(Request.urlAsSent(request), () => request.url))

/** One log line per call, with method, URL, status and duration as annotations, and failures at Warning. */
const logged = Client.middleware((request, next) =>
  Effect.timed(next(request)).pipe(
    Effect.tap(([took, response]) =>
      Effect.logInfo("http call").pipe(
        Effect.annotateLogs({
          method: request.method,
          url: shown(request),
          status: response.status,
          ms: took.toJSON(),
        }),
      ),
    ),
    Effect.tapError((error) =>
      Effect.logWarning("http call failed").pipe(Effect.annotateLogs({ url: shown(request), error: error._tag })),
    ),
    Effect.map(([, response]) => response),
  ),
)

it.effect("each call is one structured log entry; a failure is logged at Warning", () =>
  Effect.gen(function* () {
    const entries: Array<Record<string, unknown>> = []
    const capture = Logger.make(({ logLevel, message, fiber }) => {
      entries.push({ level: logLevel, message, ...fiber.getRef(References.CurrentLogAnnotations) })
    })
    const client = (yield* Client.makeBare).pipe(logged)
    yield* client
      .fetch(Request.get("http://api.test/ok", { params: { page: 2, api_key: "k-123" } }))
      .pipe(Effect.provide(Logger.layer([capture])))
    yield* Effect.flip(client.fetch(Request.get("http://api.test/down"))).pipe(Effect.provide(Logger.layer([capture])))
    expect(entries.map(({ level, message, url, status, error }) => [level, message, url, status ?? error])).toEqual([
      ["Info", ["http call"], "http://api.test/ok?page=2&api_key=<redacted>", 200],
      ["Warn", ["http call failed"], "http://api.test/down", "HTTPConnectionError"],
    ])
  }).pipe(
    Effect.provide(
      MockTransport.layer([
        { path: "/ok", reply: { status: 200 } },
        { path: "/down", reply: MockTransport.fault.refused() },
      ]),
    ),
  ),
)
