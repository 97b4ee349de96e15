import { Client, HttpError } from "@courier/core"
import { MockTransport } from "@courier/mock-transport"
import { expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"

it.effect("faults are the transport's own typed errors", () =>
  Effect.gen(function* () {
    const error = yield* Effect.flip(Client.get("http://api.test/flaky"))
    expect(error).toBeInstanceOf(HttpError.IncompleteRead)
    expect(error).toMatchObject({ received: 4, expected: 10 })
  }).pipe(
    Effect.provide(
      Client.layer().pipe(
        Layer.provideMerge(
          MockTransport.layer([
            { path: "/flaky", reply: MockTransport.fault.closeMidBody(4, { status: 200, text: "0123456789" }) },
          ]),
        ),
      ),
    ),
  ),
)
