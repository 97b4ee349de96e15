import { Client, Request, Response } from "@courier/core"
import { MockTransport } from "@courier/mock-transport"
import { expect, it } from "@effect/vitest"
import { Effect } from "effect"

/**
 * An API that answers 410 for what it deleted, where the app wants a plain 404: the status and a header
 * change, and the body goes on as it came, unread (streamed from `execute`, in memory from `fetch`).
 */
const goneIsNotFound = Client.mapResponse((response) =>
  response.status === 410
    ? response.pipe(Response.setStatus(404, "Not Found"), Response.setHeader("X-Was", "410"))
    : response,
)

it.effect("a 410 is returned as a 404 with its body intact", () =>
  Effect.gen(function* () {
    const client = (yield* Client.makeBare).pipe(goneIsNotFound)
    const r = yield* client.fetch(Request.get("http://api.test/orders/7"))
    expect([r.status, r.reason, Response.getHeader(r, "x-was")]).toEqual([404, "Not Found", "410"])
    expect(yield* Response.json(r)).toEqual({ error: "order 7 was deleted" })
  }).pipe(
    Effect.provide(
      MockTransport.layer([{ path: "/orders/7", reply: { status: 410, json: { error: "order 7 was deleted" } } }]),
    ),
  ),
)
