// Hostile peers, part 1: every request ends. Dials that get no answer (SYNs dropped, a TLS handshake never
// answered, a proxy that never answers CONNECT), peers that never respond or stop reading, and a full pool:
// each ends at its deadline, by the default deadlines when the client sets none, and at once on
// interruption, over real sockets on 127.0.0.1 with time on the TestClock.

import { Body, Client, Connection, type HttpError, Request } from "@courier/core"
import { callback } from "@courier/core/internal/edition"
import { NodeConnector, NodeTransport } from "@courier/node-transport"
import { describe, expect } from "@effect/vitest"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Queue from "effect/Queue"
import * as Stream from "effect/Stream"
import { fork, interruptExit, isInterrupted, pollNow, repeatValue, scoped, TestClock } from "../../core/test/edition.js"
import { advanceUntilDone, seconds, silentServer, unansweredPort } from "./hostile.js"

const timeoutOf = (e: HttpError.HttpError) => (e._tag === "Timeout" ? { phase: e.phase, millis: e.millis } : e._tag)

describe("hostile peers: dialling ends", () => {
  scoped("a connect whose SYN gets no answer ends at the connect deadline and gives its pool slot back", () =>
    Effect.gen(function* () {
      const { port } = yield* unansweredPort
      const url = `http://127.0.0.1:${port}/`
      const first = yield* fork(Effect.flip(Client.get(url)))
      expect(timeoutOf(yield* advanceUntilDone(first, seconds(2)))).toEqual({ phase: "connect", millis: 2000 })
      // One connection per origin: a second request dials too, rather than waiting for the first's slot.
      const second = yield* fork(Effect.flip(Client.get(url)))
      expect(timeoutOf(yield* advanceUntilDone(second, seconds(2)))).toEqual({ phase: "connect", millis: 2000 })
    }).pipe(
      Effect.provide(
        NodeTransport.client({ timeouts: { connect: "2 seconds", acquire: "1 second" }, maxConnectionsPerOrigin: 1 }),
      ),
    ),
  )

  scoped("with no deadlines set, a connect that gets no answer ends at the default 10 s", () =>
    Effect.gen(function* () {
      const { port } = yield* unansweredPort
      const fiber = yield* fork(Effect.flip(Client.get(`http://127.0.0.1:${port}/`)))
      expect(timeoutOf(yield* advanceUntilDone(fiber, seconds(5)))).toEqual({ phase: "connect", millis: 10_000 })
    }).pipe(Effect.provide(NodeTransport.client())),
  )

  scoped("a connect that gets no answer ends at the total deadline when that comes first", () =>
    Effect.gen(function* () {
      const { port } = yield* unansweredPort
      const fiber = yield* fork(Effect.flip(Client.get(`http://127.0.0.1:${port}/`, { timeout: "3 seconds" })))
      expect(timeoutOf(yield* advanceUntilDone(fiber, seconds(1)))).toEqual({ phase: "total", millis: 3000 })
    }).pipe(Effect.provide(NodeTransport.client())),
  )

  scoped("interrupting a request stuck in a connect returns at once and frees its slot", () =>
    Effect.gen(function* () {
      const { port } = yield* unansweredPort
      const url = `http://127.0.0.1:${port}/`
      const stuck = yield* fork(Client.get(url))
      yield* Effect.promise(() => new Promise((resolve) => setImmediate(resolve)))
      expect(isInterrupted(yield* interruptExit(stuck))).toBe(true)
      const next = yield* fork(Effect.flip(Client.get(url)))
      expect(timeoutOf(yield* advanceUntilDone(next, seconds(2)))).toEqual({ phase: "connect", millis: 2000 })
    }).pipe(
      Effect.provide(
        NodeTransport.client({ timeouts: { connect: "2 seconds", acquire: "1 second" }, maxConnectionsPerOrigin: 1 }),
      ),
    ),
  )

  const dialCases = [
    {
      name: "a TLS handshake the server never answers",
      url: (port: number) => `https://127.0.0.1:${port}/`,
      options: {},
    },
    {
      name: "a CONNECT the proxy never answers",
      url: () => "https://origin.test/",
      options: (port: number) => ({ proxy: { https: `http://127.0.0.1:${port}`, proxyLoopback: true } }),
    },
    {
      name: "a SOCKS5 greeting the proxy never answers",
      url: () => "http://origin.test/",
      options: (port: number) => ({ proxy: { http: `socks5h://127.0.0.1:${port}`, proxyLoopback: true } }),
    },
  ] as const
  for (const c of dialCases) {
    scoped(`${c.name} ends at the connect deadline, at the total deadline, and on interruption`, () =>
      Effect.gen(function* () {
        const server = yield* silentServer
        const options = typeof c.options === "function" ? c.options(server.port) : c.options
        const run = (timeout?: Request.Timeouts) =>
          Client.get(c.url(server.port), timeout === undefined ? {} : { timeout }).pipe(
            Effect.provide(NodeTransport.client({ ...options, timeouts: { connect: "2 seconds" } })),
          )
        const byConnect = yield* fork(Effect.flip(run()))
        yield* Queue.take(server.connected)
        yield* TestClock.adjust("2 seconds")
        expect(timeoutOf(yield* Fiber.join(byConnect))).toEqual({ phase: "connect", millis: 2000 })

        const byTotal = yield* fork(Effect.flip(run({ total: "1 second" })))
        yield* Queue.take(server.connected)
        yield* TestClock.adjust("1 second")
        expect(timeoutOf(yield* Fiber.join(byTotal))).toEqual({ phase: "total", millis: 1000 })

        const interrupted = yield* fork(run())
        const socket = yield* Queue.take(server.connected)
        expect(isInterrupted(yield* interruptExit(interrupted))).toBe(true)
        // The half-open socket is destroyed: the server sees it close.
        yield* callback<void>((resume) => {
          if (socket.destroyed || socket.readableEnded) resume(Effect.void)
          else socket.once("close", () => resume(Effect.void))
        })
      }),
    )
  }
})

describe("hostile peers: nothing hangs by default", () => {
  scoped("a server that never answers ends at the default 300 s head deadline, fetched or streamed", () =>
    Effect.gen(function* () {
      for (const run of [Client.get, (url: string) => Client.execute(Request.get(url))]) {
        const server = yield* silentServer
        const fiber = yield* fork(Effect.flip(run(server.url)))
        yield* Deferred.await(server.received)
        yield* TestClock.adjust("299 seconds")
        expect(pollNow(fiber)).toBeUndefined()
        yield* TestClock.adjust("1 second")
        expect(timeoutOf(yield* Fiber.join(fiber))).toEqual({ phase: "head", millis: 300_000 })
      }
    }).pipe(Effect.provide(NodeTransport.client())),
  )

  scoped("a body that stalls ends at the default 300 s body deadline", () =>
    Effect.gen(function* () {
      const server = yield* silentServer
      const fiber = yield* fork(Effect.flip(Client.get(server.url)))
      const socket = yield* Queue.take(server.connected)
      yield* Deferred.await(server.received)
      yield* callback<void>((resume) => {
        socket.write("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhalf", () => resume(Effect.void))
      })
      yield* Effect.promise(() => new Promise((resolve) => setImmediate(resolve)))
      yield* TestClock.adjust("300 seconds")
      expect(timeoutOf(yield* Fiber.join(fiber))).toEqual({ phase: "body", millis: 300_000 })
    }).pipe(Effect.provide(NodeTransport.client())),
  )

  scoped("a request waiting for a connection ends at the acquire deadline, fetched or streamed", () =>
    Effect.gen(function* () {
      const server = yield* silentServer
      const holder = yield* fork(Client.get(server.url))
      yield* Deferred.await(server.received)
      for (const run of [Client.get, (url: string) => Client.execute(Request.get(url))]) {
        const waiting = yield* fork(Effect.flip(run(server.url)))
        yield* TestClock.adjust("2 seconds")
        expect(timeoutOf(yield* Fiber.join(waiting))).toEqual({ phase: "acquire", millis: 2000 })
      }
      expect(pollNow(holder)).toBeUndefined()
      expect(server.connections()).toBe(1)
      yield* Fiber.interrupt(holder)
    }).pipe(Effect.provide(NodeTransport.client({ maxConnectionsPerOrigin: 1, timeouts: { acquire: "2 seconds" } }))),
  )

  // A stream is pumped into the exchange by a fiber; a body in memory is written on the socket's callbacks.
  const bodies = [
    ["streamed", () => Body.stream(repeatValue(new Uint8Array(64 * 1024)).pipe(Stream.take(1024)))],
    ["in memory", () => Body.bytes(new Uint8Array(64 * 1024 * 1024))],
  ] as const
  for (const [how, body] of bodies) {
    scoped(`a peer that stops reading a 64 MiB request body ${how} ends in Timeout (send) at the default 300 s`, () =>
      Effect.gen(function* () {
        const server = yield* silentServer
        const fiber = yield* fork(Effect.flip(Client.post(server.url, { body: body() })))
        const socket = yield* Queue.take(server.connected)
        yield* Deferred.await(server.received)
        socket.pause()
        expect(timeoutOf(yield* advanceUntilDone(fiber, seconds(100), 40))).toEqual({
          phase: "send",
          millis: 300_000,
        })
      }).pipe(Effect.provide(NodeTransport.client())),
    )
  }
})

describe("hostile peers: httplib's Connection ends too", () => {
  scoped("with no timeout, getresponse from a server that never answers ends at the default 300 s", () =>
    Effect.gen(function* () {
      const server = yield* silentServer
      const conn = yield* Connection.http(`127.0.0.1:${server.port}`)
      yield* conn.request("GET", "/")
      const fiber = yield* fork(Effect.flip(conn.getresponse))
      yield* Deferred.await(server.received)
      yield* TestClock.adjust("300 seconds")
      expect(timeoutOf(yield* Fiber.join(fiber))).toEqual({ phase: "head", millis: 300_000 })
    }).pipe(Effect.provide(NodeConnector.layer())),
  )

  scoped("with httplib's timeout, a connect that gets no answer and a stalled body end at it", () =>
    Effect.gen(function* () {
      const { port } = yield* unansweredPort
      const unanswered = yield* Connection.http(`127.0.0.1:${port}`, undefined, { timeout: "1 second" })
      const dialling = yield* fork(Effect.flip(unanswered.connect))
      expect(timeoutOf(yield* advanceUntilDone(dialling, seconds(1)))).toEqual({ phase: "connect", millis: 1000 })

      const server = yield* silentServer
      const conn = yield* Connection.http(`127.0.0.1:${server.port}`, undefined, { timeout: "1 second" })
      yield* conn.request("GET", "/")
      const socket = yield* Queue.take(server.connected)
      yield* Deferred.await(server.received)
      socket.write("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhalf")
      const r = yield* conn.getresponse
      const reading = yield* fork(Effect.flip(r.read()))
      yield* TestClock.adjust("1 second")
      expect(timeoutOf(yield* Fiber.join(reading))).toEqual({ phase: "body", millis: 1000 })
    }).pipe(Effect.provide(NodeConnector.layer())),
  )
})
