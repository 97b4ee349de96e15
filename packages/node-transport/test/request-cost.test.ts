// What a request costs beyond its bytes: Effect makes an AbortController for every callback whose register
// takes a signal, so the request path registers none that way. The bench measured the Effect 4 edition
// spending 5 % of its CPU in node:abort_controller before this held there.
import { Body, Client, Request, Response } from "@courier/core"
import { NodeTransport } from "@courier/node-transport"
import { describe, expect } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { scoped } from "../../core/test/edition.js"
import { httpServer } from "./servers.js"

const echo = httpServer((req, res) => {
  req.resume()
  req.on("end", () => res.end("hello world"))
})

/** Runs `effect` with every AbortController made while it runs counted. */
const countingControllers = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.acquireUseRelease(
    Effect.sync(() => {
      const original = globalThis.AbortController
      const count = { made: 0 }
      globalThis.AbortController = class extends original {
        constructor() {
          super()
          count.made++
        }
      }
      return { original, count }
    }),
    ({ count }) => Effect.map(effect, (a) => [a, count.made] as const),
    ({ original }) =>
      Effect.sync(() => {
        globalThis.AbortController = original
      }),
  )

describe("the cost of a request", () => {
  scoped("GETs and POSTs, one at a time and 8 at once, make no AbortController", () =>
    Effect.gen(function* () {
      const server = yield* echo
      const get = Effect.flatMap(Client.get(`${server.url}/get`), Response.text)
      const post = Effect.flatMap(
        Client.fetch(Request.post(`${server.url}/post`, { body: Body.bytes(new Uint8Array(1024)) })),
        Response.text,
      )
      yield* get // the connection is open before the count starts
      const [texts, made] = yield* countingControllers(
        Effect.all([
          Effect.forEach(Array.from({ length: 8 }), () => get),
          Effect.forEach(Array.from({ length: 16 }), () => post, { concurrency: 8 }),
        ]),
      )
      expect(texts.flat()).toEqual(Array.from({ length: 24 }, () => "hello world"))
      expect(made).toBe(0)
    }).pipe(Effect.provide(NodeTransport.client())),
  )
})
