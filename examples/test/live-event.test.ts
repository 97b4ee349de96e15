// Seed 000 unit-tested over the mock transport, as an application author would (issue: foundation, item 8).
import { Client } from "@courier/core"
import { MockTransport } from "@courier/mock-transport"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import { fork, TestClock } from "../../packages/core/test/edition.js"
import * as App from "../src/live-event/app.js"

const user = { email: "ada@example.com", password: "secret" }

const api = MockTransport.layer([
  {
    method: "POST",
    path: "/api/user/authenticate",
    reply: (req) =>
      Effect.succeed(
        req.headers.entries.some(([k, v]) => k === "X-API-KEY" && v === "key") &&
          JSON.parse(req.text).email === user.email
          ? { status: 200, json: { session_token: "tok-1", user_id: user.email } }
          : { status: 401, json: { error: "denied" } },
      ),
  },
  {
    method: "POST",
    path: "/api/user/:id/live_event",
    reply: (req) => Effect.succeed({ status: 200, json: { live_event_id: `ev-for-${req.params.id}` } }),
  },
  {
    method: "GET",
    path: "/api/user/:id/live_event",
    reply: { status: 200, json: { live_events: { down: "http://cdn/down", up: "http://ingest/up" } } },
  },
  { method: "POST", path: "/html/user/authenticate", reply: { status: 200, text: "<html>maintenance</html>" } },
])

const client = (baseUrl: string) =>
  Client.layer({ baseUrl, headers: { "X-API-KEY": "key" } }).pipe(Layer.provideMerge(api))

describe("live-event app (seed 000)", () => {
  it.effect("authenticates, creates an event and reads its URLs, sending the session token", () =>
    Effect.gen(function* () {
      const session = yield* App.authenticate(user)
      expect(session).toEqual({ token: "tok-1", userId: user.email })
      const id = yield* App.createLiveEvent(session, { title: "Test", start_time: 60 })
      expect(id).toBe("ev-for-ada@example.com")
      expect(yield* App.getLiveEventInfo(session)).toEqual({ down: "http://cdn/down", up: "http://ingest/up" })
      const calls = yield* MockTransport.calls
      expect(calls.map((c) => `${c.request.method} ${c.request.path}`)).toEqual([
        "POST /api/user/authenticate",
        "POST /api/user/ada%40example.com/live_event",
        "GET /api/user/ada%40example.com/live_event",
      ])
      expect(
        calls
          .slice(1)
          .every((c) => c.request.headers.entries.some(([k, v]) => k === "X-SESSION-TOKEN" && v === "tok-1")),
      ).toBe(true)
      expect(JSON.parse(calls[1]?.request.text ?? "")).toEqual({ title: "Test", start_time: 60 })
    }).pipe(Effect.provide(client("http://api.test/api/"))),
  )

  it.effect("a reply that is not JSON is a DecodeError naming the request", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(App.authenticate(user))
      expect(error._tag).toBe("DecodeError")
      expect(error.message).toContain("POST http://api.test/html/user/authenticate")
    }).pipe(Effect.provide(client("http://api.test/html/"))),
  )

  it.effect("rejected credentials are a StatusError", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(App.authenticate({ email: "eve@example.com", password: "x" }))
      expect(error).toMatchObject({ _tag: "StatusError", status: 401 })
    }).pipe(Effect.provide(client("http://api.test/api/"))),
  )

  it.effect("the countdown ticks on the Effect clock and ends with Launch!", () =>
    Effect.gen(function* () {
      const lines: Array<string> = []
      const fiber = yield* fork(App.countdown(60, 20, (line) => Effect.sync(() => lines.push(line))))
      yield* TestClock.adjust("30 seconds")
      expect(lines.filter((l) => l.startsWith("Streaming")).length).toBe(2)
      expect(lines).not.toContain("Launch!")
      yield* TestClock.adjust("30 seconds")
      yield* Fiber.join(fiber)
      expect(lines.filter((l) => l.startsWith("Streaming"))).toEqual([
        "Streaming will start in 60 seconds.",
        "Streaming will start in 40 seconds.",
        "Streaming will start in 20 seconds.",
      ])
      expect(lines.filter((l) => l === ".").length).toBe(50)
      expect(lines.slice(-11)).toEqual(["10", "9", "8", "7", "6", "5", "4", "3", "2", "1", "Launch!"])
    }),
  )

  it.effect("futureUtc is now plus the minutes, in Unix seconds", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(1_700_000_000_500)
      expect(yield* App.futureUtc(1)).toBe(1_700_000_060)
    }),
  )
})
