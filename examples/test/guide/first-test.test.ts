import { Client, Response } from "@courier/core"
import { MockTransport } from "@courier/mock-transport"
import { expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"

const mock = MockTransport.layer([
  { method: "GET", path: "/users/:id", reply: (req) => Effect.succeed({ status: 200, json: { id: req.params.id } }) },
])
const TestClient = Client.layer().pipe(Layer.provideMerge(mock))

it.effect("reads a user", () =>
  Effect.gen(function* () {
    const user = yield* Effect.flatMap(Client.get("http://api.test/users/7"), Response.json)
    expect(user).toEqual({ id: "7" })
    const [call] = yield* MockTransport.calls
    expect(call?.request.path).toBe("/users/7")
  }).pipe(Effect.provide(TestClient)),
)
