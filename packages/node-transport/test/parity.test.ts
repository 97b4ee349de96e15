// Fault parity: for each failure the mock transport can simulate, the node transport meets the same failure
// from a real server on 127.0.0.1, and both must give the same typed error.

import * as fs from "node:fs"
import * as http2 from "node:http2"
import * as https from "node:https"
import type * as net from "node:net"
import { Client, type HttpError, type Request } from "@courier/core"
import { callback } from "@courier/core/internal/edition"
import { MockTransport } from "@courier/mock-transport"
import { NodeTransport } from "@courier/node-transport"
import { describe, expect } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { scoped, scopedLive } from "../../core/test/edition.js"
import { h2Server, trust } from "./h2servers.js"
import { rawServer } from "./servers.js"

/** The parts of an error that must agree between the two transports. */
const shape = (e: HttpError.HttpError) => ({
  _tag: e._tag,
  ...("code" in e ? { code: e.code } : {}),
  ...(e._tag === "IncompleteRead" ? { received: e.received, expected: e.expected } : {}),
  ...("phase" in e ? { phase: e.phase } : {}),
  ...("line" in e ? { line: e.line } : {}),
  ...(e._tag === "StreamReset" ? { goaway: e.goaway } : {}),
})

const overMock = (fault: MockTransport.Fault, first?: MockTransport.Reply) =>
  Client.layer().pipe(
    Layer.provideMerge(MockTransport.layer([{ path: "/", reply: first === undefined ? fault : [first, fault] }])),
  )

const node = NodeTransport.client()

/** Runs `request` over the node transport against a server, and over the mock with `fault`. */
const both = (
  request: (base: string) => Effect.Effect<unknown, HttpError.HttpError, Client.Client>,
  server: Effect.Effect<string, never, import("effect/Scope").Scope>,
  fault: MockTransport.Fault,
  first?: MockTransport.Reply,
) =>
  Effect.gen(function* () {
    const base = yield* server
    const real = yield* Effect.flip(request(base).pipe(Effect.provide(node)))
    const mocked = yield* Effect.flip(request("http://mock.test:8080").pipe(Effect.provide(overMock(fault, first))))
    expect(shape(mocked)).toEqual(shape(real))
    return shape(real)
  })

const body10 = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n"

describe("node transport and mock transport fail alike", () => {
  scopedLive("connection refused", () =>
    Effect.gen(function* () {
      const s = yield* both(
        (b) => Client.get(`${b}/`),
        Effect.succeed("http://127.0.0.1:1"),
        MockTransport.fault.refused(),
      )
      expect(s).toEqual({ _tag: "HTTPConnectionError", code: "ECONNREFUSED" })
    }),
  )

  scopedLive("DNS failure", () =>
    Effect.gen(function* () {
      const s = yield* both(
        (b) => Client.get(`${b}/`),
        Effect.succeed("http://nonexistent.invalid"),
        MockTransport.fault.dns(),
      )
      expect(s).toEqual({ _tag: "HTTPConnectionError", code: "ENOTFOUND" })
    }),
  )

  scopedLive("TLS failure: a certificate from an unknown CA", () =>
    Effect.gen(function* () {
      const fixture = (n: string) => fs.readFileSync(new URL(`./fixtures/tls/${n}`, import.meta.url))
      const tlsServer = Effect.acquireRelease(
        callback<https.Server>((resume) => {
          const s = https.createServer({ key: fixture("server.key"), cert: fixture("server.crt") }, (_q, r) => r.end())
          s.listen(0, "127.0.0.1", () => resume(Effect.succeed(s)))
        }),
        (s) => Effect.sync(() => s.close()),
      ).pipe(Effect.map((s) => `https://localhost:${(s.address() as net.AddressInfo).port}`))
      const s = yield* both((b) => Client.get(`${b}/`), tlsServer, MockTransport.fault.tls())
      expect(s).toEqual({ _tag: "HTTPConnectionError", code: "UNABLE_TO_VERIFY_LEAF_SIGNATURE" })
    }),
  )

  scopedLive("reset before the head", () =>
    Effect.gen(function* () {
      const server = rawServer((socket) => {
        socket.on("error", () => undefined)
        socket.once("data", () => socket.resetAndDestroy())
      }).pipe(Effect.map((s) => s.url))
      const s = yield* both((b) => Client.get(`${b}/`), server, MockTransport.fault.resetBeforeHead())
      expect(s).toEqual({ _tag: "IOError", code: "ECONNRESET" })
    }),
  )

  scopedLive("reset after 3 body bytes", () =>
    Effect.gen(function* () {
      // The reset waits until the client has read the 3 bytes (its download progress says so): a reset that
      // overtook them would be a reset before the head.
      let reset = (): void => undefined
      const server = rawServer((socket) => {
        socket.on("error", () => undefined)
        socket.once("data", () => {
          reset = () => socket.resetAndDestroy()
          socket.write(`${body10}012`)
        })
      }).pipe(Effect.map((s) => s.url))
      const onDownloadProgress = (p: Request.Progress) => Effect.sync(() => (p.transferred >= 3 ? reset() : undefined))
      const s = yield* both(
        (b) => Client.get(`${b}/`, { onDownloadProgress }),
        server,
        MockTransport.fault.resetAfter(3, { status: 200, text: "0123456789" }),
      )
      expect(s).toEqual({ _tag: "IOError", code: "ECONNRESET" })
    }),
  )

  scopedLive("close in the middle of the body", () =>
    Effect.gen(function* () {
      const server = rawServer((socket) => {
        socket.on("error", () => undefined)
        socket.once("data", () => socket.end(`${body10}0123`))
      }).pipe(Effect.map((s) => s.url))
      const s = yield* both(
        (b) => Client.get(`${b}/`),
        server,
        MockTransport.fault.closeMidBody(4, { status: 200, text: "0123456789" }),
      )
      expect(s).toEqual({ _tag: "IncompleteRead", received: 4, expected: 10 })
    }),
  )

  scopedLive("a stall, ended by the head deadline", () =>
    Effect.gen(function* () {
      const server = rawServer((socket) => {
        socket.on("error", () => undefined)
      }).pipe(Effect.map((s) => s.url))
      const s = yield* both(
        (b) => Client.get(`${b}/`, { timeout: { head: "50 millis" } }),
        server,
        MockTransport.fault.stall(),
      )
      expect(s).toEqual({ _tag: "Timeout", phase: "head" })
    }),
  )

  scopedLive("an idle keep-alive connection the server closed, for a POST", () =>
    Effect.gen(function* () {
      // Answers the first request with keep-alive, then closes when the second arrives, answering nothing.
      const server = rawServer((socket) => {
        socket.on("error", () => undefined)
        let n = 0
        socket.on("data", () => {
          if (++n === 1) socket.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
          else socket.end()
        })
      }).pipe(Effect.map((s) => s.url))
      const s = yield* both(
        (b) => Effect.andThen(Client.get(`${b}/`), Client.post(`${b}/`, { json: {} })),
        server,
        MockTransport.fault.idleClose(),
        { status: 200, text: "ok" },
      )
      expect(s).toEqual({ _tag: "BadStatusLine", line: "" })
    }),
  )
})

describe("over HTTP/2, node transport and mock transport fail alike", () => {
  const { NGHTTP2_REFUSED_STREAM, NGHTTP2_INTERNAL_ERROR, NGHTTP2_NO_ERROR } = http2.constants
  const cases: ReadonlyArray<{
    readonly name: string
    readonly onStream: (stream: http2.ServerHttp2Stream) => void
    readonly onSession?: (session: http2.ServerHttp2Session) => void
    readonly fault: MockTransport.Fault
    readonly expected: object
  }> = [
    {
      name: "a stream refused every time it is sent",
      onStream: (stream) => stream.close(NGHTTP2_REFUSED_STREAM),
      fault: MockTransport.fault.refusedStream(),
      expected: { _tag: "StreamReset", code: "REFUSED_STREAM", goaway: false },
    },
    {
      // Sent as each connection opens, before any stream: node's server would otherwise name the stream
      // it last received as processed.
      name: "GOAWAY before the stream is processed, on every connection",
      onStream: () => undefined,
      onSession: (session) => session.goaway(NGHTTP2_NO_ERROR, 0),
      fault: MockTransport.fault.goaway(),
      expected: { _tag: "StreamReset", code: "REFUSED_STREAM", goaway: true },
    },
    {
      name: "a stream reset with INTERNAL_ERROR",
      onStream: (stream) => stream.close(NGHTTP2_INTERNAL_ERROR),
      fault: MockTransport.fault.resetStream("INTERNAL_ERROR"),
      expected: { _tag: "StreamReset", code: "INTERNAL_ERROR", goaway: false },
    },
  ]
  for (const c of cases) {
    scoped(c.name, () =>
      Effect.gen(function* () {
        const server = yield* h2Server("h2", c.onStream, {}, c.onSession)
        const real = yield* Effect.flip(Client.get(`${server.url}/`).pipe(Effect.provide(NodeTransport.client(trust))))
        const mocked = yield* Effect.flip(
          Client.get("https://mock.test/").pipe(
            Effect.provide(
              Client.layer().pipe(
                Layer.provideMerge(MockTransport.layer([{ path: "/", reply: c.fault }], { version: "HTTP/2" })),
              ),
            ),
          ),
        )
        expect(shape(real)).toEqual(c.expected)
        expect(shape(mocked)).toEqual(shape(real))
      }),
    )
  }
})
