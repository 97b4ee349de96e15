// Token providers and traffic shaping, on the TestClock over the mock transport.
import { Auth, Body, Client, Headers, Request, Response } from "@courier/core"
import type { DurationInput } from "@courier/core/internal/edition"
import { MockTransport } from "@courier/mock-transport"
import { describe, expect, it } from "@effect/vitest"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"
import { fork, isDone, scoped, TestClock } from "../../core/test/edition.js"

const authorizations = Effect.map(MockTransport.calls, (calls) =>
  calls.map((c) => Option.getOrUndefined(Headers.get(c.request.headers, "authorization"))),
)

describe("a token provider", () => {
  /** A provider whose fetches hand out t1, t2 … and count themselves; each fetch takes 1 s on the clock. */
  const counting = (expiresIn?: DurationInput) =>
    Effect.gen(function* () {
      const fetched = { count: 0 }
      const provider = yield* Auth.tokenProvider(
        Effect.delay(
          Effect.sync(() => ({ token: `t${++fetched.count}`, expiresIn })),
          "1 second",
        ),
        { refreshBefore: "10 seconds" },
      )
      return { provider, fetched }
    })

  it.effect("fetches once for a burst of concurrent requests, and again only when the token nears its expiry", () =>
    Effect.gen(function* () {
      const { provider, fetched } = yield* counting("60 seconds")
      const client = (yield* Client.makeBare).pipe(Client.withAuth({ token: provider }))
      const burst = yield* fork(
        Effect.forEach(Array.from({ length: 8 }), () => client.fetch(Request.get("http://api.test/a")), {
          concurrency: "unbounded",
        }),
      )
      yield* TestClock.adjust("1 second")
      yield* Fiber.join(burst)
      expect(fetched.count).toBe(1)
      expect(new Set(yield* authorizations)).toEqual(new Set(["Bearer t1"]))
      // 49 s after the fetch the token is still good for more than the 10 s margin; at 51 s it is not.
      yield* TestClock.adjust("48 seconds")
      yield* client.fetch(Request.get("http://api.test/a"))
      expect(fetched.count).toBe(1)
      yield* TestClock.adjust("2 seconds")
      const late = yield* fork(client.fetch(Request.get("http://api.test/a")))
      yield* TestClock.adjust("1 second")
      yield* Fiber.join(late)
      expect([fetched.count, (yield* authorizations).at(-1)]).toEqual([2, "Bearer t2"])
    }).pipe(Effect.provide(MockTransport.layer([{ path: "/a", reply: { status: 200 } }]))),
  )

  it.effect("a token whose life is shorter than twice the margin is fetched again halfway through it", () =>
    Effect.gen(function* () {
      const { provider, fetched } = yield* counting("12 seconds")
      const first = yield* fork(provider.get)
      yield* TestClock.adjust("1 second")
      yield* Fiber.join(first)
      // Asked for at 0 s, good for 12 s: the 10 s margin would leave 2 s, so it is fetched again at 6 s.
      yield* TestClock.adjust("4 seconds")
      yield* provider.get
      expect(fetched.count).toBe(1)
      yield* TestClock.adjust("1 second")
      const second = yield* fork(provider.get)
      yield* TestClock.adjust("1 second")
      yield* Fiber.join(second)
      expect(fetched.count).toBe(2)
    }),
  )

  it.effect("a 401 invalidates the token: a new one is fetched and the request sent once more", () =>
    Effect.gen(function* () {
      const { provider, fetched } = yield* counting()
      const client = (yield* Client.makeBare).pipe(Client.withAuth({ token: provider }))
      const call = yield* fork(client.fetch(Request.put("http://api.test/doc", { json: { v: 1 } })))
      yield* TestClock.adjust("2 seconds")
      const r = yield* Fiber.join(call)
      expect([r.status, fetched.count]).toEqual([200, 2])
      expect(yield* authorizations).toEqual(["Bearer t1", "Bearer t2"])
      const texts = (yield* MockTransport.calls).map((c) => c.request.text)
      expect(texts).toEqual(['{"v":1}', '{"v":1}'])
    }).pipe(
      Effect.provide(
        MockTransport.layer([
          { path: "/doc", headers: { authorization: "Bearer t1" }, reply: { status: 401 } },
          { path: "/doc", reply: { status: 200 } },
        ]),
      ),
    ),
  )

  it.effect("a second 401 is the caller's: one resend per request, no loop", () =>
    Effect.gen(function* () {
      const { provider, fetched } = yield* counting()
      const client = (yield* Client.makeBare).pipe(Client.withAuth({ token: provider }))
      const call = yield* fork(client.fetch(Request.get("http://api.test/locked")))
      yield* TestClock.adjust("2 seconds")
      const r = yield* Fiber.join(call)
      expect([r.status, fetched.count, (yield* authorizations).length]).toEqual([401, 2, 2])
    }).pipe(Effect.provide(MockTransport.layer([{ path: "/locked", reply: { status: 401 } }]))),
  )

  it.effect(
    "callers waiting on one fetch share its failure: one fetch for 20 callers, then the next call fetches again",
    () =>
      Effect.gen(function* () {
        const fetched = { count: 0 }
        const provider = yield* Auth.tokenProvider(
          Effect.delay(
            Effect.suspend(() => Effect.fail(`endpoint down (${++fetched.count})` as const)),
            "1 second",
          ),
        )
        const client = (yield* Client.makeBare).pipe(Client.withAuth({ token: provider }))
        const burst = yield* fork(
          Effect.forEach(
            Array.from({ length: 20 }),
            () => Effect.flip(client.fetch(Request.get("http://api.test/a"))),
            {
              concurrency: "unbounded",
            },
          ),
        )
        yield* TestClock.adjust("1 second")
        const errors = yield* Fiber.join(burst)
        expect([fetched.count, new Set(errors)]).toEqual([1, new Set(["endpoint down (1)"])])
        const next = yield* fork(Effect.flip(client.fetch(Request.get("http://api.test/a"))))
        yield* TestClock.adjust("1 second")
        expect([yield* Fiber.join(next), fetched.count]).toEqual(["endpoint down (2)", 2])
        expect(yield* MockTransport.calls).toEqual([])
      }).pipe(Effect.provide(MockTransport.layer([{ path: "/a", reply: { status: 200 } }]))),
  )

  it.effect("when the caller running the fetch is interrupted, those waiting on it fetch again and succeed", () =>
    Effect.gen(function* () {
      const { provider, fetched } = yield* counting()
      const first = yield* fork(provider.get)
      yield* TestClock.adjust("500 millis")
      const waiter = yield* fork(provider.get)
      yield* TestClock.adjust("100 millis")
      yield* Fiber.interrupt(first)
      // The interrupted fetch never finished; the waiter's own takes its full second from here.
      yield* TestClock.adjust("999 millis")
      expect(!(yield* isDone(waiter))).toBe(true)
      yield* TestClock.adjust("1 millis")
      const token = yield* Fiber.join(waiter)
      expect([Redacted.value(token), fetched.count]).toEqual(["t1", 1])
    }),
  )

  it.effect("a 401 on a body that cannot be sent again returns the 401 and drops the token it refused", () =>
    Effect.gen(function* () {
      const { provider, fetched } = yield* counting()
      const client = (yield* Client.makeBare).pipe(Client.withAuth({ token: provider }))
      const streamed = Request.post("http://api.test/locked", { body: Body.stream(Stream.make(new Uint8Array([1]))) })
      const first = yield* fork(client.fetch(streamed))
      yield* TestClock.adjust("1 second")
      expect((yield* Fiber.join(first)).status).toBe(401)
      const second = yield* fork(client.fetch(Request.get("http://api.test/locked")))
      yield* TestClock.adjust("1 second")
      yield* TestClock.adjust("1 second")
      yield* Fiber.join(second)
      // t1 was refused and dropped: the next call fetched t2 up front (and t3 when the 401 refused it too).
      expect([fetched.count, (yield* authorizations).slice(0, 2)]).toEqual([3, ["Bearer t1", "Bearer t2"]])
    }).pipe(Effect.provide(MockTransport.layer([{ path: "/locked", reply: { status: 401 } }]))),
  )

  it.effect("a token endpoint's failure is the call's failure, with the provider's own error type", () =>
    Effect.gen(function* () {
      const provider = yield* Auth.tokenProvider(Effect.fail("token endpoint down" as const))
      const client = (yield* Client.makeBare).pipe(Client.withAuth({ token: provider }))
      const error = yield* Effect.flip(client.fetch(Request.get("http://api.test/a")))
      expect(error).toBe("token endpoint down")
      expect(yield* MockTransport.calls).toEqual([])
    }).pipe(Effect.provide(MockTransport.layer([{ path: "/a", reply: { status: 200 } }]))),
  )
})

/** The answer of the held route of the test that runs: set by the test before any request. */
let heldFor: MockTransport.Handler<never> = () => Effect.succeed({ status: 200 })

describe("limitConcurrency", () => {
  it.effect("holds at most n requests in flight per origin; other origins do not wait", () =>
    Effect.gen(function* () {
      const gate = yield* Deferred.make<void>()
      let inFlight = 0
      let most = 0
      heldFor = () =>
        Effect.gen(function* () {
          most = Math.max(most, ++inFlight)
          yield* Deferred.await(gate)
          inFlight--
          return { status: 200 }
        })
      const client = (yield* Client.makeBare).pipe(Client.limitConcurrency(2))
      const many = yield* fork(
        Effect.forEach(Array.from({ length: 6 }), () => client.fetch(Request.get("http://a.test/slow")), {
          concurrency: "unbounded",
        }),
      )
      yield* TestClock.adjust("1 second")
      // Two are held at the server; another origin is not behind them.
      expect((yield* client.fetch(Request.get("http://b.test/fast"))).status).toBe(200)
      expect(inFlight).toBe(2)
      yield* Deferred.succeed(gate, undefined)
      yield* Fiber.join(many)
      expect(most).toBe(2)
    }).pipe(
      Effect.provide(
        MockTransport.layer([
          { path: "/slow", reply: (r) => Effect.suspend(() => heldFor(r)) },
          { path: "/fast", reply: { status: 200 } },
        ]),
      ),
    ),
  )

  scoped("a streaming response keeps its place until its scope closes; an interrupted waiter leaves the line", () =>
    Effect.gen(function* () {
      const client = (yield* Client.makeBare).pipe(Client.limitConcurrency(1))
      const order: Array<string> = []
      const first = yield* fork(
        Effect.scoped(
          Effect.flatMap(client.execute(Request.get("http://a.test/one")), () =>
            Effect.andThen(
              Effect.sync(() => order.push("first holds")),
              Effect.sleep("10 seconds"),
            ),
          ),
        ),
      )
      yield* TestClock.adjust("1 second")
      const quitter = yield* fork(client.fetch(Request.get("http://a.test/quit")))
      const second = yield* fork(
        Effect.tap(client.fetch(Request.get("http://a.test/two")), () => Effect.sync(() => order.push("second sent"))),
      )
      yield* TestClock.adjust("1 second")
      yield* Fiber.interrupt(quitter)
      expect(order).toEqual(["first holds"])
      yield* TestClock.adjust("10 seconds")
      yield* Fiber.join(first)
      yield* Fiber.join(second)
      expect(order).toEqual(["first holds", "second sent"])
      expect((yield* MockTransport.calls).map((c) => c.request.path)).toEqual(["/one", "/two"])
    }).pipe(Effect.provide(MockTransport.layer([{ path: /.*/, reply: { status: 200 } }]))),
  )
})

describe("limitConcurrency below followRedirects", () => {
  scoped("a redirect's place is given back once its body is read, so the next hop of the same call goes", () =>
    Effect.gen(function* () {
      const client = (yield* Client.makeBare).pipe(Client.limitConcurrency(1), Client.followRedirects())
      const r = yield* client.execute(Request.get("http://a.test/start"))
      expect(yield* Response.text(r)).toBe("landed")
      // The body was read to its end: the place is free while this scope is still open.
      expect((yield* client.fetch(Request.get("http://a.test/end"))).status).toBe(200)
    }).pipe(
      Effect.provide(
        MockTransport.layer([
          { path: "/start", reply: { status: 302, headers: { Location: "/end" }, text: "moved" } },
          { path: "/end", reply: { status: 200, text: "landed" } },
        ]),
      ),
    ),
  )
})

describe("rateLimit", () => {
  it.effect("starts at most `limit` requests per interval per origin, on the clock", () =>
    Effect.gen(function* () {
      const client = (yield* Client.makeBare).pipe(Client.rateLimit({ limit: 2, interval: "1 second" }))
      const five = yield* fork(
        Effect.forEach(Array.from({ length: 5 }), (_, i) => client.fetch(Request.get(`http://a.test/${i}`)), {
          concurrency: "unbounded",
        }),
      )
      const startedAt = Effect.map(MockTransport.calls, (calls) =>
        calls.filter((c) => c.request.url.startsWith("http://a.test")).map((c) => c.startedAt),
      )
      yield* TestClock.adjust("10 millis")
      expect((yield* startedAt).length).toBe(2)
      // Another origin has its own window.
      yield* client.fetch(Request.get("http://b.test/x"))
      yield* TestClock.adjust("1 second")
      expect((yield* startedAt).length).toBe(4)
      yield* TestClock.adjust("1 second")
      yield* Fiber.join(five)
      expect(yield* startedAt).toEqual([0, 0, 1000, 1000, 2000])
      expect((yield* Response.text(yield* client.fetch(Request.get("http://a.test/late")))).length).toBe(0)
    }).pipe(Effect.provide(MockTransport.layer([{ path: /.*/, reply: { status: 200 } }]))),
  )
})

describe("a body read through a transform keeps its trailers", () => {
  scoped("download progress over a streamed chunked body: the trailers reach the caller", () =>
    Effect.gen(function* () {
      const seen: Array<number> = []
      const request = Request.get("http://a.test/t", {
        onDownloadProgress: (p) => Effect.sync(() => seen.push(p.transferred)),
      })
      const r = yield* Client.execute(request)
      expect(yield* Response.text(r)).toBe("abcd")
      expect([seen, Option.getOrUndefined(Headers.get(yield* Response.trailers(r), "x-sum"))]).toEqual([[2, 4], "7"])
    }).pipe(
      Effect.provide(
        Client.layer().pipe(
          Layer.provideMerge(
            MockTransport.layer([
              { path: "/t", reply: { status: 200, chunks: ["ab", "cd"], trailers: { "X-Sum": "7" } } },
            ]),
          ),
        ),
      ),
    ),
  )
})
