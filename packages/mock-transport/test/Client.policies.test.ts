// The Client's policies — redirects, retries, cookies, auth — unit-tested over the mock transport.
import { Client, Headers, Request, Response, Retry, Session } from "@courier/core"
import { scheduleBoth } from "@courier/core/internal/edition"
import { MockTransport } from "@courier/mock-transport"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import { fork, TestClock } from "../../core/test/edition.js"

const over = (routes: ReadonlyArray<MockTransport.Route>, options: Client.Options = {}) =>
  Client.layer({ userAgent: false, ...options }).pipe(Layer.provideMerge(MockTransport.layer(routes)))
const sessionOver = (routes: ReadonlyArray<MockTransport.Route>, options: Client.Options = {}) =>
  Session.layer({ userAgent: false, ...options }).pipe(Layer.provideMerge(MockTransport.layer(routes)))

const header = (req: MockTransport.MockRequest, name: string) => Option.getOrUndefined(Headers.get(req.headers, name))
/** The value, or a failed test when it is missing. */
const must = <A>(value: A | undefined): A => {
  if (value === undefined) throw new Error("expected a value")
  return value
}
const to = (location: string, status = 302): MockTransport.Reply => ({ status, headers: { Location: location } })

describe("redirects", () => {
  it.effect("are followed up to 10 by default, relative locations resolved against the current URL", () =>
    Effect.gen(function* () {
      const r = yield* Client.get("http://h/a/start")
      expect(yield* Response.text(r)).toBe("landed")
      expect(r.request.url).toBe("http://h/b/end")
      expect((yield* MockTransport.calls).map((c) => c.request.path)).toEqual(["/a/start", "/a/next", "/b/end"])
    }).pipe(
      Effect.provide(
        over([
          { path: "/a/start", reply: to("next", 301) },
          { path: "/a/next", reply: to("/b/end", 307) },
          { path: "/b/end", reply: { status: 200, text: "landed" } },
        ]),
      ),
    ),
  )

  it.effect("303 turns any method into GET; 301 and 302 turn POST into GET and drop the body", () =>
    Effect.gen(function* () {
      for (const [status, method] of [
        [303, "PUT"],
        [301, "POST"],
        [302, "POST"],
      ] as const) {
        yield* Client.fetch(Request.make(method, `http://h/r${status}`, { json: { big: "body" } }))
        const last = (yield* MockTransport.calls).at(-1)
        expect([last?.request.method, last?.request.text, header(must(last).request, "content-type")]).toEqual([
          "GET",
          "",
          undefined,
        ])
      }
    }).pipe(
      Effect.provide(
        over([
          { path: "/r303", reply: to("/done", 303) },
          { path: "/r301", reply: to("/done", 301) },
          { path: "/r302", reply: to("/done", 302) },
          { path: "/done", reply: { status: 200 } },
        ]),
      ),
    ),
  )

  it.effect("307 and 308 keep the method and the body", () =>
    Effect.gen(function* () {
      for (const status of [307, 308]) {
        yield* Client.post(`http://h/k${status}`, { json: { keep: status } })
        const last = (yield* MockTransport.calls).at(-1)
        expect([last?.request.method, last?.request.text]).toEqual(["POST", `{"keep":${status}}`])
      }
    }).pipe(
      Effect.provide(
        over([
          { path: "/k307", reply: to("/kept", 307) },
          { path: "/k308", reply: to("/kept", 308) },
          { path: "/kept", reply: { status: 200 } },
        ]),
      ),
    ),
  )

  it.effect("a cross-origin hop or a downgrade to http drops Authorization, Cookie and Proxy-Authorization", () =>
    Effect.gen(function* () {
      const secrets = { Authorization: "Bearer x", Cookie: "a=1", "Proxy-Authorization": "Basic y", "X-Keep": "k" }
      yield* Client.get("https://h/same", { headers: secrets })
      yield* Client.get("https://h/cross", { headers: secrets })
      yield* Client.get("https://h/down", { headers: secrets })
      const calls = yield* MockTransport.calls
      const seen = (path: string, url: string) =>
        must(calls.find((c) => c.request.path === path && c.request.url.startsWith(url))?.request)
      expect(header(seen("/landing", "https://h/"), "authorization")).toBe("Bearer x")
      for (const target of [seen("/landing", "https://other.example/"), seen("/landing", "http://h/")]) {
        expect(header(target, "authorization")).toBeUndefined()
        expect(header(target, "cookie")).toBeUndefined()
        expect(header(target, "proxy-authorization")).toBeUndefined()
        expect(header(target, "x-keep")).toBe("k")
      }
    }).pipe(
      Effect.provide(
        over([
          { path: "/same", reply: to("https://h/landing") },
          { path: "/cross", reply: to("https://other.example/landing") },
          { path: "/down", reply: to("http://h/landing") },
          { path: "/landing", reply: { status: 200 } },
        ]),
      ),
    ),
  )

  it.effect("past the limit: TooManyRedirects with the chain", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(Client.get("http://h/loop/0"))
      expect(error._tag).toBe("TooManyRedirects")
      if (error._tag !== "TooManyRedirects") return
      expect(error.chain).toEqual(["http://h/loop/0", "http://h/loop/1", "http://h/loop/2", "http://h/loop/3"])
    }).pipe(
      Effect.provide(
        over([{ path: "/loop/:n", reply: (r) => Effect.succeed(to(`/loop/${Number(r.params.n) + 1}`)) }], {
          redirects: 2,
        }),
      ),
    ),
  )

  it.effect("redirects: false returns the redirect itself", () =>
    Effect.gen(function* () {
      const r = yield* Client.get("http://h/a")
      expect([r.status, Response.getHeader(r, "location")]).toEqual([302, "/b"])
    }).pipe(Effect.provide(over([{ path: "/a", reply: to("/b") }], { redirects: false }))),
  )
})

describe("retries", () => {
  const flaky: MockTransport.Route = {
    name: "flaky",
    path: "/flaky",
    reply: [MockTransport.fault.resetBeforeHead(), { status: 503 }, { status: 200, text: "ok" }],
  }

  it.effect("transient errors and statuses are retried on the schedule, driven by TestClock", () =>
    Effect.gen(function* () {
      const fiber = yield* fork(Effect.flatMap(Client.get("http://h/flaky"), Response.text))
      yield* TestClock.adjust("1 second")
      expect(yield* Fiber.join(fiber)).toBe("ok")
      const calls = yield* MockTransport.callsTo("flaky")
      expect(calls.map((c) => c.attempt)).toEqual([1, 2, 3])
      expect(calls.map((c) => c.startedAt)).toEqual([0, 100, 300])
    }).pipe(
      Effect.provide(
        over([flaky], {
          retry: Retry.make({
            schedule: scheduleBoth(Schedule.exponential("100 millis"), Schedule.recurs(3)),
          }),
        }),
      ),
    ),
  )

  it.effect("Retry-After is honoured when longer than the schedule, up to the cap", () =>
    Effect.gen(function* () {
      const fiber = yield* fork(Client.get("http://h/busy"))
      yield* TestClock.adjust("30 seconds")
      expect((yield* Fiber.join(fiber)).status).toBe(200)
      expect((yield* MockTransport.calls).map((c) => c.startedAt)).toEqual([0, 5000, 15000])
    }).pipe(
      Effect.provide(
        over(
          [
            {
              path: "/busy",
              reply: [
                { status: 429, headers: { "Retry-After": "5" } },
                { status: 503, headers: { "Retry-After": "3600" } },
                { status: 200 },
              ],
            },
          ],
          { retry: Retry.make({ schedule: Schedule.spaced("10 millis"), retryAfterCap: "10 seconds" }) },
        ),
      ),
    ),
  )

  it.effect("a POST is not retried unless the policy says all methods", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(Client.post("http://h/flaky"))
      expect(error._tag).toBe("IOError")
      expect((yield* MockTransport.calls).length).toBe(1)
    }).pipe(Effect.provide(over([flaky], { retry: Retry.transient }))),
  )

  it.effect("when retries run out, the last answer stands", () =>
    Effect.gen(function* () {
      const fiber = yield* fork(Client.get("http://h/down"))
      yield* TestClock.adjust("1 minute")
      expect((yield* Fiber.join(fiber)).status).toBe(503)
      expect((yield* MockTransport.calls).length).toBe(4)
    }).pipe(Effect.provide(over([{ path: "/down", reply: { status: 503 } }], { retry: Retry.transient }))),
  )

  it("Retry-After reads delta-seconds and HTTP dates", () => {
    const now = Date.parse("2026-11-20T10:00:00Z")
    expect(Retry.parseRetryAfter("120", now)).toBe(120_000)
    expect(Retry.parseRetryAfter("Fri, 20 Nov 2026 10:00:30 GMT", now)).toBe(30_000)
    expect(Retry.parseRetryAfter("soon", now)).toBeUndefined()
    expect(Retry.parseRetryAfter(undefined, now)).toBeUndefined()
  })
})

describe("sessions and cookies", () => {
  const cookieRoutes: ReadonlyArray<MockTransport.Route> = [
    {
      path: "/cookies/set/:name/:value",
      reply: (r) =>
        Effect.succeed({
          status: 302,
          headers: [
            ["Set-Cookie", `${r.params.name}=${r.params.value}; Path=/`],
            ["Location", "/cookies"],
          ],
        }),
    },
    { path: "/cookies", reply: (r) => Effect.succeed({ status: 200, text: header(r, "cookie") ?? "" }) },
    { path: "/short", reply: { status: 200, headers: { "Set-Cookie": "brief=1; Max-Age=60; Path=/" } } },
    { path: "/secure-only", reply: { status: 200, headers: { "Set-Cookie": "s=1; Secure; Path=/" } } },
  ]

  it.effect("cookies set by a response (even on a redirect hop) are sent on the next request", () =>
    Effect.gen(function* () {
      const r = yield* Client.get("http://h/cookies/set/sessioncookie/123456789")
      expect(yield* Response.text(r)).toBe("sessioncookie=123456789")
      expect(yield* Effect.flatMap(Client.get("http://h/cookies"), Response.text)).toBe("sessioncookie=123456789")
      expect((yield* Session.cookies()).map((c) => c.name)).toEqual(["sessioncookie"])
    }).pipe(Effect.provide(sessionOver(cookieRoutes))),
  )

  it.effect("the jar can be seeded; expiry follows the Effect clock; secure cookies stay off http", () =>
    Effect.gen(function* () {
      yield* Session.setCookie("http://h/", "seeded=yes; Path=/")
      yield* Client.get("http://h/short")
      expect(yield* Effect.flatMap(Client.get("http://h/cookies"), Response.text)).toBe("seeded=yes; brief=1")
      yield* TestClock.adjust("61 seconds")
      expect(yield* Effect.flatMap(Client.get("http://h/cookies"), Response.text)).toBe("seeded=yes")
      yield* Client.get("https://h/secure-only")
      expect(yield* Effect.flatMap(Client.get("http://h/cookies"), Response.text)).toBe("seeded=yes")
      expect(yield* Effect.flatMap(Client.get("https://h/cookies"), Response.text)).toBe("seeded=yes; s=1")
    }).pipe(Effect.provide(sessionOver(cookieRoutes))),
  )

  it.effect("a plain Client keeps no cookies", () =>
    Effect.gen(function* () {
      yield* Client.get("http://h/cookies/set/a/1")
      expect(yield* Effect.flatMap(Client.get("http://h/cookies"), Response.text)).toBe("")
    }).pipe(Effect.provide(over(cookieRoutes))),
  )

  it.effect("session auth and default headers go with every request; the request's own headers win", () =>
    Effect.gen(function* () {
      yield* Client.get("http://h/echo")
      yield* Client.get("http://h/echo", { headers: { "X-Team": "mine", Authorization: "Bearer own" } })
      const [first, second] = yield* MockTransport.calls
      expect(header(must(first).request, "authorization")).toBe(`Basic ${btoa("user:pass")}`)
      expect(header(must(first).request, "x-team")).toBe("default")
      expect(header(must(second).request, "authorization")).toBe("Bearer own")
      expect(header(must(second).request, "x-team")).toBe("mine")
    }).pipe(
      Effect.provide(
        sessionOver([{ path: "/echo", reply: { status: 200 } }], {
          auth: { basic: { username: "user", password: Redacted.make("pass") } },
          headers: { "X-Team": "default" },
        }),
      ),
    ),
  )

  it.effect("bearer auth from a Redacted token", () =>
    Effect.gen(function* () {
      yield* Client.get("http://h/echo")
      expect(header(must((yield* MockTransport.calls)[0]).request, "authorization")).toBe("Bearer t0k3n")
    }).pipe(
      Effect.provide(over([{ path: "/echo", reply: { status: 200 } }], { auth: { bearer: Redacted.make("t0k3n") } })),
    ),
  )
})
