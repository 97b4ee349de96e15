// HTTP/2 through the node transport against node:http2 servers on 127.0.0.1: ALPN negotiation, h2c,
// multiplexing under the server's stream limit, GOAWAY, RST_STREAM and cancellation.

import * as http2 from "node:http2"
import { Client, Http1Transport, HttpError, Request, Response } from "@courier/core"
import { callback } from "@courier/core/internal/edition"
import { NodeTransport } from "@courier/node-transport"
import { describe, expect } from "@effect/vitest"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Queue from "effect/Queue"
import { complete, fork, offer, scoped, signal, suspended, TestClock } from "../../core/test/edition.js"
import { gaugeValue } from "../../core/test/gauges.js"
import { answerVersion, h2Server, http1OnlyServer, type Offer, trust } from "./h2servers.js"
import { silentServer } from "./hostile.js"
import { httpServer } from "./servers.js"

const { NGHTTP2_REFUSED_STREAM, NGHTTP2_INTERNAL_ERROR, NGHTTP2_CANCEL } = http2.constants

const get = (url: string, options: NodeTransport.Options = {}) =>
  Effect.flatMap(Client.get(url), (r) =>
    Effect.map(Response.json(r), (body) => ({ r, body: body as { version: string } })),
  ).pipe(Effect.provide(NodeTransport.client({ ...trust, ...options })))

describe("HTTP/2 negotiation", () => {
  const cases: ReadonlyArray<{
    readonly server: Offer | "http/1.1"
    readonly httpVersion: NodeTransport.Options["httpVersion"]
    readonly version: Response.Version
  }> = [
    { server: "h2 and http/1.1", httpVersion: undefined, version: "HTTP/2" },
    { server: "h2", httpVersion: undefined, version: "HTTP/2" },
    { server: "http/1.1", httpVersion: undefined, version: "HTTP/1.1" },
    { server: "h2 and http/1.1", httpVersion: "1.1", version: "HTTP/1.1" },
    { server: "h2 and http/1.1", httpVersion: "2", version: "HTTP/2" },
    { server: "h2c", httpVersion: "2", version: "HTTP/2" },
  ]
  for (const c of cases) {
    scoped(`a server offering ${c.server}, asked for ${c.httpVersion ?? "auto"}: ${c.version}`, () =>
      Effect.gen(function* () {
        const server = c.server === "http/1.1" ? yield* http1OnlyServer : yield* h2Server(c.server)
        const { r, body } = yield* get(
          `${server.url}/which`,
          c.httpVersion === undefined ? {} : { httpVersion: c.httpVersion },
        )
        expect(r.version).toBe(c.version)
        expect(body.version).toBe(c.version === "HTTP/2" ? "2.0" : "1.1")
        expect(server.connections()).toBe(1)
      }),
    )
  }

  scoped("an HTTP/1.1 server asked for HTTP/2 only is an HTTPConnectionError that says so", () =>
    Effect.gen(function* () {
      const server = yield* http1OnlyServer
      const error = yield* Effect.flip(get(`${server.url}/`, { httpVersion: "2" }))
      expect(error._tag).toBe("HTTPConnectionError")
    }),
  )

  scoped("an origin found to speak HTTP/1.1 is remembered: later requests take the keep-alive pool", () =>
    Effect.gen(function* () {
      const server = yield* http1OnlyServer
      const versions = yield* Effect.forEach([1, 2, 3], () =>
        Effect.flatMap(Client.get(`${server.url}/again`), (r) => Effect.as(Response.text(r), r.version)),
      ).pipe(Effect.provide(NodeTransport.client(trust)))
      expect(versions).toEqual(["HTTP/1.1", "HTTP/1.1", "HTTP/1.1"])
      expect(server.connections()).toBe(1)
    }),
  )

  scoped("HTTP/2 settings outside the protocol's bounds are kept within them, not thrown", () =>
    Effect.gen(function* () {
      const server = yield* h2Server("h2")
      const { r } = yield* get(`${server.url}/`, {
        http2: { streamWindowBytes: 1, connectionWindowBytes: 2 ** 40, maxConcurrentStreams: Number.NaN },
      })
      expect(r.version).toBe("HTTP/2")
    }),
  )

  scoped("pseudo-headers are hidden and the server's fields come in order", () =>
    Effect.gen(function* () {
      const server = yield* h2Server("h2", (stream) => {
        stream.respond({ ":status": 201, "x-one": "1", "set-cookie": ["a=1", "b=2"] })
        stream.end("made")
      })
      const r = yield* Client.get(`${server.url}/`).pipe(Effect.provide(NodeTransport.client(trust)))
      expect(r.status).toBe(201)
      expect(r.headers.entries.filter(([k]) => k !== "date")).toEqual([
        ["x-one", "1"],
        ["set-cookie", "a=1"],
        ["set-cookie", "b=2"],
      ])
      expect(r.headers.entries.some(([k]) => k.startsWith(":"))).toBe(false)
    }),
  )
})

describe("HTTP/2 multiplexing", () => {
  /** A server that holds every stream until `hold` have arrived, then answers them all. */
  const holding = (hold: number, settings: http2.Settings = {}) => {
    const held: Array<http2.ServerHttp2Stream> = []
    return h2Server(
      "h2",
      (stream) => {
        held.push(stream)
        if (held.length < hold) return
        for (const s of held.splice(0)) {
          s.respond({ ":status": 200 })
          s.end("ok")
        }
      },
      settings,
    )
  }

  scoped("requests in flight share one connection", () =>
    Effect.gen(function* () {
      const server = yield* holding(20)
      const statuses = yield* Effect.forEach(
        Array.from({ length: 20 }),
        () => Effect.map(Client.get(`${server.url}/`), (r) => r.status),
        { concurrency: "unbounded" },
      ).pipe(Effect.provide(NodeTransport.client(trust)))
      expect(statuses).toEqual(Array.from({ length: 20 }, () => 200))
      expect(server.sessions()).toBe(1)
    }),
  )

  scoped("another connection opens only when the server's SETTINGS_MAX_CONCURRENT_STREAMS runs out", () =>
    Effect.gen(function* () {
      const server = yield* holding(20, { maxConcurrentStreams: 5 })
      const statuses = yield* Effect.forEach(
        Array.from({ length: 20 }),
        () => Effect.map(Client.get(`${server.url}/`), (r) => r.status),
        { concurrency: "unbounded" },
      ).pipe(Effect.provide(NodeTransport.client(trust)))
      expect(statuses.length).toBe(20)
      expect(server.sessions()).toBe(4)
    }),
  )
})

describe("HTTP/2 resets", () => {
  scoped("a stream the server refuses is sent again, and succeeds", () =>
    Effect.gen(function* () {
      let seen = 0
      const server = yield* h2Server("h2", (stream) => {
        if (++seen === 1) return stream.close(NGHTTP2_REFUSED_STREAM)
        stream.respond({ ":status": 200 })
        stream.end("second time")
      })
      const r = yield* Client.post(`${server.url}/`, { json: { a: 1 } }).pipe(
        Effect.provide(NodeTransport.client(trust)),
      )
      expect(yield* Response.text(r)).toBe("second time")
      expect(seen).toBe(2)
    }),
  )

  scoped("a server that keeps refusing: StreamReset REFUSED_STREAM once the tries are spent", () =>
    Effect.gen(function* () {
      let seen = 0
      const server = yield* h2Server("h2", (stream) => {
        seen++
        stream.close(NGHTTP2_REFUSED_STREAM)
      })
      const error = yield* Effect.flip(Client.get(`${server.url}/`).pipe(Effect.provide(NodeTransport.client(trust))))
      expect(error).toBeInstanceOf(HttpError.StreamReset)
      expect(error).toMatchObject({ code: "REFUSED_STREAM", errorCode: 7 })
      expect(HttpError.isTransient(error)).toBe(true)
      expect(seen).toBe(3)
    }),
  )

  scoped("any other reset is a StreamReset with the code's name", () =>
    Effect.gen(function* () {
      const server = yield* h2Server("h2", (stream) => stream.close(NGHTTP2_INTERNAL_ERROR))
      const error = yield* Effect.flip(Client.get(`${server.url}/`).pipe(Effect.provide(NodeTransport.client(trust))))
      expect(error).toMatchObject({ _tag: "StreamReset", code: "INTERNAL_ERROR", goaway: false })
    }),
  )

  scoped("GOAWAY: requests above its last stream id are sent again on a new connection", () =>
    Effect.gen(function* () {
      const held: Array<http2.ServerHttp2Stream> = []
      const server = yield* h2Server("h2", (stream) => {
        if (server_sessions() > 1) {
          stream.respond({ ":status": 200 })
          return stream.end("from the new connection")
        }
        held.push(stream)
        if (held.length < 2) return
        const [first] = held as [http2.ServerHttp2Stream]
        first.session?.goaway(0, first.id)
        first.respond({ ":status": 200 })
        first.end("from the old connection")
      })
      const server_sessions = server.sessions
      const bodies = yield* Effect.forEach([1, 2], () => Effect.flatMap(Client.get(`${server.url}/`), Response.text), {
        concurrency: "unbounded",
      }).pipe(Effect.provide(NodeTransport.client(trust)))
      expect([...bodies].sort()).toEqual(["from the new connection", "from the old connection"])
      expect(server.sessions()).toBe(2)
    }),
  )

  scoped("interrupting a request resets its stream with CANCEL at once", () =>
    Effect.gen(function* () {
      const arrived = yield* Deferred.make<void>()
      const closed = yield* Deferred.make<number>()
      const server = yield* h2Server("h2", (stream) => {
        stream.on("close", () => complete(closed, stream.rstCode))
        signal(arrived)
      })
      const fiber = yield* fork(Client.get(`${server.url}/`).pipe(Effect.provide(NodeTransport.client(trust))))
      yield* Deferred.await(arrived)
      yield* Fiber.interrupt(fiber)
      expect(yield* Deferred.await(closed)).toBe(NGHTTP2_CANCEL)
    }),
  )
})

describe("HTTP/2 connection failures", () => {
  scoped("a connection reset before the head is an IOError", () =>
    Effect.gen(function* () {
      const server = yield* h2Server("h2", () => server.drop())
      const error = yield* Effect.flip(Client.get(`${server.url}/`).pipe(Effect.provide(NodeTransport.client(trust))))
      expect(error._tag).toBe("IOError")
    }),
  )

  scoped("a connection lost in the middle of the body is an IncompleteRead with the bytes received", () =>
    Effect.gen(function* () {
      const server = yield* h2Server("h2", (stream) => {
        stream.respond({ ":status": 200, "content-length": "10" })
        stream.write("0123", () => server.drop())
      })
      const error = yield* Effect.flip(
        Effect.flatMap(Client.get(`${server.url}/`), Response.text).pipe(Effect.provide(NodeTransport.client(trust))),
      )
      expect(error).toMatchObject({ _tag: "IncompleteRead", received: 4, expected: 10 })
    }),
  )
})

describe("HTTP/2 streams and waiting", () => {
  /** A server allowing one stream per connection: it holds the first stream (`held` says it arrived) and answers the others. */
  const oneStream = () =>
    Effect.gen(function* () {
      const held = yield* Deferred.make<void>()
      let seen = 0
      const server = yield* h2Server(
        "h2",
        (stream) => {
          if (++seen === 1) return signal(held)
          stream.respond({ ":status": 200 })
          stream.end("next")
        },
        { maxConcurrentStreams: 1 },
      )
      return { ...server, held }
    })

  scoped("an interrupted request frees its stream at once: the next takes it on the same connection", () =>
    Effect.gen(function* () {
      const server = yield* oneStream()
      const layer = NodeTransport.client({ ...trust, maxConnectionsPerOrigin: 1 })
      yield* Effect.gen(function* () {
        const first = yield* fork(Client.get(`${server.url}/held`))
        yield* Deferred.await(server.held)
        yield* Fiber.interrupt(first)
        const r = yield* Client.get(`${server.url}/next`)
        expect(yield* Response.text(r)).toBe("next")
      }).pipe(Effect.provide(layer))
      expect(server.sessions()).toBe(1)
    }),
  )

  scoped(
    "a server that grants 0 streams gets one connection, not one per try: the request ends at its acquire deadline",
    () =>
      Effect.gen(function* () {
        // The client's acknowledgement of the server's SETTINGS: it has read them, so its request is in line.
        const acked = yield* Deferred.make<void>()
        const server = yield* h2Server("h2", answerVersion, { maxConcurrentStreams: 0 }, (session) =>
          session.once("localSettings", () => signal(acked)),
        )
        const layer = NodeTransport.client({ ...trust, timeouts: { acquire: "2 seconds" } })
        yield* Effect.gen(function* () {
          const waiting = yield* fork(Effect.flip(Client.get(`${server.url}/`)))
          yield* Deferred.await(acked)
          yield* suspended(waiting)
          yield* TestClock.adjust("2 seconds")
          expect(yield* Fiber.join(waiting)).toMatchObject({ _tag: "Timeout", phase: "acquire", millis: 2000 })
        }).pipe(Effect.provide(layer))
        expect(server.sessions()).toBe(1)
      }),
  )

  scoped("with 1 stream per connection and two requests at once, each connection closes after the idle timeout", () =>
    Effect.gen(function* () {
      const closed = yield* Queue.unbounded<void>()
      const server = yield* h2Server("h2", answerVersion, { maxConcurrentStreams: 1 }, (session) =>
        session.on("close", () => offer(closed, undefined)),
      )
      const layer = NodeTransport.client({ ...trust, idleTimeoutMillis: 4000 })
      yield* Effect.gen(function* () {
        const both = yield* Effect.all([Client.get(`${server.url}/a`), Client.get(`${server.url}/b`)], {
          concurrency: 2,
        })
        expect(both.map((r) => r.status)).toEqual([200, 200])
        expect(server.sessions()).toBe(2)
        // Idle connections are swept every second: both are gone within the timeout and one sweep.
        yield* TestClock.adjust("5 seconds")
        yield* Queue.take(closed)
        yield* Queue.take(closed)
      }).pipe(Effect.provide(layer))
    }),
  )

  scoped("a request waiting for a stream ends at the acquire deadline", () =>
    Effect.gen(function* () {
      const server = yield* oneStream()
      const layer = NodeTransport.client({ ...trust, maxConnectionsPerOrigin: 1, timeouts: { acquire: "1 second" } })
      yield* Effect.gen(function* () {
        yield* fork(Client.get(`${server.url}/held`))
        yield* Deferred.await(server.held)
        const waiting = yield* fork(Effect.flip(Client.get(`${server.url}/waits`)))
        yield* suspended(waiting)
        yield* TestClock.adjust("1 second")
        expect(yield* Fiber.join(waiting)).toMatchObject({ _tag: "Timeout", phase: "acquire", millis: 1000 })
      }).pipe(Effect.provide(layer))
    }),
  )

  scoped("a TLS handshake that gets no answer ends at the connect deadline; interrupted, its socket closes", () =>
    Effect.gen(function* () {
      const server = yield* silentServer
      const layer = NodeTransport.client({ ...trust, timeouts: { connect: "2 seconds" } })
      yield* Effect.gen(function* () {
        const byDeadline = yield* fork(Effect.flip(Client.get(`https://127.0.0.1:${server.port}/`)))
        yield* Queue.take(server.connected)
        yield* TestClock.adjust("2 seconds")
        expect(yield* Fiber.join(byDeadline)).toMatchObject({ _tag: "Timeout", phase: "connect", millis: 2000 })
        // The layer lives on: the dial of a request interrupted while it is the only one waiting stops.
        const interrupted = yield* fork(Client.get(`https://127.0.0.1:${server.port}/`))
        const socket = yield* Queue.take(server.connected)
        yield* Fiber.interrupt(interrupted)
        yield* callback<void>((resume) => {
          if (socket.destroyed || socket.readableEnded) resume(Effect.void)
          else socket.once("close", () => resume(Effect.void))
        })
      }).pipe(Effect.provide(layer))
    }),
  )
})

describe("HTTP/2 against peers that misbehave", () => {
  scoped("an endless body stops at maxResponseBytes with BodyTooLarge, and its stream is reset", () =>
    Effect.gen(function* () {
      const reset = yield* Deferred.make<number>()
      const server = yield* h2Server("h2", (stream) => {
        stream.on("close", () => complete(reset, stream.rstCode))
        stream.respond({ ":status": 200 })
        const piece = Buffer.alloc(16 * 1024, 0x65)
        const pump = () => {
          while (!stream.closed && stream.write(piece));
          if (!stream.closed) stream.once("drain", pump)
        }
        pump()
      })
      const error = yield* Effect.flip(
        Client.get(`${server.url}/endless`, { maxResponseBytes: 1024 * 1024 }).pipe(
          Effect.provide(NodeTransport.client(trust)),
        ),
      )
      expect(error).toMatchObject({ _tag: "BodyTooLarge", limit: 1024 * 1024 })
      expect(yield* Deferred.await(reset)).toBe(NGHTTP2_CANCEL)
    }),
  )

  scoped.each(["h2", "h2 and http/1.1"] as const)(
    "header injection to an origin offered %s is refused before any connection, over either protocol",
    (offer) =>
      Effect.gen(function* () {
        const server = yield* h2Server(offer)
        const inject = { headers: { "X-A": "1\r\nInjected: yes" } }
        const errors = yield* Effect.forEach(["auto", "1.1"] as const, (httpVersion) =>
          Effect.flip(
            Client.get(`${server.url}/`, inject).pipe(Effect.provide(NodeTransport.client({ ...trust, httpVersion }))),
          ),
        )
        expect(errors.map((e) => [e._tag, "name" in e ? e.name : undefined])).toEqual([
          ["InvalidHeader", "X-A"],
          ["InvalidHeader", "X-A"],
        ])
        expect(server.connections()).toBe(0)
      }),
  )

  scoped("h2c asked of an HTTP/1.1 server is an HTTPConnectionError, not a hang", () =>
    Effect.gen(function* () {
      const server = yield* httpServer((_req, res) => res.end("one point one"))
      const error = yield* Effect.flip(
        Client.get(`${server.url}/`).pipe(Effect.provide(NodeTransport.client({ httpVersion: "2" }))),
      )
      expect(error._tag).toBe("HTTPConnectionError")
      expect(error.message).toContain("did not answer in HTTP/2 (h2c, prior knowledge): it may speak only HTTP/1.1")
    }),
  )
})

describe("HTTP/2 and pinned clients", () => {
  scoped.each(["first", "after a request"] as const)(
    "a pinned client to an HTTP/2 origin shares its one connection (pinned %s)",
    (when) =>
      Effect.gen(function* () {
        const server = yield* h2Server("h2")
        yield* Effect.gen(function* () {
          if (when === "after a request") yield* Client.get(`${server.url}/before`)
          const versions = yield* Effect.scoped(
            Effect.gen(function* () {
              const pinned = yield* Client.pinned(`${server.url}/`)
              const a = yield* pinned.fetch(Request.get(`${server.url}/a`))
              const b = yield* pinned.fetch(Request.get(`${server.url}/b`))
              return [a.version, b.version]
            }),
          )
          expect(versions).toEqual(["HTTP/2", "HTTP/2"])
          yield* Client.get(`${server.url}/after`)
        }).pipe(Effect.provide(NodeTransport.client(trust)))
        expect(server.sessions()).toBe(1)
      }),
  )
})

describe("HTTP/2 pool gauges", () => {
  scoped("sessions are sampled into the pool's gauges every second, in the one pool's counts", () =>
    Effect.gen(function* () {
      const server = yield* h2Server("h2")
      yield* Effect.gen(function* () {
        yield* Client.get(`${server.url}/`)
        yield* TestClock.adjust("1 second")
        const origin = server.url
        const value = (gauge: typeof Http1Transport.poolOpen) => gaugeValue(gauge, { origin })
        expect(yield* value(Http1Transport.poolOpen)).toBe(1)
        expect(yield* value(Http1Transport.poolIdle)).toBe(1)
        expect(yield* value(Http1Transport.poolWaiting)).toBe(0)
        // One pool holds every connection, whatever it speaks: its origins are counted once.
        expect(yield* gaugeValue(Http1Transport.poolOrigins)).toBe(1)
      }).pipe(Effect.provide(NodeTransport.client(trust)))
    }),
  )
})

describe("HTTP/2 response heads and the limits", () => {
  /** Answers with `count` header fields of 10 bytes each. */
  const manyFields = (count: number) =>
    h2Server("h2", (stream) => {
      const fields: http2.OutgoingHttpHeaders = { ":status": 200 }
      for (let i = 0; i < count; i++) fields[`x-field-${i}`] = "0123456789"
      stream.respond(fields)
      stream.end("ok")
    })

  scoped("a head past maxHeaderCount resets its stream; a higher limit lets it through", () =>
    Effect.gen(function* () {
      const server = yield* manyFields(150)
      const error = yield* Effect.flip(Client.get(`${server.url}/`).pipe(Effect.provide(NodeTransport.client(trust))))
      expect(error).toMatchObject({ _tag: "StreamReset", code: "ENHANCE_YOUR_CALM", goaway: false })
      const r = yield* Client.get(`${server.url}/`).pipe(
        Effect.provide(NodeTransport.client({ ...trust, limits: { maxHeaderCount: 200 } })),
      )
      expect(r.headers.entries.filter(([k]) => k.startsWith("x-field-")).length).toBe(150)
    }),
  )
})
