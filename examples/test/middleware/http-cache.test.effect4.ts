import { Cache, Client, Headers, Request, Response } from "@courier/core"
import { MockTransport } from "@courier/mock-transport"
import { expect, it } from "@effect/vitest"
import { Effect, Layer, Option } from "effect"
import { TestClock } from "effect/testing"

// A private cache in memory, bounded; `cache: true` takes the defaults (1024 entries, 100 MiB).
const Api = Client.layer({ cache: { store: Cache.memory({ maxEntries: 500, maxBytes: 50 * 1024 * 1024 }) } })

const Catalog = MockTransport.layer([
  {
    path: "/catalog",
    reply: [
      { status: 200, headers: { ETag: '"v7"', "Cache-Control": "max-age=60" }, json: { items: 3 } },
      { status: 304, headers: { ETag: '"v7"', "Cache-Control": "max-age=60" } },
    ],
  },
])

it.effect("a fresh response answers from memory; a stale one is revalidated with its ETag", () =>
  Effect.gen(function* () {
    const get = Effect.map(Client.fetch(Request.get("https://api.test/catalog")), (r) => ({
      response: r,
      seen: [r.status, Cache.status(r)],
    }))
    expect((yield* get).seen).toEqual([200, "miss"])
    yield* TestClock.adjust("30 seconds")
    expect((yield* get).seen).toEqual([200, "hit"]) // the origin is not asked
    yield* TestClock.adjust("31 seconds")
    const { response, seen } = yield* get // stale: sent with If-None-Match, answered 304
    expect(seen).toEqual([200, "revalidated"])
    expect(yield* Response.json(response)).toEqual({ items: 3 }) // the stored body
    const asked = (yield* MockTransport.calls).map((c) =>
      Option.getOrUndefined(Headers.get(c.request.headers, "if-none-match")),
    )
    expect(asked).toEqual([undefined, '"v7"'])
  }).pipe(Effect.provide(Api.pipe(Layer.provideMerge(Catalog)))),
)
