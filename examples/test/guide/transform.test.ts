import { Client, Request, Retry } from "@courier/core"
import { MockTransport } from "@courier/mock-transport"
import { expect, it } from "@effect/vitest"
import { Effect, Schedule } from "effect"

// The application's client: its base URL, a header, 2xx only, transient failures retried.
const apiClient = Effect.map(Client.make(), (client) =>
  client.pipe(
    Client.retry(Retry.make({ schedule: Schedule.recurs(2) })),
    Client.filterStatusOk,
    Client.withHeaders({ "X-Api-Version": "2" }),
    Client.withBaseUrl("http://api.test/v2/"),
  ),
)

it.effect("the app's client retries a 503, sends its header, and turns a 404 into StatusError", () =>
  Effect.gen(function* () {
    const api = yield* apiClient
    expect((yield* api.fetch(Request.get("orders"))).status).toBe(200)
    const missing = yield* Effect.flip(api.fetch(Request.get("orders/42")))
    expect(missing._tag).toBe("StatusError")
    const calls = yield* MockTransport.calls
    expect(
      calls.map((c) => [c.request.path, c.attempt, c.request.headers.entries.some(([k]) => k === "X-Api-Version")]),
    ).toEqual([
      ["/v2/orders", 1, true],
      ["/v2/orders", 2, true],
      ["/v2/orders/42", 1, true],
    ])
  }).pipe(
    Effect.provide(
      MockTransport.layer([
        { path: "/v2/orders", reply: [{ status: 503 }, { status: 200, json: [] }] },
        { path: "/v2/orders/42", reply: { status: 404 } },
      ]),
    ),
  ),
)
