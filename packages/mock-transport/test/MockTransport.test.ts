import { Client, HttpError, Request, Response } from "@courier/core"
import { Service } from "@courier/core/internal/edition"
import { MockTransport } from "@courier/mock-transport"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Ref from "effect/Ref"

// These tests look at unmatched requests on purpose, so the layer lets them pass at scope close.
const clientOver = <R = never>(routes: ReadonlyArray<MockTransport.Route<R>>) =>
  Client.layer({ userAgent: false }).pipe(Layer.provideMerge(MockTransport.layer(routes, { allowUnmatched: true })))

describe("MockTransport", () => {
  it.effect("matches method and path with parameters, and the first match wins", () =>
    Effect.gen(function* () {
      const r = yield* Client.get("http://h/users/42")
      expect(yield* Response.json(r)).toEqual({ id: "42" })
      const fallback = yield* Client.get("http://h/users")
      expect(yield* Response.text(fallback)).toBe("list")
      const calls = yield* MockTransport.calls
      expect(calls.map((c) => c.route)).toEqual(["GET /users/:id", "GET /users"])
    }).pipe(
      Effect.provide(
        clientOver([
          {
            method: "GET",
            path: "/users/:id",
            reply: (req) => Effect.succeed({ status: 200, json: { id: req.params.id } }),
          },
          { method: "GET", path: "/users", reply: { status: 200, text: "list" } },
          { method: "GET", path: "/users/:id", reply: { status: 500 } },
        ]),
      ),
    ),
  )

  it.effect("matches on query values", () =>
    Effect.gen(function* () {
      expect((yield* Client.get("http://h/search", { params: { q: "cats" } })).status).toBe(200)
      const error = yield* Effect.flip(Client.get("http://h/search", { params: { q: "dogs" } }))
      expect(error._tag).toBe("UnmatchedRequest")
      expect(error.message).toContain('query q="dogs" is not "cats"')
    }).pipe(Effect.provide(clientOver([{ path: "/search", query: { q: "cats" }, reply: { status: 200 } }]))),
  )

  it.effect("a route with an empty list of replies fails as unmatched, saying so, rather than crash", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(Client.get("http://h/empty"))
      expect(error).toMatchObject({ _tag: "UnmatchedRequest", reasons: ["GET /empty: its list of replies is empty"] })
    }).pipe(Effect.provide(clientOver([{ method: "GET", path: "/empty", reply: [] }]))),
  )

  it.effect("an unmatched request fails with every route's reason and is recorded", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(Client.post("http://h/orders", { json: {} }))
      expect(error).toBeInstanceOf(HttpError.UnmatchedRequest)
      if (error._tag !== "UnmatchedRequest") return
      expect(error.reasons).toEqual([
        "GET /orders: method POST is not GET",
        "named: path /orders does not match /other",
      ])
      const calls = yield* MockTransport.calls
      expect(calls).toHaveLength(1)
      expect(calls[0]?.route).toBeUndefined()
      expect(calls[0]?.outcome).toEqual({ error: "UnmatchedRequest" })
    }).pipe(
      Effect.provide(
        clientOver([
          { method: "GET", path: "/orders", reply: { status: 200 } },
          { name: "named", path: "/other", reply: { status: 200 } },
        ]),
      ),
    ),
  )

  it.effect("handlers may use services: a Ref makes a stateful fake", () => {
    class Counter extends Service<Counter, Ref.Ref<number>>()("Counter") {}
    const routes: ReadonlyArray<MockTransport.Route<Counter>> = [
      {
        method: "POST",
        path: "/hit",
        reply: () =>
          Effect.flatMap(Counter, (ref) =>
            Effect.map(
              Ref.updateAndGet(ref, (n) => n + 1),
              (n) => ({ status: 200, json: { hits: n } }),
            ),
          ),
      },
    ]
    return Effect.gen(function* () {
      yield* Client.post("http://h/hit")
      const r = yield* Client.post("http://h/hit")
      expect(yield* Response.json(r)).toEqual({ hits: 2 })
      expect(yield* Ref.get(yield* Counter)).toBe(2)
    }).pipe(Effect.provide(clientOver(routes).pipe(Layer.provideMerge(Layer.effect(Counter, Ref.make(0))))))
  })

  it.effect("handlers can fail with the typed errors a real transport gives", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(Client.get("http://h/down"))
      expect(error._tag).toBe("HTTPConnectionError")
      expect((yield* MockTransport.calls)[0]?.outcome).toEqual({ error: "HTTPConnectionError" })
    }).pipe(
      Effect.provide(
        clientOver([
          {
            path: "/down",
            reply: (req) =>
              Effect.fail(
                new HttpError.HTTPConnectionError({
                  request: { method: req.method, url: req.url },
                  host: "h",
                  port: 80,
                  code: "ECONNREFUSED",
                  reason: "refused",
                }),
              ),
          },
        ]),
      ),
    ),
  )

  it.effect("records request bodies and headers as data", () =>
    Effect.gen(function* () {
      yield* Client.fetch(Request.post("http://h/form", { data: { a: "1" } }).pipe(Request.setHeader("X-Trace", "t1")))
      const [call] = yield* MockTransport.calls
      expect(call?.request.text).toBe("a=1")
      expect(call?.request.headers.entries).toContainEqual(["X-Trace", "t1"])
      expect(call?.outcome).toEqual({ status: 201 })
    }).pipe(Effect.provide(clientOver([{ path: "/form", reply: { status: 201 } }]))),
  )

  it.effect("two layers are isolated: routes and history do not leak between them", () =>
    Effect.gen(function* () {
      const a = clientOver([{ path: "/a", reply: { status: 200, text: "A" } }])
      const b = clientOver([{ path: "/b", reply: { status: 200, text: "B" } }])
      const [ra, rb] = yield* Effect.all(
        [
          Effect.flatMap(Client.get("http://h/a"), Response.text).pipe(
            Effect.zip(MockTransport.calls),
            Effect.provide(a),
          ),
          Effect.flip(Client.get("http://h/a")).pipe(Effect.zip(MockTransport.calls), Effect.provide(b)),
        ],
        { concurrency: 2 },
      )
      expect(ra[0]).toBe("A")
      expect(ra[1]).toHaveLength(1)
      expect(rb[0]._tag).toBe("UnmatchedRequest")
      expect(rb[1]).toHaveLength(1)
      expect(rb[1][0]?.route).toBeUndefined()
    }),
  )
})
