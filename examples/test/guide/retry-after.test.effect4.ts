import { Client, Retry } from "@courier/core"
import { MockTransport } from "@courier/mock-transport"
import { expect, it } from "@effect/vitest"
import { Effect, Fiber, Layer } from "effect"
import { TestClock } from "effect/testing"

it.effect("a 429 with Retry-After is retried after the server's delay", () =>
  Effect.gen(function* () {
    const fiber = yield* Effect.forkChild(Client.get("http://api.test/quota"))
    yield* TestClock.adjust("2 seconds")
    expect(fiber.pollUnsafe()).toBeUndefined() // still waiting: the server asked for 5 s
    yield* TestClock.adjust("3 seconds")
    expect((yield* Fiber.join(fiber)).status).toBe(200)
    const calls = yield* MockTransport.calls
    expect(calls.map((c) => [c.attempt, c.startedAt])).toEqual([
      [1, 0],
      [2, 5000],
    ])
  }).pipe(
    Effect.provide(
      Client.layer({ retry: Retry.transient }).pipe(
        Layer.provideMerge(
          MockTransport.layer([
            { path: "/quota", reply: [{ status: 429, headers: { "Retry-After": "5" } }, { status: 200 }] },
          ]),
        ),
      ),
    ),
  ),
)
