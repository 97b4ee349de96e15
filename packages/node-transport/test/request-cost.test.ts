// What a request costs beyond its bytes. Effect makes an AbortController for every callback whose register
// takes a signal, so the request path registers none that way: the bench measured the Effect 4 edition
// spending 5 % of its CPU in node:abort_controller before this held there. And each runtime operation is
// CPU that undici.request does not spend, so a request takes few: the call reads its fiber once, and the
// exchange is one callback that prepares the request too (bench: `pnpm --filter @courier/bench ops`).
import { Body, Client, Request, Response } from "@courier/core"
import { NodeTransport } from "@courier/node-transport"
import { describe, expect } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { countingOps, edition, scoped } from "../../core/test/edition.js"
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

/**
 * Runtime operations per request of the standard Client, a request at a time, with the request read whole.
 * A GET took 19 on Effect 3 and 9 on Effect 4 before the call read its fiber once, the exchange's callback
 * prepared the request, and decoding was fused into the redirect link.
 */
const OPS_PER_REQUEST = { effect3: 15, effect4: 5 }

describe("the cost of a request", () => {
  scoped("a GET or a POST read whole takes a bounded number of runtime operations", () =>
    Effect.gen(function* () {
      const server = yield* echo
      const get = Client.get(`${server.url}/get`)
      const post = Client.fetch(Request.post(`${server.url}/post`, { body: Body.bytes(new Uint8Array(1024)) }))
      yield* get // the connection is open before the count starts
      for (const request of [get, post]) {
        const [responses, ops] = yield* countingOps(Effect.forEach(Array.from({ length: 100 }), () => request))
        expect(responses.map((r) => r.status)).toEqual(Array.from({ length: 100 }, () => 200))
        expect(ops / 100).toBeLessThan(OPS_PER_REQUEST[edition] + 1)
      }
    }).pipe(Effect.provide(NodeTransport.client())),
  )

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
