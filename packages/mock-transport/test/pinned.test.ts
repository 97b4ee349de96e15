// Pinned connections over the mock transport: the connection model records them.
import { Client, Request } from "@courier/core"
import { MockTransport } from "@courier/mock-transport"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"

const layer = Client.layer().pipe(Layer.provideMerge(MockTransport.layer([{ path: "/:n", reply: { status: 200 } }])))

describe("pinned connections over the mock", () => {
  it.effect("a pinned client's requests share one simulated connection, separate from the pool's", () =>
    Effect.gen(function* () {
      yield* Client.get("http://h/pool-1")
      yield* Effect.scoped(
        Effect.gen(function* () {
          const one = yield* Client.pinned("http://h/")
          const a = yield* one.fetch(Request.get("http://h/a"))
          const b = yield* one.fetch(Request.get("http://h/b"))
          expect([a.connection?.pinned, b.connection?.pinned]).toEqual([true, true])
          expect(a.connection?.id).toBe(b.connection?.id)
        }),
      )
      const calls = yield* MockTransport.calls
      expect(calls.map((c) => c.connection?.id)).toEqual([1, 1, 1])
      expect(yield* MockTransport.connections).toEqual({ opened: 1, reused: 2 })
    }).pipe(Effect.provide(layer)),
  )
})
