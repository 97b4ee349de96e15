// The Client's debug log: every step of a request at Debug level, credentials redacted, and nothing at the
// default level (the check costs one fiber-ref read per request).
import { Client, Retry } from "@courier/core"
import { MockTransport } from "@courier/mock-transport"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Schedule from "effect/Schedule"
import { fork, TestClock, withDebugLog, withLog } from "../../core/test/edition.js"

const routes: ReadonlyArray<MockTransport.Route> = [
  { path: "/start", reply: { status: 302, headers: { Location: "/flaky" } } },
  { path: "/flaky", reply: [{ status: 503 }, { status: 200, text: "ok", headers: { "Set-Cookie": "s=secret" } }] },
]

const client = Client.layer({
  retry: Retry.make({ schedule: Schedule.spaced("10 millis") }),
  auth: { bearer: "tok-123" },
}).pipe(Layer.provideMerge(MockTransport.layer(routes)))

/** Runs `effect` with a logger that keeps each message, moving the TestClock past the retry's wait. */
const logsOf = <A, E, R>(effect: Effect.Effect<A, E, R>, level?: "Debug") =>
  Effect.gen(function* () {
    const lines: Array<string> = []
    const keep = (line: string) => lines.push(line)
    const fiber = yield* fork(level === undefined ? withLog(effect, keep) : withDebugLog(effect, keep))
    yield* TestClock.adjust("10 millis")
    yield* Fiber.join(fiber)
    return lines
  })

describe("debug logging", () => {
  it.effect("at Debug level: each head sent and received, the connection, the redirect and the retry", () =>
    Effect.gen(function* () {
      const lines = yield* logsOf(Client.get("http://user:pw@api.test/start"), "Debug")
      expect(lines.map((l) => l.split("\n")[0])).toEqual([
        "courier: send GET http://api.test/start",
        "courier: got 302  (HTTP/1.1, connection 1 new)",
        "courier: redirect 302 -> GET http://api.test/flaky",
        "courier: send GET http://api.test/flaky",
        "courier: got 503  (HTTP/1.1, connection 1 reused)",
        "courier: retry 2 in 10 ms after status 503",
        "courier: send GET http://api.test/flaky",
        "courier: got 200  (HTTP/1.1, connection 1 reused)",
      ])
      const all = lines.join("\n")
      expect(all).toContain("Authorization: <redacted>")
      expect(all).toContain("Set-Cookie: <redacted>")
      expect(all).toContain("Host: api.test")
      expect(all).not.toMatch(/tok-123|secret|pw/)
    }).pipe(Effect.provide(client)),
  )

  it.effect("at the default level nothing is logged", () =>
    Effect.gen(function* () {
      expect(yield* logsOf(Client.get("http://api.test/start"))).toEqual([])
    }).pipe(Effect.provide(client)),
  )
})
