// Server-sent events over real sockets on 127.0.0.1: events as they are written, reconnection as
// EventSource does it (the server's retry on the TestClock, Last-Event-ID, a 204 ends it), HTTP/2, the
// responses that end the stream without reconnecting, the bound on one event, and flat memory over 100,000.
import type * as http from "node:http"
import { Client, Request, Sse } from "@courier/core"
import { NodeTransport } from "@courier/node-transport"
import { describe, expect } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { fork, scoped } from "../../core/test/edition.js"
import { h2Server } from "./h2servers.js"
import { advanceUntilDone, MiB, rssGrowth } from "./hostile.js"
import { httpServer } from "./servers.js"

const eventStream = (res: http.ServerResponse) =>
  res.writeHead(200, { "Content-Type": "text/event-stream", "Cache-Control": "no-store" })

const collect = <E, R>(stream: Stream.Stream<Sse.Event, E, R>) =>
  Effect.map(Stream.runCollect(stream), (c) => Array.from(c, (e) => `${e.type}:${e.data}#${e.id}`))

describe("server-sent events", () => {
  scoped("reconnects after the server's retry with Last-Event-ID, until a 204 ends it", () =>
    Effect.gen(function* () {
      const seen: Array<string | undefined> = []
      const server = yield* httpServer((req, res) => {
        seen.push(req.headers["last-event-id"] as string | undefined)
        if (req.headers.accept !== "text/event-stream") return res.writeHead(406).end()
        if (seen.length === 3) return res.writeHead(204).end()
        eventStream(res)
        if (seen.length === 1) res.end("retry: 1000\nid: 1\ndata: one\n\nid: 2\nevent: update\ndata: two\n\n")
        else res.end("id: 3\ndata: three\ndata: lines\n\n")
      })
      const fiber = yield* fork(collect(Sse.events(Request.get(`${server.url}/stream`))))
      const all = yield* advanceUntilDone(fiber, "1 second", 10)
      expect(all).toEqual(["message:one#1", "update:two#2", "message:three\nlines#3"])
      expect(seen).toEqual([undefined, "2", "3"])
    }).pipe(Effect.provide(NodeTransport.client())),
  )

  scoped("a connection lost mid-stream is reconnected; with reconnect off, the stream fails with its error", () =>
    Effect.gen(function* () {
      let count = 0
      const server = yield* httpServer((_req, res) => {
        count++
        eventStream(res)
        if (count === 1) res.write("id: a\ndata: before\n\n", () => res.socket?.destroy())
        else res.end("data: after\n\n")
      })
      const url = `${server.url}/lost`
      const fiber = yield* fork(collect(Sse.events(Request.get(url), { retryMillis: 10, maxReconnects: 1 })))
      expect(yield* advanceUntilDone(fiber, "10 millis", 10)).toEqual(["message:before#a", "message:after#a"])
      count = 0
      const once = yield* Effect.flip(collect(Sse.events(Request.get(url), { reconnect: false })))
      expect(once._tag).toMatch(/IOError|IncompleteRead/)
    }).pipe(Effect.provide(NodeTransport.client())),
  )

  scoped("a status other than 200 or a body that is not an event stream ends it at once, typed", () =>
    Effect.gen(function* () {
      let requests = 0
      const server = yield* httpServer((req, res) => {
        requests++
        if (req.url === "/down") return res.writeHead(503, { "Content-Type": "text/plain" }).end("later")
        res.writeHead(200, { "Content-Type": "application/json" }).end("{}")
      })
      const down = yield* Effect.flip(collect(Sse.events(Request.get(`${server.url}/down`))))
      expect(down).toMatchObject({ _tag: "StatusError", status: 503 })
      const json = yield* Effect.flip(collect(Sse.events(Request.get(`${server.url}/json`))))
      expect(json).toMatchObject({ _tag: "DecodeError", expected: "text/event-stream" })
      expect(requests).toBe(2)
    }).pipe(Effect.provide(NodeTransport.client())),
  )

  scoped("one event past maxEventBytes is a DecodeError, not memory", () =>
    Effect.gen(function* () {
      const server = yield* httpServer((_req, res) => {
        eventStream(res)
        res.end(`data: ${"x".repeat(5000)}\n\n`)
      })
      const error = yield* Effect.flip(collect(Sse.events(Request.get(server.url), { maxEventBytes: 1000 })))
      expect(error).toMatchObject({ _tag: "DecodeError" })
      expect(error.message).toContain("at most 1000 characters")
    }).pipe(Effect.provide(NodeTransport.client())),
  )

  scoped("over HTTP/2 the same", () =>
    Effect.gen(function* () {
      const server = yield* h2Server("h2c", (stream) => {
        stream.respond({ ":status": 200, "content-type": "text/event-stream" })
        stream.end("event: tick\ndata: 1\n\nevent: tick\ndata: 2\n\n")
      })
      const ticks = yield* collect(Sse.events(Request.get(`${server.url}/ticks`), { reconnect: false }))
      expect(ticks).toEqual(["tick:1#", "tick:2#"])
    }).pipe(Effect.provide(NodeTransport.client({ httpVersion: "2" }))),
  )

  scoped(
    "100,000 events stream with flat memory",
    () =>
      Effect.gen(function* () {
        const total = 100_000
        const server = yield* httpServer((_req, res) => {
          eventStream(res)
          let sent = 0
          const pump = () => {
            while (sent < total) {
              const batch = Array.from({ length: 100 }, (_, i) => `id: ${sent + i}\ndata: {"n":${sent + i}}\n\n`).join(
                "",
              )
              sent += 100
              if (!res.write(batch)) return void res.once("drain", pump)
            }
            res.end()
          }
          pump()
        })
        let count = 0
        const { result, growth } = yield* rssGrowth(
          Stream.runForEach(Sse.events(Request.get(server.url), { reconnect: false }), () =>
            Effect.sync(() => {
              count++
            }),
          ),
        )
        expect(result._tag).toBe("Success")
        expect(count).toBe(total)
        expect(growth).toBeLessThan(48 * MiB)
      }).pipe(Effect.provide(NodeTransport.client())),
    30_000,
  )
})

describe("server-sent events through the Client's transforms", () => {
  scoped("each connection goes through the chain: a header of the client's on every reconnection", () =>
    Effect.gen(function* () {
      const auth: Array<string | undefined> = []
      const server = yield* httpServer((req, res) => {
        auth.push(req.headers.authorization)
        eventStream(res)
        res.end("data: x\n\n")
      })
      const client = (yield* Client.Client).pipe(Client.withHeaders({ Authorization: "Bearer t" }))
      const fiber = yield* fork(
        collect(Sse.eventsWith(client, Request.get(server.url), { retryMillis: 5, maxReconnects: 2 })),
      )
      expect(yield* advanceUntilDone(fiber, "5 millis", 10)).toEqual(["message:x#", "message:x#", "message:x#"])
      expect(auth).toEqual(["Bearer t", "Bearer t", "Bearer t"])
    }).pipe(Effect.provide(NodeTransport.client())),
  )
})
