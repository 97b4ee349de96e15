import { Client, Request } from "@courier/core"
import { MockTransport } from "@courier/mock-transport"
import { expect, it } from "@effect/vitest"
import { Effect, Fiber } from "effect"
import { TestClock } from "effect/testing"

it.effect("at most 3 requests a second to each host; other hosts are not held back", () =>
  Effect.gen(function* () {
    const client = (yield* Client.makeBare).pipe(Client.rateLimit({ limit: 3, interval: "1 second" }))
    const get = (url: string) => client.fetch(Request.get(url))
    const burst = yield* Effect.forkChild(
      Effect.all([...Array.from({ length: 7 }, (_, i) => get(`http://slow.test/${i}`)), get("http://other.test/")], {
        concurrency: "unbounded",
      }),
    )
    yield* TestClock.adjust("2 seconds")
    yield* Fiber.join(burst)
    const starts = (yield* MockTransport.calls).map(
      (c) => `${c.request.url.startsWith("http://slow") ? "slow" : "other"}@${c.startedAt}`,
    )
    expect(starts.sort()).toEqual([
      "other@0",
      "slow@0",
      "slow@0",
      "slow@0",
      "slow@1000",
      "slow@1000",
      "slow@1000",
      "slow@2000",
    ])
  }).pipe(Effect.provide(MockTransport.layer([{ path: /.*/, reply: { status: 200 } }]))),
)
