import { Client, Response } from "@courier/core"
import { MockTransport } from "@courier/mock-transport"
import { expect, it } from "@effect/vitest"
import { Effect, Fiber, Layer, Schema } from "effect"
import { TestClock } from "effect/testing"

// The code under test: a login call of the app, relative to the Client's base URL.
const SessionInfo = Schema.Struct({ session_token: Schema.String })
const authenticate = (email: string, password: string) =>
  Client.post("user/authenticate", { json: { email, password } }).pipe(
    Effect.flatMap(Response.filterStatusOk),
    Effect.flatMap(Response.schemaJson(SessionInfo)),
  )

it.effect("a slow server trips the head deadline, with no real waiting", () =>
  Effect.gen(function* () {
    const fiber = yield* Effect.forkChild(authenticate("ada@example.com", "x"))
    yield* TestClock.adjust("10 seconds")
    const error = yield* Effect.flip(Fiber.join(fiber))
    expect(error).toMatchObject({ _tag: "Timeout", phase: "head" })
  }).pipe(
    Effect.provide(
      Client.layer({ baseUrl: "http://api.test/", timeouts: { head: "5 seconds" } }).pipe(
        Layer.provideMerge(
          MockTransport.layer([{ path: "/user/authenticate", reply: { status: 200, delay: "1 minute" } }]),
        ),
      ),
    ),
  ),
)
