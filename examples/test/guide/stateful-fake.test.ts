import { Client, Request, Response } from "@courier/core"
import { MockTransport } from "@courier/mock-transport"
import { expect, it } from "@effect/vitest"
import { Effect, Layer, Ref, Schema } from "effect"

// The code under test: creating a live event for a signed-in user.
const Created = Schema.Struct({ live_event_id: Schema.String })
const createLiveEvent = (session: { token: string; userId: string }, title: string) =>
  Client.fetch(
    Request.post(`user/${session.userId}/live_event`, { json: { title } }).pipe(
      Request.setHeader("X-SESSION-TOKEN", session.token),
    ),
  ).pipe(
    Effect.flatMap(Response.schemaJson(Created)),
    Effect.map((created) => created.live_event_id),
  )

it.effect("a stateful fake: a Ref counts what the app created", () =>
  Effect.gen(function* () {
    const created = yield* Ref.make(0)
    const fake = MockTransport.layer([
      {
        method: "POST",
        path: "/user/:id/live_event",
        headers: { "x-session-token": "t" },
        reply: () =>
          Effect.map(
            Ref.updateAndGet(created, (n) => n + 1),
            (n) => ({ status: 200, json: { live_event_id: `ev-${n}` } }),
          ),
      },
    ])
    const session = { token: "t", userId: "ada" }
    const ids = yield* Effect.zip(createLiveEvent(session, "a"), createLiveEvent(session, "b")).pipe(
      Effect.provide(Client.layer({ baseUrl: "http://api.test/" }).pipe(Layer.provideMerge(fake))),
    )
    expect(ids).toEqual(["ev-1", "ev-2"])
    expect(yield* Ref.get(created)).toBe(2)
  }),
)
