// A StatusError keeps the response: its header fields, a preview of a body in memory, and the body read on
// demand within a limit, so catchTag("StatusError") can read an API's error object without a second call.
// Over a real server on 127.0.0.1.
import { Client, HttpError, Request, Response } from "@courier/core"
import { NodeTransport } from "@courier/node-transport"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { scoped } from "../../core/test/edition.js"
import { httpServer } from "./servers.js"

const api = httpServer((req, res) => {
  if (req.url === "/big") {
    res.writeHead(500, { "Content-Type": "text/plain" })
    return res.end("x".repeat(1024 * 1024))
  }
  res.writeHead(422, "Unprocessable", { "Content-Type": "application/problem+json", "X-Request-Id": "r-7" })
  res.end(JSON.stringify({ title: "invalid order", detail: "sku A-1 is sold out" }))
})

describe("errors that keep the response", () => {
  scoped("filterStatusOk's StatusError has the head, a preview in its message, and the body as JSON", () =>
    Effect.gen(function* () {
      const server = yield* api
      const client = (yield* Client.Client).pipe(Client.filterStatusOk)
      const problem = yield* client.fetch(Request.post(`${server.url}/orders`, { json: {} })).pipe(
        Effect.catchTag("StatusError", (e) =>
          Effect.map(e.json(), (body) => ({
            status: e.status,
            id: e.headers?.find(([k]) => k === "X-Request-Id"),
            body,
          })),
        ),
      )
      expect(problem).toEqual({
        status: 422,
        id: ["X-Request-Id", "r-7"],
        body: { title: "invalid order", detail: "sku A-1 is sold out" },
      })
      const error = yield* Effect.flip(
        Effect.flatMap(Client.fetch(Request.get(`${server.url}/x`)), Response.filterStatusOk),
      )
      expect(error.message).toContain("422 Unprocessable: GET http://127.0.0.1")
      expect(error.message).toContain('{"title":"invalid order"')
    }).pipe(Effect.provide(NodeTransport.client())),
  )

  scoped("a streamed body is read only when asked, and no further than the limit", () =>
    Effect.gen(function* () {
      const server = yield* api
      const client = (yield* Client.Client).pipe(Client.filterStatusOk)
      const error = yield* Effect.flip(client.execute(Request.get(`${server.url}/big`)))
      if (error._tag !== "StatusError") return expect.fail(`expected a StatusError, got ${error._tag}`)
      // The body is still on the wire: no preview was read for the message.
      expect(error.preview).toBeUndefined()
      const tooLarge = yield* Effect.flip(error.text(1000))
      expect(tooLarge).toMatchObject({ _tag: "BodyTooLarge", limit: 1000 })
      expect((tooLarge as HttpError.BodyTooLarge).received).toBeLessThan(1000 + 128 * 1024)
      // Read once: asking again gives the same answer.
      expect((yield* Effect.flip(error.text(1000)))._tag).toBe("BodyTooLarge")
    }).pipe(Effect.scoped, Effect.provide(NodeTransport.client())),
  )

  it.effect("a StatusError made by hand has an empty body", () =>
    Effect.gen(function* () {
      const error = new HttpError.StatusError({ request: { method: "GET", url: "http://x/" }, status: 404, reason: "" })
      expect(yield* error.text()).toBe("")
      expect(error.message).toBe("Unexpected status 404 : GET http://x/")
    }),
  )
})
