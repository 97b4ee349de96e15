// The mock transport's features, each with a test that fails if the feature breaks.
import { Client, Headers, Request, Response, Retry } from "@courier/core"
import { MockTransport } from "@courier/mock-transport"
import { describe, expect, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import { fork, pollNow, TestClock, yieldNow } from "../../core/test/edition.js"

const over = <R = never>(routes: ReadonlyArray<MockTransport.Route<R>>, options?: MockTransport.Options) =>
  Client.layer({ userAgent: false }).pipe(Layer.provideMerge(MockTransport.layer(routes, options)))

const text = (r: Response.Response) => Response.text(r)

describe("matching", () => {
  it.effect("RegExp paths capture named groups; predicates match anything they accept", () =>
    Effect.gen(function* () {
      expect(yield* Effect.flatMap(Client.get("http://h/files/a/b.txt"), text)).toBe("a/b.txt")
      expect(yield* Effect.flatMap(Client.get("http://h/anything/else"), text)).toBe("predicate")
    }).pipe(
      Effect.provide(
        over([
          { path: /^\/files\/(?<name>.+)$/, reply: (r) => Effect.succeed({ status: 200, text: r.params.name ?? "" }) },
          { path: (p) => p.startsWith("/anything"), reply: { status: 200, text: "predicate" } },
        ]),
      ),
    ),
  )

  it.effect("headers and bodies (JSON, text, form, predicate) take part in matching", () =>
    Effect.gen(function* () {
      const go = (req: Request.Request) => Effect.flatMap(Client.fetch(req), text)
      expect(yield* go(Request.post("http://h/x", { json: { kind: "a", n: 1 } }))).toBe("json")
      expect(yield* go(Request.post("http://h/x").pipe(Request.bodyText("hello world")))).toBe("text")
      expect(yield* go(Request.post("http://h/x", { data: { user: "ada", extra: "1" } }))).toBe("form")
      expect(yield* go(Request.post("http://h/x", { headers: { "X-Tenant": "t-42" } }))).toBe("header")
      expect(yield* go(Request.post("http://h/x").pipe(Request.bodyText("zzz")))).toBe("predicate")
    }).pipe(
      Effect.provide(
        over([
          { path: "/x", body: { json: { n: 1, kind: "a" } }, reply: { status: 200, text: "json" } },
          { path: "/x", body: { text: /^hello/ }, reply: { status: 200, text: "text" } },
          { path: "/x", body: { form: { user: "ada" } }, reply: { status: 200, text: "form" } },
          { path: "/x", headers: { "x-tenant": /^t-\d+$/ }, reply: { status: 200, text: "header" } },
          { path: "/x", body: (r) => r.text.length === 3, reply: { status: 200, text: "predicate" } },
        ]),
      ),
    ),
  )

  it.effect("routes match by origin: one layer stands in for several services on the same paths", () =>
    Effect.gen(function* () {
      const who = (url: string) => Effect.flatMap(Client.get(url), text)
      expect(yield* who("https://payments.test/v1/status")).toBe("payments")
      expect(yield* who("http://payments.test/v1/status")).toBe("payments over http")
      expect(yield* who("https://Search.test/v1/status")).toBe("search")
      expect(yield* who("http://search.test:8080/v1/status")).toBe("search on 8080")
      expect(yield* who("http://[::1]:9000/v1/status")).toBe("loopback v6")
      expect(yield* who("https://mail.test:4443/v1/status")).toBe("any test host")
      const error = yield* Effect.flip(Client.get("https://other.example/v1/status"))
      expect(error._tag).toBe("UnmatchedRequest")
      expect(error.message).toContain('origin https://other.example:443 is not "payments.test"')
    }).pipe(
      Effect.provide(
        over(
          [
            { origin: "https://payments.test", path: "/v1/status", reply: { status: 200, text: "payments" } },
            { origin: "payments.test", path: "/v1/status", reply: { status: 200, text: "payments over http" } },
            { origin: "search.test:8080", path: "/v1/status", reply: { status: 200, text: "search on 8080" } },
            { origin: "search.test", path: "/v1/status", reply: { status: 200, text: "search" } },
            { origin: "http://[::1]:9000", path: "/v1/status", reply: { status: 200, text: "loopback v6" } },
            {
              origin: /^https:\/\/[a-z]+\.test:\d+$/,
              path: "/v1/status",
              reply: { status: 200, text: "any test host" },
            },
          ],
          { allowUnmatched: true },
        ),
      ),
    ),
  )

  it.effect("routes are tried in order: the first that matches answers", () =>
    Effect.gen(function* () {
      expect(yield* Effect.flatMap(Client.get("http://h/a"), text)).toBe("first")
    }).pipe(
      Effect.provide(
        over([
          { path: "/a", reply: { status: 200, text: "first" } },
          { path: "/a", reply: { status: 200, text: "second" } },
        ]),
      ),
    ),
  )
})

describe("replies", () => {
  it.effect("bodies as text, JSON, bytes, chunks and streams, with trailers", () =>
    Effect.gen(function* () {
      const json = yield* Client.get("http://h/json")
      expect(Response.getHeader(json, "content-type")).toBe("application/json")
      expect(yield* Response.json(json)).toEqual({ a: 1 })
      expect(yield* Effect.flatMap(Client.get("http://h/bytes"), Response.bytes)).toEqual(new Uint8Array([1, 2, 3]))
      const chunked = yield* Effect.scoped(
        Effect.flatMap(Client.execute(Request.get("http://h/chunks")), (r) =>
          Effect.map(Stream.runCollect(Response.stream(r)), (c) => Array.from(c, (b) => new TextDecoder().decode(b))),
        ),
      )
      expect(chunked).toEqual(["he", "llo"])
      const streamed = yield* Client.get("http://h/stream")
      expect(yield* text(streamed)).toBe("abc")
      expect(Headers.get(streamed.trailers, "x-sum")).toEqual(Option.some("3"))
    }).pipe(
      Effect.provide(
        over([
          { path: "/json", reply: { status: 200, json: { a: 1 } } },
          { path: "/bytes", reply: { status: 200, bytes: new Uint8Array([1, 2, 3]) } },
          { path: "/chunks", reply: { status: 200, chunks: ["he", "llo"] } },
          {
            path: "/stream",
            reply: { status: 200, stream: Stream.make(new Uint8Array([97, 98, 99])), trailers: { "X-Sum": "3" } },
          },
        ]),
      ),
    ),
  )

  it.effect("a handler can hold its response until the test releases it (Deferred)", () =>
    Effect.gen(function* () {
      const gate = yield* Deferred.make<void>()
      const routes: ReadonlyArray<MockTransport.Route> = [
        { path: "/held", reply: () => Effect.as(Deferred.await(gate), { status: 200, text: "released" }) },
      ]
      const fiber = yield* fork(Effect.flatMap(Client.get("http://h/held"), text).pipe(Effect.provide(over(routes))))
      yield* yieldNow
      expect(pollNow(fiber)).toBeUndefined()
      yield* Deferred.succeed(gate, undefined)
      expect(yield* Fiber.join(fiber)).toBe("released")
    }),
  )

  it.effect("sequences: fail twice, then succeed, and the last answer repeats", () =>
    Effect.gen(function* () {
      const first = yield* Effect.flip(Client.get("http://h/flaky"))
      const second = yield* Effect.flip(Client.get("http://h/flaky"))
      expect([first._tag, second._tag]).toEqual(["IOError", "HTTPConnectionError"])
      expect((yield* Client.get("http://h/flaky")).status).toBe(200)
      expect((yield* Client.get("http://h/flaky")).status).toBe(200)
      // Four separate calls, none retried: each is its own first attempt.
      const attempts = (yield* MockTransport.callsTo("flaky")).map((c) => c.attempt)
      expect(attempts).toEqual([1, 1, 1, 1])
    }).pipe(
      Effect.provide(
        over<never>([
          {
            name: "flaky",
            path: "/flaky",
            reply: [MockTransport.fault.resetBeforeHead(), MockTransport.fault.refused(), { status: 200 }],
          },
        ]),
      ),
    ),
  )

  it.effect("Call.attempt counts the attempts of one call: its retries, not other calls to the URL", () =>
    Effect.gen(function* () {
      const fiber = yield* fork(Client.get("http://h/flaky"))
      yield* TestClock.adjust("1 minute")
      expect((yield* Fiber.join(fiber)).status).toBe(200)
      expect((yield* Client.get("http://h/flaky")).status).toBe(200)
      const attempts = (yield* MockTransport.callsTo("flaky")).map((c) => c.attempt)
      expect(attempts).toEqual([1, 2, 3, 1])
    }).pipe(
      Effect.provide(
        Client.layer({ userAgent: false, retry: Retry.transient }).pipe(
          Layer.provideMerge(
            MockTransport.layer([
              {
                name: "flaky",
                path: "/flaky",
                reply: [MockTransport.fault.resetBeforeHead(), { status: 503 }, { status: 200 }],
              },
            ]),
          ),
        ),
      ),
    ),
  )

  it.effect("once and times(n) stop matching after that many answers", () =>
    Effect.gen(function* () {
      expect(yield* Effect.flatMap(Client.get("http://h/t"), text)).toBe("limited")
      expect(yield* Effect.flatMap(Client.get("http://h/t"), text)).toBe("limited")
      expect(yield* Effect.flatMap(Client.get("http://h/t"), text)).toBe("fallback")
      expect(yield* Effect.flatMap(Client.get("http://h/o"), text)).toBe("once")
      const error = yield* Effect.flip(Client.get("http://h/o"))
      expect(error.message).toContain("already answered 1 time(s)")
    }).pipe(
      Effect.provide(
        over<never>(
          [
            MockTransport.times(2, { path: "/t", reply: { status: 200, text: "limited" } }),
            { path: "/t", reply: { status: 200, text: "fallback" } },
            MockTransport.once({ path: "/o", reply: { status: 200, text: "once" } }),
          ],
          { allowUnmatched: true },
        ),
      ),
    ),
  )
})

describe("time on the Effect clock", () => {
  it.effect("latency before the head trips the client's head deadline under TestClock", () =>
    Effect.gen(function* () {
      const fast = yield* fork(Client.get("http://h/slow", { timeout: { head: "10 seconds" } }))
      const slow = yield* fork(Client.get("http://h/slow", { timeout: { head: "1 second" } }))
      yield* TestClock.adjust("5 seconds")
      expect((yield* Fiber.join(fast)).status).toBe(200)
      expect(yield* Effect.flip(Fiber.join(slow))).toMatchObject({ _tag: "Timeout", phase: "head" })
    }).pipe(Effect.provide(over([{ path: "/slow", reply: { status: 200, delay: "3 seconds" } }]))),
  )

  it.effect("gaps between chunks trip the body deadline; the total deadline covers all", () =>
    Effect.gen(function* () {
      const body = yield* fork(Client.get("http://h/drip", { timeout: { body: "1 second" } }))
      const total = yield* fork(Client.get("http://h/drip", { timeout: "3 seconds" }))
      const fine = yield* fork(Effect.flatMap(Client.get("http://h/drip"), text))
      yield* TestClock.adjust("10 seconds")
      expect(yield* Effect.flip(Fiber.join(body))).toMatchObject({ _tag: "Timeout", phase: "body" })
      expect(yield* Effect.flip(Fiber.join(total))).toMatchObject({ _tag: "Timeout", phase: "total" })
      expect(yield* Fiber.join(fine)).toBe("abcd")
    }).pipe(
      Effect.provide(
        over([{ path: "/drip", reply: { status: 200, chunks: ["a", "b", "c", "d"], chunkDelay: "2 seconds" } }]),
      ),
    ),
  )

  it.effect("a stall never answers: only a deadline ends it", () =>
    Effect.gen(function* () {
      const fiber = yield* fork(Client.get("http://h/stall", { timeout: "1 minute" }))
      yield* TestClock.adjust("59 seconds")
      expect(pollNow(fiber)).toBeUndefined()
      yield* TestClock.adjust("2 seconds")
      expect(yield* Effect.flip(Fiber.join(fiber))).toMatchObject({ _tag: "Timeout", phase: "total" })
    }).pipe(Effect.provide(over([{ path: "/stall", reply: MockTransport.fault.stall() }]))),
  )
})

describe("faults", () => {
  const cases = [
    { fault: MockTransport.fault.refused(), tag: "HTTPConnectionError", code: "ECONNREFUSED" },
    { fault: MockTransport.fault.dns(), tag: "HTTPConnectionError", code: "ENOTFOUND" },
    { fault: MockTransport.fault.tls(), tag: "HTTPConnectionError", code: "UNABLE_TO_VERIFY_LEAF_SIGNATURE" },
    { fault: MockTransport.fault.resetBeforeHead(), tag: "IOError", code: "ECONNRESET" },
    {
      fault: MockTransport.fault.resetAfter(3, { status: 200, text: "0123456789" }),
      tag: "IOError",
      code: "ECONNRESET",
    },
    { fault: MockTransport.fault.closeMidBody(4, { status: 200, text: "0123456789" }), tag: "IncompleteRead" },
  ] as const
  for (const c of cases) {
    it.effect(`${c.fault.kind} fails with ${c.tag}${"code" in c ? ` ${c.code}` : ""}`, () =>
      Effect.gen(function* () {
        const error = yield* Effect.flip(Client.get("http://h:8080/f"))
        expect(error._tag).toBe(c.tag)
        if ("code" in c) expect(error).toMatchObject({ code: c.code })
        if (c.tag === "IncompleteRead") expect(error).toMatchObject({ received: 4, expected: 10 })
      }).pipe(Effect.provide(over([{ path: "/f", reply: c.fault }]))),
    )
  }

  it.effect("an idle close is retried on a fresh connection for GET, and is BadStatusLine for POST", () =>
    Effect.gen(function* () {
      expect(yield* Effect.flatMap(Client.get("http://h/idle"), text)).toBe("after retry")
      const post = yield* Effect.flip(Client.post("http://h/idle-post"))
      expect(post).toMatchObject({ _tag: "BadStatusLine", line: "" })
    }).pipe(
      Effect.provide(
        over([
          { path: "/idle", reply: [MockTransport.fault.idleClose(), { status: 200, text: "after retry" }] },
          { path: "/idle-post", reply: MockTransport.fault.idleClose() },
        ]),
      ),
    ),
  )
})

describe("history and connections", () => {
  it.effect("calls record head, body, outcome, clock times, attempts and connections", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(1_000)
      const fiber = yield* fork(Client.post("http://h/a", { json: { x: 1 } }))
      yield* TestClock.adjust("250 millis")
      yield* Fiber.join(fiber)
      yield* Client.get("http://h/a")
      yield* Client.get("http://h/b", { headers: { Connection: "close" } })
      yield* Client.get("http://h/b")
      const all = yield* MockTransport.calls
      expect(all[0]).toMatchObject({ route: "a", outcome: { status: 201 }, startedAt: 1000, endedAt: 1250, attempt: 1 })
      expect(all[0]?.request.text).toBe('{"x":1}')
      expect(all.map((c) => c.connection)).toEqual([
        { id: 1, reused: false },
        { id: 1, reused: true },
        { id: 1, reused: true },
        { id: 2, reused: false },
      ])
      expect(yield* MockTransport.connections).toEqual({ opened: 2, reused: 2 })
    }).pipe(
      Effect.provide(
        over([
          { name: "a", method: "POST", path: "/a", reply: { status: 201, delay: "250 millis" } },
          { path: "/a", reply: { status: 200 } },
          { path: "/b", reply: { status: 200 } },
        ]),
      ),
    ),
  )
})

describe("checks when the layer's scope closes", () => {
  it.effect("a required route that was never called fails the test", () =>
    Effect.gen(function* () {
      const exit = yield* Effect.exit(
        Client.get("http://h/other").pipe(
          Effect.provide(
            over([
              { path: "/must", required: true, reply: { status: 200 } },
              { path: "/other", reply: { status: 200 } },
            ]),
          ),
        ),
      )
      expect(Exit.isFailure(exit) && Cause.pretty(exit.cause)).toContain("required route * /must was never called")
    }),
  )

  it.effect("a request that matched nothing fails the test even if the code swallowed the error", () =>
    Effect.gen(function* () {
      const exit = yield* Effect.exit(
        Effect.ignore(Client.get("http://h/nowhere")).pipe(
          Effect.provide(over([{ path: "/x", reply: { status: 200 } }])),
        ),
      )
      expect(Exit.isFailure(exit) && Cause.pretty(exit.cause)).toContain("no route matched GET http://h/nowhere")
    }),
  )
})

describe("answering as HTTP/2", () => {
  it.effect("responses say HTTP/2, carry no Transfer-Encoding, and one origin's requests share one connection", () =>
    Effect.gen(function* () {
      const rs = yield* Effect.forEach([1, 2, 3], () => Client.get("https://api.test/v"), { concurrency: "unbounded" })
      expect(rs.map((r) => r.version)).toEqual(["HTTP/2", "HTTP/2", "HTTP/2"])
      expect(rs.every((r) => !Headers.has(r.headers, "transfer-encoding"))).toBe(true)
      expect(new Set(rs.map((r) => r.connection?.id)).size).toBe(1)
      expect(yield* Effect.flatMap(MockTransport.MockTransport, (m) => m.connections)).toEqual({ opened: 1, reused: 2 })
    }).pipe(
      Effect.provide(
        over([{ path: "/v", reply: { status: 200, chunks: ["a", "b"], trailers: { x: "1" } } }], {
          version: "HTTP/2",
        }),
      ),
    ),
  )

  it.effect("a refused stream is sent again, as the node transport does, and gets the route's next answer", () =>
    Effect.gen(function* () {
      const r = yield* Client.post("https://api.test/r", { json: { a: 1 } })
      expect(yield* text(r)).toBe("second")
      const calls = yield* Effect.flatMap(MockTransport.MockTransport, (m) => m.calls)
      expect(calls.map((c) => c.outcome)).toEqual([{ status: 200 }])
    }).pipe(
      Effect.provide(
        over([{ path: "/r", reply: [MockTransport.fault.refusedStream(), { status: 200, text: "second" }] }], {
          version: "HTTP/2",
        }),
      ),
    ),
  )

  it.effect("GOAWAY: the request goes again on a new connection; a streamed body cannot, and fails", () =>
    Effect.gen(function* () {
      const r = yield* Client.get("https://api.test/g")
      expect([r.status, r.connection?.id]).toEqual([200, 2])
      const streamed = Request.post("https://api.test/s").pipe(
        Request.setBody({
          _tag: "Stream",
          stream: Stream.make(new Uint8Array(1)),
          contentType: "application/octet-stream",
          length: 1,
          replayable: false,
        }),
      )
      const error = yield* Effect.flip(Effect.scoped(Client.execute(streamed)))
      expect(error).toMatchObject({ _tag: "StreamReset", code: "REFUSED_STREAM", goaway: true })
    }).pipe(
      Effect.provide(
        over(
          [
            { path: "/g", reply: [MockTransport.fault.goaway(), { status: 200 }] },
            { path: "/s", reply: MockTransport.fault.goaway() },
          ],
          { version: "HTTP/2" },
        ),
      ),
    ),
  )

  it.effect("a reset stream is a StreamReset with the code named, not retried", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(Client.get("https://api.test/x"))
      expect(error).toMatchObject({ _tag: "StreamReset", code: "ENHANCE_YOUR_CALM", errorCode: 11, goaway: false })
    }).pipe(
      Effect.provide(
        over([{ path: "/x", reply: [MockTransport.fault.resetStream("ENHANCE_YOUR_CALM"), { status: 200 }] }], {
          version: "HTTP/2",
        }),
      ),
    ),
  )
})
