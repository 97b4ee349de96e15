// The node transport against real servers on 127.0.0.1: node:http for well-behaved exchanges, raw TCP
// servers for what node:http would never send.
import type * as net from "node:net"
import { Client, HttpError, Request, Response } from "@courier/core"
import { NodeTransport } from "@courier/node-transport"
import { describe, expect, it } from "@effect/vitest"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import { fork, scoped, scopedLive, signal, TestClock } from "../../core/test/edition.js"
import { httpServer, rawServer, scriptedServer } from "./servers.js"

const echoServer = httpServer((req, res) => {
  let body = ""
  req.setEncoding("latin1")
  req.on("data", (d: string) => {
    body += d
  })
  req.on("end", () => {
    const text = JSON.stringify({ method: req.method, url: req.url, headers: req.rawHeaders, body })
    res.writeHead(200, { "Content-Type": "application/json" })
    res.end(text)
  })
})

const client = NodeTransport.client()

describe("NodeTransport over node:http", () => {
  scoped("GET with params returns status, reason, version, headers and JSON", () =>
    Effect.gen(function* () {
      const server = yield* echoServer
      const r = yield* Client.get(`${server.url}/get`, { params: { name1: "value1", name2: "value 2" } })
      expect([r.status, r.reason, r.version]).toEqual([200, "OK", "HTTP/1.1"])
      expect(Response.getHeader(r, "content-type")).toBe("application/json")
      const body = (yield* Response.json(r)) as { url: string; headers: Array<string> }
      expect(body.url).toBe("/get?name1=value1&name2=value+2")
      expect(body.headers.slice(0, 2)).toEqual(["Host", `127.0.0.1:${server.port}`])
    }).pipe(Effect.provide(client)),
  )

  scoped("POST sends a form with Content-Type and Content-Length", () =>
    Effect.gen(function* () {
      const server = yield* echoServer
      const r = yield* Client.post(`${server.url}/post`, { data: { name1: "value1", name2: "value2" } })
      const body = (yield* Response.json(r)) as { method: string; headers: Array<string>; body: string }
      expect(body.method).toBe("POST")
      expect(body.body).toBe("name1=value1&name2=value2")
      expect(body.headers).toContain("application/x-www-form-urlencoded")
      expect(body.headers).toContain("25")
    }).pipe(Effect.provide(client)),
  )

  scoped("a streamed body of unknown length goes out chunked", () =>
    Effect.gen(function* () {
      const server = yield* echoServer
      const parts = ["alpha", "beta", "gamma"].map((s) => new TextEncoder().encode(s))
      const r = yield* Client.fetch(
        Request.post(`${server.url}/up`).pipe(Request.bodyStream(Stream.fromIterable(parts))),
      )
      const body = (yield* Response.json(r)) as { headers: Array<string>; body: string }
      expect(body.body).toBe("alphabetagamma")
      expect(body.headers).toContain("chunked")
    }).pipe(Effect.provide(client)),
  )

  scoped("N sequential requests are carried by one server-side socket", () =>
    Effect.gen(function* () {
      const server = yield* echoServer
      for (let i = 0; i < 20; i++) expect((yield* Client.get(`${server.url}/n/${i}`)).status).toBe(200)
      expect(server.connections()).toBe(1)
    }).pipe(Effect.provide(client)),
  )

  scoped("concurrent requests open at most the per-origin limit and wait their turn", () =>
    Effect.gen(function* () {
      const server = yield* echoServer
      const limited = NodeTransport.client({ maxConnectionsPerOrigin: 3 })
      const statuses = yield* Effect.forEach(
        Array.from({ length: 30 }, (_, i) => i),
        (i) => Effect.map(Client.get(`${server.url}/c/${i}`), (r) => r.status),
        { concurrency: 30 },
      ).pipe(Effect.provide(limited))
      expect(statuses.every((s) => s === 200)).toBe(true)
      expect(server.connections()).toBeLessThanOrEqual(3)
    }),
  )

  scoped("closing the layer's scope closes every socket", () =>
    Effect.gen(function* () {
      const server = yield* echoServer
      const scope = yield* Scope.make()
      const ctx = yield* Layer.buildWithScope(client, scope)
      yield* Effect.forEach([1, 2, 3], (i) => Client.get(`${server.url}/${i}`), { concurrency: 3 }).pipe(
        Effect.provide(ctx),
      )
      expect(server.open()).toBeGreaterThan(0)
      yield* Scope.close(scope, Exit.void)
      yield* server.untilOpen(0)
      expect(server.open()).toBe(0)
    }),
  )

  scoped("a response abandoned mid-body destroys its connection; one read to the end is reused", () =>
    Effect.gen(function* () {
      const server = yield* httpServer((req, res) => {
        res.writeHead(200, { "Content-Length": String(1 << 20) })
        if (req.url === "/small") res.end("x".repeat(1 << 20))
        else res.write("x".repeat(1024))
      })
      // Read one chunk of a body that never finishes, then leave: the scope closes the connection.
      yield* Effect.scoped(
        Effect.flatMap(Client.execute(Request.get(`${server.url}/stall`)), (r) => Stream.runHead(Response.stream(r))),
      )
      yield* Client.get(`${server.url}/small`)
      yield* Client.get(`${server.url}/small`)
      expect(server.connections()).toBe(2)
    }).pipe(Effect.provide(client)),
  )

  scoped("an interrupted request frees its connection", () =>
    Effect.gen(function* () {
      const arrived = yield* Deferred.make<void>()
      const server = yield* httpServer((req, res) => {
        if (req.url === "/slow") return signal(arrived) // never answers
        res.end("ok")
      })
      const fiber = yield* fork(Client.get(`${server.url}/slow`))
      yield* Deferred.await(arrived)
      yield* Fiber.interrupt(fiber)
      yield* server.untilOpen(0)
      expect(server.open()).toBe(0)
      expect((yield* Client.get(`${server.url}/fast`)).status).toBe(200)
    }).pipe(Effect.provide(client)),
  )

  scoped("a request interrupted on the connection it dialled gives its slot back once: the limit holds", () =>
    Effect.gen(function* () {
      const arrived = yield* Deferred.make<void>()
      const server = yield* httpServer((req, res) => {
        if (req.url === "/slow") return signal(arrived) // never answers
        res.end("ok")
      })
      yield* Effect.gen(function* () {
        const fiber = yield* fork(Client.get(`${server.url}/slow`))
        yield* Deferred.await(arrived)
        yield* Fiber.interrupt(fiber)
        // With one connection allowed, the next two requests share one: the first dials, the second waits.
        const statuses = yield* Effect.forEach([1, 2], (i) => Client.get(`${server.url}/${i}`), {
          concurrency: 2,
        })
        expect(statuses.map((r) => r.status)).toEqual([200, 200])
      }).pipe(Effect.provide(NodeTransport.client({ maxConnectionsPerOrigin: 1 })))
      expect(server.connections()).toBe(2)
    }),
  )
})

// Deadlines run on the Effect Clock: over real sockets, TestClock moves time once the server has said it
// reached the state the test needs.
describe("NodeTransport timeouts against real sockets, on TestClock", () => {
  scoped("a server slow to answer is Timeout(head), and its socket is closed", () =>
    Effect.gen(function* () {
      const arrived = yield* Deferred.make<void>()
      const server = yield* httpServer(() => signal(arrived))
      const fiber = yield* fork(Client.get(server.url, { timeout: { head: "50 millis" } }))
      yield* Deferred.await(arrived)
      yield* TestClock.adjust("50 millis")
      const error = yield* Effect.flip(Fiber.join(fiber))
      expect(error).toMatchObject({ _tag: "Timeout", phase: "head", millis: 50 })
      yield* server.untilOpen(0)
      expect(server.open()).toBe(0)
    }).pipe(Effect.provide(client)),
  )

  scoped("a body that stalls is Timeout(body)", () =>
    Effect.gen(function* () {
      const server = yield* httpServer((_req, res) => {
        res.writeHead(200, { "Content-Length": "100" })
        res.write("first part")
      })
      // The response's head has arrived when execute returns; then the body stalls.
      const response = yield* Client.execute(Request.get(server.url, { timeout: { body: "50 millis" } }))
      const reading = yield* fork(Response.text(response))
      yield* TestClock.adjust("50 millis")
      expect(yield* Effect.flip(Fiber.join(reading))).toMatchObject({ _tag: "Timeout", phase: "body" })
    }).pipe(Effect.provide(client)),
  )

  scoped("a total deadline covers reading the body", () =>
    Effect.gen(function* () {
      const arrived = yield* Deferred.make<void>()
      const server = yield* httpServer((_req, res) => {
        res.writeHead(200, { "Content-Length": "4" })
        res.write("ab", () => signal(arrived))
      })
      const fiber = yield* fork(Client.get(server.url, { timeout: 100 }))
      yield* Deferred.await(arrived)
      yield* TestClock.adjust("100 millis")
      const error = yield* Effect.flip(Fiber.join(fiber))
      expect(error).toMatchObject({ _tag: "Timeout", phase: "total", millis: 100 })
    }).pipe(Effect.provide(client)),
  )
})

describe("NodeTransport against misbehaving raw TCP servers", () => {
  scoped("a bad status line is BadStatusLine with the line", () =>
    Effect.gen(function* () {
      const server = yield* scriptedServer("HTTP/1.1 OK 200\r\n\r\n")
      const error = yield* Effect.flip(Client.get(server.url))
      expect(error).toBeInstanceOf(HttpError.BadStatusLine)
      expect(error).toMatchObject({ line: "HTTP/1.1 OK 200" })
      expect(error.message).toContain(`GET ${server.url}`)
    }).pipe(Effect.provide(client)),
  )

  scoped("a server that closes without a byte is BadStatusLine with an empty line", () =>
    Effect.gen(function* () {
      const server = yield* rawServer((socket) => socket.end())
      const error = yield* Effect.flip(Client.get(server.url))
      expect(error).toMatchObject({ _tag: "BadStatusLine", line: "" })
    }).pipe(Effect.provide(client)),
  )

  scoped("a body cut short is IncompleteRead with received and expected bytes", () =>
    Effect.gen(function* () {
      const server = yield* scriptedServer("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this")
      const error = yield* Effect.flip(Client.get(server.url))
      expect(error).toMatchObject({ _tag: "IncompleteRead", received: 9, expected: 100 })
    }).pipe(Effect.provide(client)),
  )

  it.effect("a refused port is HTTPConnectionError", () =>
    Effect.gen(function* () {
      // Nothing listens on port 1 of the loopback.
      const error = yield* Effect.flip(Client.get("http://127.0.0.1:1/"))
      expect(error).toMatchObject({ _tag: "HTTPConnectionError", code: "ECONNREFUSED", host: "127.0.0.1", port: 1 })
      expect(error.message).toContain("GET http://127.0.0.1:1/")
    }).pipe(Effect.provide(client)),
  )

  scoped("a reset after the head is IOError", () =>
    Effect.gen(function* () {
      const sockets: Array<net.Socket> = []
      const server = yield* rawServer((socket) => {
        socket.on("error", () => undefined)
        sockets.push(socket)
        socket.once("data", () => socket.write("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npart"))
      })
      // The head has arrived when execute returns; only then does the server reset.
      const response = yield* Client.execute(Request.get(server.url))
      for (const s of sockets) s.resetAndDestroy()
      const error = yield* Effect.flip(Response.text(response))
      expect(error).toMatchObject({ _tag: "IOError", code: "ECONNRESET" })
    }).pipe(Effect.provide(client)),
  )

  scoped("an idempotent request on a keep-alive socket the server closed is retried on a fresh one", () =>
    Effect.gen(function* () {
      // Answers one request per connection while claiming keep-alive, then closes the idle socket.
      const server = yield* rawServer((socket) => {
        socket.once("data", () => {
          socket.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", () => socket.end())
        })
        socket.on("error", () => undefined)
      })
      expect((yield* Client.get(server.url)).status).toBe(200)
      // The server's socket is closed once the client has seen the end and closed its side too.
      yield* server.untilOpen(0)
      expect((yield* Client.get(server.url)).status).toBe(200)
      expect(server.connections()).toBe(2)
    }).pipe(Effect.provide(client)),
  )

  scopedLive("bytes a server writes on an idle keep-alive socket do not poison the next response", () =>
    Effect.gen(function* () {
      const sockets: Array<net.Socket> = []
      const server = yield* rawServer((socket) => {
        sockets.push(socket)
        socket.on("error", () => undefined)
        socket.once("data", () => {
          socket.write("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfirst")
          socket.on("data", () => socket.write("HTTP/1.1 500 Same socket\r\nContent-Length: 0\r\n\r\n"))
        })
      })
      expect(yield* Effect.flatMap(Client.get(server.url), Response.text)).toBe("first")
      // The first response is read and its connection idle in the pool: only now the unsolicited bytes go out.
      // The client's answer to them is to close the connection, which the server sees.
      sockets[0]?.write("HTTP/1.1 500 Unsolicited\r\nContent-Length: 0\r\n\r\n")
      yield* server.untilOpen(0)
      const second = yield* Client.get(server.url)
      expect([second.status, yield* Response.text(second)]).toEqual([200, "first"])
      expect(server.connections()).toBe(2)
    }).pipe(Effect.provide(client)),
  )

  scoped("header injection is refused before any byte is written", () =>
    Effect.gen(function* () {
      const server = yield* echoServer
      const error = yield* Effect.flip(Client.get(server.url, { headers: { "X-A": "1\r\nInjected: yes" } }))
      expect(error).toMatchObject({ _tag: "InvalidHeader", name: "X-A" })
      expect(server.connections()).toBe(0)
    }).pipe(Effect.provide(client)),
  )
})
