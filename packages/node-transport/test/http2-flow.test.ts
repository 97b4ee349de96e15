// HTTP/2 flow control and deadlines through the node transport, against node:http2 servers on 127.0.0.1:
// a reader that stops stalls its stream at the window, an upload waits for the server's window, and the
// phase deadlines run on TestClock as over HTTP/1.1.
import type * as http2 from "node:http2"
import { Body, Client, Request, Response } from "@courier/core"
import { NodeTransport } from "@courier/node-transport"
import { describe, expect } from "@effect/vitest"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Stream from "effect/Stream"
import { complete, fold, fork, repeatEffect, scoped, signal, TestClock } from "../../core/test/edition.js"
import { h2Server, trust } from "./h2servers.js"
import { advanceUntilDone } from "./hostile.js"

const WINDOW = 256 * 1024
const BODY = 8 * 1024 * 1024
const PIECE = 16 * 1024

describe("HTTP/2 flow control", () => {
  scoped("a reader that stops stalls the server at the window; reading on gets the whole body", () =>
    Effect.gen(function* () {
      const stalled = yield* Deferred.make<number>()
      const server = yield* h2Server("h2", (stream) => {
        stream.respond({ ":status": 200, "content-length": String(BODY) })
        let sent = 0
        const piece = Buffer.alloc(PIECE, 0x61)
        // Two PING round trips after a blocked write: any WINDOW_UPDATE the client sent before answering them
        // has arrived by then, so a count that has not moved means the client holds the window.
        const check = (at: number) =>
          stream.session?.ping(() => stream.session?.ping(() => sent === at && complete(stalled, sent)))
        const pump = () => {
          while (sent < BODY) {
            sent += PIECE
            const room = stream.write(piece)
            if (sent >= BODY) {
              complete(stalled, sent)
              return stream.end()
            }
            if (!room) {
              check(sent)
              return stream.once("drain", pump)
            }
          }
        }
        pump()
      })
      const layer = NodeTransport.client({
        ...trust,
        http2: { streamWindowBytes: WINDOW, connectionWindowBytes: WINDOW },
      })
      const received = yield* Effect.gen(function* () {
        const response = yield* Client.execute(Request.get(`${server.url}/big`))
        const sent = yield* Deferred.await(stalled)
        // The window, what the exchange queues before pausing, and the stream buffers on both sides.
        expect(sent).toBeLessThan(WINDOW + 1024 * 1024)
        return yield* fold(Response.stream(response), 0, (n, c) => n + c.length)
      }).pipe(Effect.scoped, Effect.provide(layer))
      expect(received).toBe(BODY)
    }),
  )

  scoped("an upload waits for the server's window: a server that never reads gets Timeout(send)", () =>
    Effect.gen(function* () {
      let pulled = 0
      const arrived = yield* Deferred.make<void>()
      const server = yield* h2Server("h2", (stream) => {
        stream.pause()
        signal(arrived)
      })
      const body = repeatEffect(
        Effect.sync(() => {
          pulled++
          return new Uint8Array(PIECE)
        }),
      )
      const request = Request.post(`${server.url}/up`).pipe(
        Request.setBody(Body.stream(body)),
        Request.setTimeouts({ send: "1 second" }),
      )
      const fiber = yield* fork(
        Client.execute(request).pipe(Effect.scoped, Effect.provide(NodeTransport.client(trust))),
      )
      yield* Deferred.await(arrived)
      const error = yield* Effect.flip(advanceUntilDone(fiber, "1 second"))
      expect(error).toMatchObject({ _tag: "Timeout", phase: "send" })
      // The server's 64 KiB stream window and the stream's buffer, not the endless body.
      expect(pulled * PIECE).toBeLessThan(1024 * 1024)
    }),
  )

  /** Counts the body it receives and answers with the count and the content-length it was told. */
  const counting = h2Server("h2", (stream, headers) => {
    let n = 0
    stream.on("data", (c: Buffer) => {
      n += c.length
    })
    stream.on("end", () => {
      stream.respond({ ":status": 200 })
      stream.end(JSON.stringify({ n, length: headers["content-length"] ?? null }))
    })
  })
  const uploads = [
    { name: "a streamed upload reaches the server whole", pieces: 64 },
    { name: "an empty streamed body ends the stream with the request's head", pieces: 0 },
  ]
  for (const c of uploads) {
    scoped(c.name, () =>
      Effect.gen(function* () {
        const server = yield* counting
        const pieces = Array.from({ length: c.pieces }, () => new Uint8Array(PIECE))
        const request = Request.post(`${server.url}/up`).pipe(
          Request.setBody(Body.stream(Stream.fromIterable(pieces), { length: c.pieces * PIECE })),
        )
        const body = yield* Effect.scoped(
          Effect.flatMap(Client.execute(request), Response.json).pipe(Effect.provide(NodeTransport.client(trust))),
        )
        expect(body).toEqual({ n: c.pieces * PIECE, length: String(c.pieces * PIECE) })
      }),
    )
  }
})

describe("HTTP/2 deadlines, on TestClock", () => {
  scoped("a server slow to answer is Timeout(head), and the stream is reset", () =>
    Effect.gen(function* () {
      const arrived = yield* Deferred.make<void>()
      const reset = yield* Deferred.make<number>()
      const server = yield* h2Server("h2", (stream: http2.ServerHttp2Stream) => {
        stream.on("close", () => complete(reset, stream.rstCode))
        signal(arrived)
      })
      const fiber = yield* fork(
        Client.get(`${server.url}/`, { timeout: { head: "50 millis" } }).pipe(
          Effect.provide(NodeTransport.client(trust)),
        ),
      )
      yield* Deferred.await(arrived)
      yield* TestClock.adjust("50 millis")
      expect(yield* Effect.flip(Fiber.join(fiber))).toMatchObject({ _tag: "Timeout", phase: "head", millis: 50 })
      expect(yield* Deferred.await(reset)).toBe(8)
    }),
  )

  scoped("a body that stalls is Timeout(body)", () =>
    Effect.gen(function* () {
      const server = yield* h2Server("h2", (stream) => {
        stream.respond({ ":status": 200, "content-length": "100" })
        stream.write("first part")
      })
      // The clock moves once the first part has been read (the download progress says so): from there on
      // nothing waits on the network, only on the clock.
      const firstPart = yield* Deferred.make<void>()
      const onDownloadProgress = (p: Request.Progress) =>
        Effect.sync(() => (p.transferred > 0 ? signal(firstPart) : undefined))
      const fiber = yield* fork(
        Client.get(`${server.url}/`, { timeout: { body: "50 millis" }, onDownloadProgress }).pipe(
          Effect.provide(NodeTransport.client(trust)),
        ),
      )
      yield* Deferred.await(firstPart)
      expect(yield* Effect.flip(advanceUntilDone(fiber, "50 millis"))).toMatchObject({ _tag: "Timeout", phase: "body" })
    }),
  )

  scoped("trailers are exposed once the body is read", () =>
    Effect.gen(function* () {
      const server = yield* h2Server("h2", (stream) => {
        stream.respond({ ":status": 200 }, { waitForTrailers: true })
        stream.on("wantTrailers", () => stream.sendTrailers({ "x-checksum": "abc" }))
        stream.end("body")
      })
      const r = yield* Client.get(`${server.url}/`).pipe(Effect.provide(NodeTransport.client(trust)))
      expect(yield* Response.text(r)).toBe("body")
      expect(r.trailers.entries).toEqual([["x-checksum", "abc"]])
    }),
  )
})
