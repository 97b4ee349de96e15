// A Connector whose sockets are read and written with Effects (the form most byte streams offer) carries the
// transport through `Connector.fromPull`: a plain GET, a streamed upload, a streamed download, a reused
// connection, and the peer's close.

import * as net from "node:net"
import { Body, Client, Connector, Http1Transport, Request, Response } from "@courier/core"
import { callback } from "@courier/core/internal/edition"
import { describe, expect } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import { repeatValue, scoped } from "../../core/test/edition.js"
import { httpServer } from "./servers.js"

/** A pull socket over node:net, written the plain way: one Effect per read and per write. */
const pullSocket = (socket: net.Socket, id: number): Connector.PullSocket => {
  const chunks: Array<Uint8Array> = []
  let ended = false
  let failure: Connector.SocketError | undefined
  let wake: (() => void) | undefined
  socket.on("data", (c: Buffer) => {
    chunks.push(c)
    wake?.()
  })
  socket.on("end", () => {
    ended = true
    wake?.()
  })
  socket.on("error", (e: NodeJS.ErrnoException) => {
    failure = new Connector.SocketError({ code: e.code ?? "EIO", reason: e.message })
    wake?.()
  })
  const read: Effect.Effect<Uint8Array | undefined, Connector.SocketError> = Effect.suspend(() => {
    const chunk = chunks.shift()
    if (chunk !== undefined) return Effect.succeed(chunk)
    if (failure !== undefined) return Effect.fail(failure)
    if (ended) return Effect.succeed(undefined)
    return Effect.flatMap(
      callback<void>((resume) => {
        wake = () => {
          wake = undefined
          resume(Effect.void)
        }
      }),
      () => read,
    )
  })
  return {
    id,
    read,
    write: (bytes) =>
      callback<void, Connector.SocketError>((resume) => {
        socket.write(bytes, (e) =>
          resume(
            e == null ? Effect.void : Effect.fail(new Connector.SocketError({ code: "EPIPE", reason: e.message })),
          ),
        )
      }),
    reusable: () => !ended && failure === undefined && chunks.length === 0 && !socket.destroyed,
    destroy: Effect.sync(() => socket.destroy()),
  }
}

let ids = 0
const pullConnector = Layer.succeed(Connector.Connector, {
  connect: (origin) =>
    Effect.flatMap(
      callback<net.Socket, Connector.ConnectError>((resume) => {
        const s = net.connect(origin.port, origin.host)
        s.once("connect", () => resume(Effect.succeed(s)))
        s.once("error", (e) =>
          resume(Effect.fail(new Connector.ConnectError({ code: "ECONNREFUSED", reason: e.message }))),
        )
      }),
      (s) => Connector.fromPull(pullSocket(s, ++ids)),
    ),
})

const client = Client.layer({ userAgent: false }).pipe(
  Layer.provide(Http1Transport.layer()),
  Layer.provide(pullConnector),
)

describe("Connector.fromPull", () => {
  scoped("carries requests and responses, whole and streamed, over one reused connection", () =>
    Effect.gen(function* () {
      const server = yield* httpServer((req, res) => {
        const parts: Array<Buffer> = []
        req.on("data", (c: Buffer) => parts.push(c))
        req.on("end", () => {
          const body = Buffer.concat(parts)
          if (req.url === "/big") {
            res.writeHead(200, { "content-type": "application/octet-stream" })
            for (let i = 0; i < 64; i++) res.write(Buffer.alloc(16 * 1024, i))
            res.end()
          } else res.end(`${req.method} ${req.url} ${body.length}`)
        })
      })
      const get = yield* Client.get(`${server.url}/one`)
      expect(yield* Response.text(get)).toBe("GET /one 0")
      const piece = new Uint8Array(64 * 1024).fill(7)
      const upload = yield* Client.post(`${server.url}/up`, {
        body: Body.stream(repeatValue(piece).pipe(Stream.take(32))),
      })
      expect(yield* Response.text(upload)).toBe(`POST /up ${32 * 64 * 1024}`)
      const download = yield* Client.execute(Request.get(`${server.url}/big`))
      const bytes = yield* Response.bytes(download)
      expect(bytes.length).toBe(64 * 16 * 1024)
      expect([bytes[0], bytes[bytes.length - 1]]).toEqual([0, 63])
      expect(server.connections()).toBe(1)
    }).pipe(Effect.provide(client)),
  )

  scoped("reports the peer's close in the middle of a body as an IncompleteRead", () =>
    Effect.gen(function* () {
      const server = yield* httpServer((_req, res) => {
        res.writeHead(200, { "content-length": "10" })
        res.write("half", () => res.socket?.destroy())
      })
      const error = yield* Effect.flip(Client.get(`${server.url}/`))
      expect(error._tag).toBe("IncompleteRead")
    }).pipe(Effect.provide(client)),
  )
})
