// Pagination on the mock transport: a route handler serves pages with Link headers; the stream fetches a
// page only when pulled, and the history shows which pages were asked for.
import { Client, Request } from "@courier/core"
import { MockTransport } from "@courier/mock-transport"
import { expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"

const pages = MockTransport.layer([
  {
    path: "/orders",
    reply: (request) => {
      const page = Number(request.query.get("page") ?? 1)
      const next = page < 3 ? { Link: `<https://shop.test/orders?page=${page + 1}>; rel="next"` } : {}
      return Effect.succeed({ status: 200, headers: next, json: [`order ${page}a`, `order ${page}b`] })
    },
  },
])

it.effect("pages follow Link rel=next, fetched one pull at a time", () =>
  Effect.gen(function* () {
    const firstThree = yield* Client.paginate<string>(Request.get("https://shop.test/orders")).pipe(
      Stream.take(3),
      Stream.runCollect,
    )
    expect(Array.from(firstThree)).toEqual(["order 1a", "order 1b", "order 2a"])
    expect((yield* MockTransport.calls).map((c) => c.request.url)).toEqual([
      "https://shop.test/orders",
      "https://shop.test/orders?page=2",
    ])
  }).pipe(Effect.provide(Client.layer().pipe(Layer.provideMerge(pages)))),
)
