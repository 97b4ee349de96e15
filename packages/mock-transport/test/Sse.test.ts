// Server-sent events on the mock transport: a route streams events spaced on the TestClock, and each
// arrives when the clock reaches it.
import { Client, Request, Sse } from "@courier/core"
import { MockTransport } from "@courier/mock-transport"
import { expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Schedule from "effect/Schedule"
import * as Stream from "effect/Stream"
import { fork, TestClock } from "../../core/test/edition.js"

const ticks = MockTransport.layer([
  {
    path: "/ticks",
    reply: {
      status: 200,
      headers: { "Content-Type": "text/event-stream" },
      stream: Stream.make("data: 1\n\n", "data: 2\n\n", "data: 3\n\n").pipe(
        Stream.schedule(Schedule.spaced("1 second")),
        Stream.map((s) => new TextEncoder().encode(s)),
      ),
    },
  },
])

it.effect("events arrive as the clock reaches them", () =>
  Effect.gen(function* () {
    const seen: Array<string> = []
    const fiber = yield* fork(
      Stream.runForEach(Sse.events(Request.get("http://api.test/ticks"), { reconnect: false }), (e) =>
        Effect.sync(() => seen.push(e.data)),
      ),
    )
    yield* TestClock.adjust("1 second")
    expect(seen).toEqual(["1"])
    yield* TestClock.adjust("1 second")
    expect(seen).toEqual(["1", "2"])
    yield* TestClock.adjust("1 second")
    yield* Fiber.join(fiber)
    expect(seen).toEqual(["1", "2", "3"])
  }).pipe(Effect.provide(Client.layer().pipe(Layer.provideMerge(ticks)))),
)
