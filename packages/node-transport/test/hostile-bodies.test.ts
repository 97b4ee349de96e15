// Hostile peers, part 2: no response can exhaust memory or trick the client. Endless bodies and
// decompression bombs stop at their limits with flat memory, 1xx floods are refused, an early final
// response during an upload is returned, part heads cannot be injected, and the pool forgets origins it
// no longer uses. Real sockets on 127.0.0.1; bombs are generated here, not committed.
import type * as net from "node:net"
import * as zlib from "node:zlib"
import { Body, Client, Http1Transport, Request, Response } from "@courier/core"
import { NodeTransport } from "@courier/node-transport"
import { describe, expect } from "@effect/vitest"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Stream from "effect/Stream"
import { fork, repeatValue, scoped, signal, TestClock } from "../../core/test/edition.js"
import { gaugeValue } from "../../core/test/gauges.js"
import { errorOf } from "../../core/test/results.js"
import { h2Server } from "./h2servers.js"
import { brotliBomb, deflateBomb, gzipBomb, MiB, rssGrowth } from "./hostile.js"
import { httpServer, rawServer } from "./servers.js"

/** A chunked body that never ends, written as fast as the client reads it. */
const endless = httpServer((_req, res) => {
  res.writeHead(200, { "Content-Type": "application/octet-stream" })
  const piece = Buffer.alloc(64 * 1024, 7)
  const pump = () => {
    while (!res.destroyed && res.write(piece)) {}
    if (!res.destroyed) res.once("drain", pump)
  }
  res.on("error", () => undefined)
  pump()
})

describe("hostile peers: bounded bodies", () => {
  const readers = [
    ["read into memory", (url: string) => Client.get(url, { maxResponseBytes: 8 * MiB })],
    [
      "streamed",
      (url: string) =>
        Effect.scoped(
          Effect.flatMap(Client.execute(Request.get(url).pipe(Request.setMaxResponseBytes(8 * MiB))), (r) =>
            Stream.runDrain(Response.stream(r)),
          ),
        ),
    ],
  ] as const
  for (const [how, read] of readers) {
    scoped(`an endless chunked body ${how} ends in BodyTooLarge at 8 MiB with RSS growth under 32 MiB`, () =>
      Effect.gen(function* () {
        const server = yield* endless
        const { result, growth } = yield* rssGrowth(read(server.url))
        const error = errorOf(result)
        expect(error?._tag).toBe("BodyTooLarge")
        if (error?._tag === "BodyTooLarge") {
          expect([error.limit, error.decoded]).toEqual([8 * MiB, false])
          expect(error.received).toBeGreaterThan(8 * MiB)
        }
        expect(growth).toBeLessThan(32 * MiB)
      }).pipe(Effect.provide(NodeTransport.client())),
    )
  }

  scoped("a Content-Length past maxResponseBytes is BodyTooLarge at the head, over HTTP/1.1 and HTTP/2", () =>
    Effect.gen(function* () {
      // Both servers announce 10 MB and send none of it: only a check at the head can end the request.
      const h1 = yield* rawServer((socket) => {
        socket.on("error", () => undefined)
        socket.once("data", () => socket.write("HTTP/1.1 200 OK\r\nContent-Length: 10000000\r\n\r\n"))
      })
      const h2 = yield* h2Server("h2c", (stream) => stream.respond({ ":status": 200, "content-length": "10000000" }))
      for (const [url, httpVersion] of [
        [h1.url, "1.1"],
        [h2.url, "2"],
      ] as const) {
        const client = NodeTransport.client({ httpVersion })
        for (const call of [
          Client.get(url, { maxResponseBytes: 1000 }),
          Client.fetch(Request.get(url, { maxResponseBytes: 1000 })),
        ]) {
          const error = yield* Effect.flip(call.pipe(Effect.provide(client)))
          expect(error).toMatchObject({ _tag: "BodyTooLarge", limit: 1000, received: 0, announced: 10_000_000 })
        }
      }
    }),
  )

  scoped("a HEAD response's contentLength is the length its Content-Length announces, over HTTP/1.1 and HTTP/2", () =>
    Effect.gen(function* () {
      const h1 = yield* httpServer((_req, res) => {
        res.writeHead(200, { "Content-Length": "1234" })
        res.end()
      })
      const h2 = yield* h2Server("h2c", (stream) => {
        stream.respond({ ":status": 200, "content-length": "1234" })
        stream.end()
      })
      for (const [url, httpVersion] of [
        [h1.url, "1.1"],
        [h2.url, "2"],
      ] as const) {
        const r = yield* Client.head(url, { maxResponseBytes: 10 }).pipe(
          Effect.provide(NodeTransport.client({ httpVersion })),
        )
        expect([r.status, r.contentLength, (yield* Response.bytes(r)).length]).toEqual([200, 1234, 0])
      }
    }),
  )

  scoped("the Client's maxResponseBytes applies to requests that set none", () =>
    Effect.gen(function* () {
      const server = yield* endless
      const error = yield* Effect.flip(Client.get(server.url))
      expect(error._tag === "BodyTooLarge" && error.limit).toBe(MiB)
    }).pipe(Effect.provide(NodeTransport.client({ maxResponseBytes: MiB }))),
  )
})

describe("hostile peers: bounded decompression", () => {
  // `extra`: what the decoder itself holds beyond the bound: brotli keeps a ring buffer of its window.
  const bombs = [
    { name: "gzip", coding: "gzip", make: Effect.sync(() => gzipBomb(1024)), extra: 0 },
    { name: "deflate", coding: "deflate", make: Effect.sync(() => deflateBomb(1024)), extra: 0 },
    { name: "br", coding: "br", make: brotliBomb(1024), extra: 0 },
    { name: "br with the format's largest window", coding: "br", make: brotliBomb(1024, 24), extra: 16 * MiB },
    // Stacked: gzip applied first, then br.
    {
      name: "gzip, br",
      coding: "gzip, br",
      make: Effect.sync(() => zlib.brotliCompressSync(gzipBomb(1024))),
      extra: 0,
    },
  ] as const
  for (const { name, coding, make, extra } of bombs) {
    for (const how of ["read into memory", "streamed"] as const) {
      scoped(`a 1 GiB ${name} bomb ${how} ends in BodyTooLarge at 10 MiB with RSS growth under 32 MiB`, () =>
        Effect.gen(function* () {
          const bomb = yield* make
          const server = yield* httpServer((_req, res) => {
            res.writeHead(200, { "Content-Encoding": coding, "Content-Length": bomb.length })
            res.on("error", () => undefined)
            res.end(bomb)
          })
          const run =
            how === "read into memory"
              ? Client.get(server.url)
              : Effect.scoped(
                  Effect.flatMap(Client.execute(Request.get(server.url)), (r) => Stream.runDrain(Response.stream(r))),
                )
          const { result, growth } = yield* rssGrowth(run)
          const error = errorOf(result)
          expect(error?._tag).toBe("BodyTooLarge")
          if (error?._tag === "BodyTooLarge") expect([error.limit, error.decoded]).toEqual([10 * MiB, true])
          expect(growth).toBeLessThan(32 * MiB + extra)
        }).pipe(Effect.provide(NodeTransport.client({ maxDecodedBytes: 10 * MiB }))),
      )
    }
  }
})

describe("hostile peers: informational responses", () => {
  scoped("an endless stream of 100 Continue is a ProtocolError", () =>
    Effect.gen(function* () {
      const server = yield* rawServer((socket) => {
        socket.on("error", () => undefined)
        socket.once("data", () => {
          const flood = () => {
            while (!socket.destroyed && socket.write("HTTP/1.1 100 Continue\r\n\r\n")) {}
            if (!socket.destroyed) socket.once("drain", flood)
          }
          flood()
        })
      })
      const error = yield* Effect.flip(Client.get(server.url))
      expect(error._tag).toBe("ProtocolError")
      expect(error.message).toContain("informational")
    }).pipe(Effect.provide(NodeTransport.client())),
  )

  scoped("a close after 100 Continue with no final response is BadStatusLine", () =>
    Effect.gen(function* () {
      const server = yield* rawServer((socket) => {
        socket.on("error", () => undefined)
        socket.once("data", () => socket.end("HTTP/1.1 100 Continue\r\n\r\n"))
      })
      const error = yield* Effect.flip(Client.get(server.url))
      expect(error._tag === "BadStatusLine" && error.line).toBe("")
    }).pipe(Effect.provide(NodeTransport.client())),
  )
})

/** 64 MiB in 64 KiB pieces, all views of one buffer. */
const upload64 = () => Body.stream(repeatValue(new Uint8Array(64 * 1024)).pipe(Stream.take(1024)), { length: 64 * MiB })

/** Answers 413 as soon as the request head arrives, then closes its side or resets. */
const refuser = (after: "close" | "reset") =>
  rawServer((socket: net.Socket) => {
    socket.on("error", () => undefined)
    let seen = ""
    const onData = (d: Buffer) => {
      seen += d.toString("latin1")
      if (!seen.includes("\r\n\r\n")) return
      socket.off("data", onData)
      socket.write("HTTP/1.1 413 Payload Too Large\r\nContent-Length: 9\r\nConnection: close\r\n\r\ntoo large", () => {
        if (after === "close") socket.end()
        // A reset straight from the write callback reaches the client as a clean end; let the bytes land first.
        else setTimeout(() => socket.resetAndDestroy(), 10)
      })
      socket.resume()
    }
    socket.on("data", onData)
  })

describe("hostile peers: early final responses during uploads", () => {
  for (const after of ["close", "reset"] as const) {
    scoped(`a 413 sent before a 64 MiB upload ends, then a ${after}, is the response`, () =>
      Effect.gen(function* () {
        const server = yield* refuser(after)
        const r = yield* Client.post(server.url, { body: upload64() })
        expect([r.status, yield* Response.text(r)]).toEqual([413, "too large"])
        // The connection is not reused: the next request opens another.
        const again = yield* Client.post(server.url, { body: upload64() })
        expect(again.status).toBe(413)
        expect(server.connections()).toBe(2)
      }).pipe(Effect.provide(NodeTransport.client())),
    )
  }

  scoped("a 413 sent before a 64 MiB body in memory is written is the response, and the connection is not reused", () =>
    Effect.gen(function* () {
      const server = yield* refuser("close")
      const r = yield* Client.post(server.url, { body: Body.bytes(new Uint8Array(64 * MiB)) })
      expect([r.status, yield* Response.text(r)]).toEqual([413, "too large"])
      const again = yield* Client.post(server.url, { body: Body.bytes(new Uint8Array(64 * MiB)) })
      expect(again.status).toBe(413)
      expect(server.connections()).toBe(2)
    }).pipe(Effect.provide(NodeTransport.client())),
  )

  scoped("Expect: 100-continue sends the body after the server's 100", () =>
    Effect.gen(function* () {
      // node:http answers 100 Continue itself when nobody listens for 'checkContinue'.
      let expected = ""
      const server = yield* httpServer((req, res) => {
        expected = req.headers.expect ?? ""
        let n = 0
        req.on("data", (d: Buffer) => {
          n += d.length
        })
        req.on("end", () => res.end(`got ${n}`))
      })
      const r = yield* Client.post(server.url, { body: Body.bytes(new Uint8Array(100_000)), expectContinue: true })
      expect([expected, yield* Response.text(r)]).toEqual(["100-continue", "got 100000"])
    }).pipe(Effect.provide(NodeTransport.client())),
  )

  scoped("Expect: 100-continue sends no body when the server answers with a final status first", () =>
    Effect.gen(function* () {
      let received = 0
      const server = yield* rawServer((socket) => {
        socket.on("error", () => undefined)
        socket.on("data", (d: Buffer) => {
          received += d.length
          const text = d.toString("latin1")
          if (text.includes("\r\n\r\n")) {
            expect(text.toLowerCase()).toContain("expect: 100-continue")
            socket.end("HTTP/1.1 401 Unauthorized\r\nContent-Length: 4\r\n\r\nnope")
          }
        })
      })
      const r = yield* Client.post(server.url, { body: upload64(), expectContinue: true })
      expect([r.status, yield* Response.text(r)]).toEqual([401, "nope"])
      expect(received).toBeLessThan(16 * 1024)
    }).pipe(Effect.provide(NodeTransport.client())),
  )

  scoped("Expect: 100-continue sends the body anyway after 1 s of silence", () =>
    Effect.gen(function* () {
      const headSeen = yield* Deferred.make<void>()
      let body = 0
      const server = yield* rawServer((socket) => {
        socket.on("error", () => undefined)
        let head = ""
        socket.on("data", (d: Buffer) => {
          if (!head.includes("\r\n\r\n")) {
            head += d.toString("latin1")
            const end = head.indexOf("\r\n\r\n")
            if (end === -1) return
            body += head.length - end - 4
            signal(headSeen)
          } else body += d.length
          if (body === 5) socket.end("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        })
      })
      const fiber = yield* fork(Client.post(server.url, { body: Body.text("hello"), expectContinue: true }))
      yield* Deferred.await(headSeen)
      expect(body).toBe(0)
      yield* TestClock.adjust("1 second")
      const r = yield* Fiber.join(fiber)
      expect([r.status, body]).toEqual([200, 5])
    }).pipe(Effect.provide(NodeTransport.client())),
  )

  scoped("the Client's expectContinue threshold asks for 100 only for large bodies", () =>
    Effect.gen(function* () {
      const heads: Array<string> = []
      const server = yield* httpServer((req, res) => {
        heads.push(req.headers.expect ?? "none")
        req.resume()
        req.on("end", () => res.end("ok"))
      })
      yield* Client.post(server.url, { body: Body.bytes(new Uint8Array(10)) })
      yield* Client.post(server.url, { body: Body.bytes(new Uint8Array(2 * MiB)) })
      expect(heads).toEqual(["none", "100-continue"])
    }).pipe(Effect.provide(NodeTransport.client({ expectContinue: MiB }))),
  )
})

describe("hostile peers: no injection", () => {
  const parts = [
    ["a content type with CR LF", { files: { f: { content: "x", contentType: "text/plain\r\nX-Injected: 1" } } }],
    ["a content type with NUL", { files: { f: { content: "x", contentType: "text/plain\u0000" } } }],
    ["a field name with NUL", { fields: { "a\u0000b": "v" } }],
    ["a file name with a control character", { files: { f: { content: "x", filename: "a\u0001.txt" } } }],
  ] as const
  for (const [what, options] of parts) {
    scoped(`a multipart part with ${what} is an EncodeError before any byte is written`, () =>
      Effect.gen(function* () {
        const server = yield* rawServer((socket) => socket.destroy())
        const error = yield* Effect.flip(Client.post(server.url, { body: Body.multipart(options) }))
        expect(error._tag).toBe("EncodeError")
        expect(server.connections()).toBe(0)
      }).pipe(Effect.provide(NodeTransport.client())),
    )
  }

  // A stream that breaks the length it announced: what it gives past the length never reaches the wire (it
  // would be read as the next request), and a stream that falls short fails at its end. The long stream
  // gives its second piece once the server has the first, and ends only once the server has more than the
  // announced 10 bytes, which a client that refuses the piece never lets happen.
  const bytes = (text: string) => new TextEncoder().encode(text)
  const miscounted = [
    [
      "more bytes than",
      (firstIn: Deferred.Deferred<void>, overrun: Deferred.Deferred<void>) =>
        Stream.concat(
          Stream.make(bytes("hello")),
          Stream.fromEffect(Effect.as(Deferred.await(firstIn), bytes("world!!"))),
        ).pipe(Stream.concat(Stream.drain(Stream.fromEffect(Deferred.await(overrun))))),
      "stream gave 12 bytes, 10 announced",
    ],
    ["fewer bytes than", () => Stream.make(bytes("hello"), bytes("wor")), "stream gave 8 bytes, 10 announced"],
  ] as const
  for (const [what, streamOf, reason] of miscounted) {
    scoped(`a stream that gives ${what} its announced length is an EncodeError, and the connection is closed`, () =>
      Effect.gen(function* () {
        const firstIn = yield* Deferred.make<void>()
        const overrun = yield* Deferred.make<void>()
        let received = ""
        const bodyBytes = () => {
          const head = received.indexOf("\r\n\r\n")
          return head === -1 ? 0 : received.length - head - 4
        }
        const server = yield* rawServer((socket) => {
          socket.on("error", () => undefined)
          socket.on("data", (d: Buffer) => {
            received += d.toString("latin1")
            if (bodyBytes() >= 5) signal(firstIn)
            if (bodyBytes() > 10) signal(overrun)
          })
        })
        const body = Body.stream(streamOf(firstIn, overrun), { length: 10 })
        const error = yield* Effect.flip(Client.post(server.url, { body }))
        expect(error).toMatchObject({ _tag: "EncodeError", reason })
        // The client closes the connection it failed on; once the server sees that, it has every byte it gets.
        yield* server.untilOpen(0)
        expect(bodyBytes()).toBeLessThanOrEqual(10)
      }).pipe(Effect.provide(NodeTransport.client())),
    )
  }

  scoped("a header value with CR LF is InvalidHeader before any byte is written", () =>
    Effect.gen(function* () {
      const server = yield* rawServer((socket) => socket.destroy())
      const error = yield* Effect.flip(Client.get(server.url, { headers: { "X-A": "1\r\nX-Injected: 1" } }))
      expect(error._tag).toBe("InvalidHeader")
      expect(server.connections()).toBe(0)
    }).pipe(Effect.provide(NodeTransport.client())),
  )
})

describe("hostile peers: pool bookkeeping", () => {
  scoped("an origin is forgotten once it has no connections and no waiters", () =>
    Effect.gen(function* () {
      const origins = 100
      const servers = yield* Effect.forEach(
        Array.from({ length: origins }, (_, i) => `127.0.0.${i + 2}`),
        (host) => httpServer((_req, res) => res.end("ok"), host),
      )
      for (const s of servers) expect((yield* Client.get(s.url)).status).toBe(200)
      yield* TestClock.adjust("1 second")
      expect(yield* gaugeValue(Http1Transport.poolOrigins)).toBe(origins)
      // The keep-alive connections expire after the idle timeout (4 s) and are swept; nothing is kept.
      yield* TestClock.adjust("5 seconds")
      expect(yield* gaugeValue(Http1Transport.poolOrigins)).toBe(0)
    }).pipe(Effect.provide(NodeTransport.client())),
  )
})
