// The mock transport under @effect/vitest 4, from the Effect 4 edition's tarballs (scripts/edition4/pack-check.sh).
import { Client, Response } from "@courier/core"
import { MockTransport } from "@courier/mock-transport"
import { assert, it } from "@effect/vitest"
import { Effect, Layer } from "effect"

const Mock = Client.layer().pipe(
  Layer.provideMerge(
    MockTransport.layer([
      {
        method: "GET",
        path: "/users/:id",
        reply: (req) => Effect.succeed({ status: 200, json: { id: req.params.id } }),
      },
      { method: "POST", path: "/orders", reply: [MockTransport.fault.resetBeforeHead(), { status: 201 }] },
    ]),
  ),
)

it.effect("a route answers from its params, and the history records the call", () =>
  Effect.gen(function* () {
    const body = yield* Effect.flatMap(Client.get("http://api.test/users/42"), Response.json)
    assert.deepStrictEqual(body, { id: "42" })
    const calls = yield* MockTransport.calls
    assert.strictEqual(calls.length, 1)
  }).pipe(Effect.provide(Mock)),
)

it.effect("a fault is a typed error, and the next reply in the list answers after it", () =>
  Effect.gen(function* () {
    const first = yield* Effect.flip(Client.post("http://api.test/orders"))
    assert.strictEqual(first._tag, "IOError")
    const second = yield* Client.post("http://api.test/orders")
    assert.strictEqual(second.status, 201)
  }).pipe(Effect.provide(Mock)),
)
