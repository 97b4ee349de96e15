// Spans, trace-context propagation and pool metrics.
import { Client, Headers, Http1Transport, Request, Retry } from "@courier/core"
import { MockTransport, ScriptedPeer } from "@courier/mock-transport"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import { scoped, seriesOf, TestClock, withDebugLog } from "../../core/test/edition.js"
import { gaugeValue } from "../../core/test/gauges.js"
import { recording } from "./recording.js"

const routes: ReadonlyArray<MockTransport.Route> = [
  { path: "/start", reply: { status: 302, headers: { Location: "/flaky" } } },
  { path: "/flaky", reply: [{ status: 503 }, { status: 200, text: "ok" }] },
]

describe("spans", () => {
  it.effect("one span per request, and one per attempt and redirect hop, with OpenTelemetry attribute names", () =>
    Effect.gen(function* () {
      const { tracer, spans } = recording()
      yield* Client.get("http://user:pw@api.test/start").pipe(Effect.withTracer(tracer))
      const [request, ...attempts] = spans
      // OpenTelemetry's HTTP conventions: each physical request a CLIENT span named {method}, inside an
      // INTERNAL span for the call.
      expect([request?.name, request?.kind]).toEqual(["GET", "internal"])
      expect(attempts.map((s) => [s.name, s.kind])).toEqual([
        ["GET", "client"],
        ["GET", "client"],
        ["GET", "client"],
      ])
      expect(Object.fromEntries(request?.attributes ?? [])).toMatchObject({
        "http.request.method": "GET",
        "url.full": "http://api.test/start",
        "server.address": "api.test",
        "server.port": 80,
        "http.response.status_code": 200,
      })
      expect(
        attempts.map((s) => [
          s.attributes.get("courier.redirect.hop"),
          s.attributes.get("http.request.resend_count"),
          s.attributes.get("http.response.status_code"),
        ]),
      ).toEqual([
        // http.request.resend_count counts retries and redirects alike, and is absent on the first request.
        [0, undefined, 302],
        [1, 1, 503],
        [1, 2, 200],
      ])
      expect(attempts.every((s) => s.attributes.get("network.protocol.version") === "1.1")).toBe(true)
      const statuses = (yield* seriesOf("http.client.request.duration")).map((s) => s["http.response.status_code"])
      expect([...statuses].sort()).toEqual(["200", "302", "503"])
      expect(attempts.every((s) => s.parentId === request?.spanId && s.ended)).toBe(true)
      const sent = (yield* MockTransport.calls).map((c) =>
        Option.getOrUndefined(Headers.get(c.request.headers, "traceparent")),
      )
      expect(sent).toEqual(attempts.map((s) => `00-${s.traceId}-${s.spanId}-01`))
      expect(JSON.stringify([...spans.flatMap((s) => [...s.attributes.values()])])).not.toContain("pw")
    }).pipe(
      Effect.provide(
        Client.layer({ retry: Retry.make({ schedule: Schedule.recurs(2) }) }).pipe(
          Layer.provideMerge(MockTransport.layer(routes)),
        ),
      ),
    ),
  )

  it.effect("secret query parameters are hidden in spans, the debug log and errors; a client names its own", () =>
    Effect.gen(function* () {
      const url = "http://api.test/down?q=1&api_key=k-123&mine=m-456"
      const seen = (options: Client.Options) =>
        Effect.gen(function* () {
          const { tracer, spans } = recording()
          const lines: Array<string> = []
          const client = yield* Client.make(options)
          const error = yield* Effect.flip(client.fetch(Request.get(url))).pipe(Effect.withTracer(tracer), (effect) =>
            withDebugLog(effect, (line) => lines.push(line)),
          )
          const full = spans.map((s) => s.attributes.get("url.full"))
          return { full, log: lines.join("\n"), error: error.message }
        })
      const standard = yield* seen({})
      expect(standard.full).toEqual([
        "http://api.test/down?q=1&api_key=<redacted>&mine=m-456",
        "http://api.test/down?q=1&api_key=<redacted>&mine=m-456",
      ])
      expect(standard.log).toContain("send GET http://api.test/down?q=1&api_key=<redacted>&mine=m-456")
      expect(standard.error).toContain("api_key=<redacted>")
      expect(standard.log + standard.error).not.toContain("k-123")
      const own = yield* seen({ secretQueryParams: [...Request.SECRET_QUERY_PARAMS, "mine"] })
      expect(own.full[0]).toBe("http://api.test/down?q=1&api_key=<redacted>&mine=<redacted>")
      expect(own.log).not.toMatch(/k-123|m-456/)
    }).pipe(Effect.provide(MockTransport.layer([{ path: "/down", reply: MockTransport.fault.refused() }]))),
  )

  it.effect("a failed request's span says the error type", () =>
    Effect.gen(function* () {
      const { tracer, spans } = recording()
      yield* Effect.flip(Client.get("http://api.test/down").pipe(Effect.withTracer(tracer)))
      expect(spans[0]?.attributes.get("error.type")).toBe("HTTPConnectionError")
    }).pipe(
      Effect.provide(
        Client.layer().pipe(
          Layer.provideMerge(MockTransport.layer([{ path: "/down", reply: MockTransport.fault.refused() }])),
        ),
      ),
    ),
  )

  it.effect("with Effect's built-in tracer no span is made and no traceparent sent (tracing: auto)", () =>
    Effect.gen(function* () {
      yield* Client.get("http://api.test/flaky")
      const [call] = yield* MockTransport.calls
      expect(Headers.has(call?.request.headers ?? Headers.empty, "traceparent")).toBe(false)
    }).pipe(Effect.provide(Client.layer().pipe(Layer.provideMerge(MockTransport.layer(routes))))),
  )

  it.effect("propagation can be turned off while spans are kept", () =>
    Effect.gen(function* () {
      const { tracer, spans } = recording()
      yield* Client.get("http://api.test/flaky").pipe(Effect.withTracer(tracer))
      const [call] = yield* MockTransport.calls
      expect(spans.length).toBe(2)
      expect(Headers.has(call?.request.headers ?? Headers.empty, "traceparent")).toBe(false)
    }).pipe(
      Effect.provide(
        Client.layer({ propagateTraceContext: false }).pipe(Layer.provideMerge(MockTransport.layer(routes))),
      ),
    ),
  )
})

describe("pool metrics", () => {
  scoped("open, idle and waiting connections per origin, sampled every second", () =>
    Effect.gen(function* () {
      yield* Effect.forEach([1, 2, 3], () => Client.get("http://peer.test/"), { concurrency: 3 })
      yield* TestClock.adjust("1 second")
      const origin = "http://peer.test:80"
      const value = (gauge: typeof Http1Transport.poolOpen) => gaugeValue(gauge, { origin })
      expect(yield* value(Http1Transport.poolOpen)).toBe(2)
      expect(yield* value(Http1Transport.poolIdle)).toBe(2)
      expect(yield* value(Http1Transport.poolWaiting)).toBe(0)
    }).pipe(
      Effect.provide(
        Client.layer().pipe(
          Layer.provide(Http1Transport.layer({ maxConnectionsPerOrigin: 2 })),
          Layer.provide(
            ScriptedPeer.layer((peer) =>
              Effect.forever(Effect.andThen(peer.receive, peer.send("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"))),
            ),
          ),
        ),
      ),
    ),
  )
})
