// Pinned connections (Zerynth's connection=) over real sockets.
import { Client, Request, Response } from "@courier/core"
import { NodeTransport } from "@courier/node-transport"
import { describe, expect } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { scoped } from "../../core/test/edition.js"
import { httpServer } from "./servers.js"

const server = httpServer((req, res) => {
  req.resume()
  req.on("end", () => {
    if (req.url === "/bye") res.setHeader("Connection", "close")
    res.end(`${req.socket.remotePort}`)
  })
})

describe("pinned connections", () => {
  scoped("a pinned client carries a sequence of requests over one socket and says so", () =>
    Effect.gen(function* () {
      const s = yield* server
      const one = yield* Client.pinned(s.url)
      const ports: Array<string> = []
      for (let i = 0; i < 5; i++) {
        const r = yield* one.fetch(Request.get(`${s.url}/n/${i}`))
        expect(r.connection?.pinned).toBe(true)
        expect(r.connection?.reused).toBe(i > 0)
        ports.push(yield* Response.text(r))
      }
      expect(new Set(ports).size).toBe(1)
      expect(s.connections()).toBe(1)
    }).pipe(Effect.provide(NodeTransport.client())),
  )

  scoped("concurrent requests on a pinned client take turns on its one socket", () =>
    Effect.gen(function* () {
      const s = yield* server
      const one = yield* Client.pinned(s.url)
      const ports = yield* Effect.forEach(
        [1, 2, 3, 4, 5, 6],
        (i) => Effect.flatMap(one.fetch(Request.get(`${s.url}/c/${i}`)), Response.text),
        { concurrency: 6 },
      )
      expect(new Set(ports).size).toBe(1)
      expect(s.connections()).toBe(1)
    }).pipe(Effect.provide(NodeTransport.client())),
  )

  scoped("when the server closes the pinned connection, the next request opens a new one", () =>
    Effect.gen(function* () {
      const s = yield* server
      const one = yield* Client.pinned(s.url)
      const a = yield* Effect.flatMap(one.fetch(Request.get(`${s.url}/bye`)), Response.text)
      const b = yield* Effect.flatMap(one.fetch(Request.get(`${s.url}/again`)), Response.text)
      expect(a).not.toBe(b)
      expect(s.connections()).toBe(2)
    }).pipe(Effect.provide(NodeTransport.client())),
  )

  scoped("unpinned responses say whether their pooled connection was reused", () =>
    Effect.gen(function* () {
      const s = yield* server
      const first = yield* Client.get(`${s.url}/1`)
      const second = yield* Client.get(`${s.url}/2`)
      expect([first.connection?.reused, second.connection?.reused]).toEqual([false, true])
      expect(first.connection?.id).toBe(second.connection?.id)
      expect(second.connection?.pinned).toBe(false)
    }).pipe(Effect.provide(NodeTransport.client())),
  )

  scoped("after the pinned scope, its connection goes back to the pool", () =>
    Effect.gen(function* () {
      const s = yield* server
      yield* Effect.scoped(Effect.flatMap(Client.pinned(s.url), (one) => one.fetch(Request.get(`${s.url}/p`))))
      yield* Client.get(`${s.url}/after`)
      expect(s.connections()).toBe(1)
    }).pipe(Effect.provide(NodeTransport.client())),
  )
})
