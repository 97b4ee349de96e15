// The transport's fast path for buffered requests (an exchange driven by socket callbacks, and requests
// that wait in the pool's line as callbacks), over real sockets: interruption, retries and hand-offs.
import type * as http from "node:http"
import { Client, type HttpError, Response } from "@courier/core"
import { NodeTransport } from "@courier/node-transport"
import { describe, expect } from "@effect/vitest"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import { type Forked, fork, scoped, signal, suspended } from "../../core/test/edition.js"
import { httpServer, rawServer } from "./servers.js"

const oneConnection = NodeTransport.client({ maxConnectionsPerOrigin: 1 })

/**
 * A node:http server that holds /hold until `release()` and answers anything else at once; it logs paths,
 * and `held` is done once /hold has arrived.
 */
const holdingServer = Effect.gen(function* () {
  const seen: Array<string> = []
  const held: Array<http.ServerResponse> = []
  const arrived = yield* Deferred.make<void>()
  const server = yield* httpServer((req, res) => {
    seen.push(req.url ?? "")
    req.resume()
    if (req.url === "/hold") {
      held.push(res)
      signal(arrived)
    } else res.end(req.url)
  })
  const release = () => {
    for (const res of held.splice(0)) res.end("held")
  }
  return { ...server, seen, release, held: Deferred.await(arrived) }
})

describe("buffered requests on the fast path", () => {
  scoped("a request interrupted while it waits for a connection is never sent", () =>
    Effect.gen(function* () {
      const server = yield* holdingServer
      const first = yield* fork(Client.get(`${server.url}/hold`))
      yield* server.held
      const waiting = yield* fork(Client.get(`${server.url}/never`))
      yield* suspended(waiting)
      yield* Fiber.interrupt(waiting)
      server.release()
      expect((yield* Fiber.join(first)).status).toBe(200)
      expect(yield* Effect.flatMap(Client.get(`${server.url}/after`), Response.text)).toBe("/after")
      expect(server.seen).toEqual(["/hold", "/after"])
      expect(server.connections()).toBe(1)
    }).pipe(Effect.provide(oneConnection)),
  )

  scoped("requests waiting for the one connection are written in order as it frees up", () =>
    Effect.gen(function* () {
      const server = yield* holdingServer
      const first = yield* fork(Client.get(`${server.url}/hold`))
      yield* server.held
      // Each joins the line after the one before it.
      const rest: Array<Forked<string, HttpError.HttpError>> = []
      for (const p of ["/1", "/2", "/3"]) {
        const fiber = yield* fork(Effect.flatMap(Client.get(`${server.url}${p}`), Response.text))
        yield* suspended(fiber)
        rest.push(fiber)
      }
      server.release()
      yield* Fiber.join(first)
      expect(yield* Effect.forEach(rest, Fiber.join)).toEqual(["/1", "/2", "/3"])
      expect(server.seen).toEqual(["/hold", "/1", "/2", "/3"])
      expect(server.connections()).toBe(1)
    }).pipe(Effect.provide(oneConnection)),
  )

  scoped("a request interrupted while its response is on the way destroys its reused connection", () =>
    Effect.gen(function* () {
      const server = yield* holdingServer
      expect((yield* Client.get(`${server.url}/warm`)).status).toBe(200)
      const fiber = yield* fork(Client.get(`${server.url}/hold`))
      yield* server.held
      yield* Fiber.interrupt(fiber)
      yield* server.untilOpen(0)
      expect(server.open()).toBe(0)
      expect((yield* Client.get(`${server.url}/next`)).status).toBe(200)
      expect(server.connections()).toBe(2)
    }).pipe(Effect.provide(oneConnection)),
  )

  scoped("an idempotent request on a reused connection reset as it is written is retried on a fresh one", () =>
    Effect.gen(function* () {
      // Every connection answers its first request and resets on the second, without a byte of answer.
      const server = yield* rawServer((socket) => {
        socket.on("error", () => undefined)
        let requests = 0
        socket.on("data", () => {
          if (++requests === 1) socket.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
          else socket.resetAndDestroy()
        })
      })
      expect((yield* Client.get(server.url)).status).toBe(200)
      expect((yield* Client.get(server.url)).status).toBe(200)
      expect(server.connections()).toBe(2)
    }).pipe(Effect.provide(oneConnection)),
  )

  scoped("a request waiting in line opens a connection of its own when the busy one is closed", () =>
    Effect.gen(function* () {
      const arrived: Array<Deferred.Deferred<void>> = [yield* Deferred.make<void>(), yield* Deferred.make<void>()]
      const answers: Array<() => void> = []
      const server = yield* rawServer((socket) => {
        socket.on("error", () => undefined)
        socket.once("data", () => {
          answers.push(() => socket.end("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 3\r\n\r\nbye"))
          signal(arrived[answers.length - 1] as Deferred.Deferred<void>)
        })
      })
      const get = Effect.flatMap(Client.get(server.url), Response.text)
      const a = yield* fork(get)
      yield* Deferred.await(arrived[0] as Deferred.Deferred<void>)
      const b = yield* fork(get)
      // The second waits in line for the only connection; the server then answers and closes it.
      yield* suspended(b)
      answers[0]?.()
      yield* Deferred.await(arrived[1] as Deferred.Deferred<void>)
      answers[1]?.()
      expect([yield* Fiber.join(a), yield* Fiber.join(b)]).toEqual(["bye", "bye"])
      expect(server.connections()).toBe(2)
    }).pipe(Effect.provide(oneConnection)),
  )
})
