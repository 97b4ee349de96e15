// The mock sees a request as the wire would carry it: the headers the HTTP/1.1 transport writes (Host,
// default headers, Content-Type and Content-Length from the body), checked as it checks them.
import { Body, Client, Headers, Request } from "@courier/core"
import { MockTransport } from "@courier/mock-transport"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"

const over = (routes: ReadonlyArray<MockTransport.Route>, client: Client.Options = {}) =>
  Client.layer({ userAgent: "app/1", headers: { "X-Team": "core" }, ...client }).pipe(
    Layer.provideMerge(MockTransport.layer(routes, { allowUnmatched: true })),
  )

const header = (call: MockTransport.Call, name: string) =>
  Option.getOrUndefined(Headers.get(call.request.headers, name))

describe("MockTransport sees what the wire sees", () => {
  it.effect("a route matching content-type: /json/ matches a JSON body, which sets no header of its own", () =>
    Effect.gen(function* () {
      const r = yield* Client.post("http://api.test/items", { json: { a: 1 } })
      expect(r.status).toBe(201)
    }).pipe(
      Effect.provide(
        over([{ method: "POST", path: "/items", headers: { "content-type": /json/ }, reply: { status: 201 } }]),
      ),
    ),
  )

  it.effect("recorded calls carry Host, the Client's default headers, and the body's Content-Type and length", () =>
    Effect.gen(function* () {
      yield* Client.post("http://api.test:8080/form", { data: { q: "x y" } })
      yield* Client.post("http://api.test:8080/stream", { body: Body.stream(Stream.make(new Uint8Array([1, 2]))) })
      yield* Client.get("http://api.test:8080/plain")
      const [form, streamed, plain] = yield* MockTransport.calls
      expect(form?.request.headers.entries.map(([k]) => k)).toEqual([
        "Host",
        "User-Agent",
        "X-Team",
        "Content-Type",
        "Content-Length",
      ])
      expect(form && [header(form, "host"), header(form, "content-type"), header(form, "content-length")]).toEqual([
        "api.test:8080",
        "application/x-www-form-urlencoded",
        "5",
      ])
      expect(streamed && header(streamed, "transfer-encoding")).toBe("chunked")
      expect(plain && [header(plain, "content-length"), header(plain, "user-agent")]).toEqual([undefined, "app/1"])
    }).pipe(Effect.provide(over([{ path: /.*/, reply: { status: 200 } }]))),
  )

  it.effect("a request the transport would refuse fails in the mock too, before any route is asked", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(
        Client.fetch(Request.get("http://api.test/x").pipe(Request.setHeader("Transfer-Encoding", "chunked"))),
      )
      expect(error._tag).toBe("InvalidHeader")
      expect(yield* MockTransport.calls).toEqual([])
    }).pipe(Effect.provide(over([{ path: "/x", reply: { status: 200 } }]))),
  )

  it.effect("a malformed percent-escape in a path parameter is a typed UnmatchedRequest, not a defect", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(Client.get("http://api.test/users/%E0%A4%A"))
      expect(error._tag).toBe("UnmatchedRequest")
      expect(error._tag === "UnmatchedRequest" && error.reasons.join()).toContain("malformed percent-escape")
    }).pipe(Effect.provide(over([{ path: "/users/:id", reply: { status: 200 } }]))),
  )
})
