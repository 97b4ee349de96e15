// Request validation in the HTTP/1.1 transport: what cannot go on the wire fails before any connection
// is opened, so no byte is written.
import { Client, Http1Transport, Request } from "@courier/core"
import { ScriptedPeer } from "@courier/mock-transport"
import { describe, expect } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import { scoped } from "../../core/test/edition.js"

/** The heads the peer received, for the tests that check what was sent. */
const heads: Array<string> = []
const layer = Client.layer().pipe(
  Layer.provide(Http1Transport.layer()),
  Layer.provideMerge(
    ScriptedPeer.layer((peer) =>
      Effect.forever(
        Effect.flatMap(peer.receive, (req) =>
          Effect.andThen(
            Effect.sync(() => heads.push(req.head)),
            peer.send("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
          ),
        ),
      ),
    ),
  ),
)

const cases: ReadonlyArray<{ readonly name: string; readonly request: Request.Request; readonly header: string }> = [
  {
    name: "a header name that is not a token",
    request: Request.get("http://h/", { headers: { "Bad Name": "x" } }),
    header: "Bad Name",
  },
  {
    name: "CR LF in a value",
    request: Request.get("http://h/", { headers: { "X-A": "1\r\nX-Injected: 1" } }),
    header: "X-A",
  },
  { name: "a bare LF in a value", request: Request.get("http://h/", { headers: { "X-A": "1\nX" } }), header: "X-A" },
  { name: "NUL in a value", request: Request.get("http://h/", { headers: { "X-A": "a\u0000b" } }), header: "X-A" },
  {
    name: "a character beyond latin1",
    request: Request.get("http://h/", { headers: { "X-A": "\u2603" } }),
    header: "X-A",
  },
  { name: "a method that is not a token", request: Request.make("GE T", "http://h/"), header: ":method" },
  {
    name: "a caller-set Transfer-Encoding",
    request: Request.post("http://h/", { headers: { "Transfer-Encoding": "chunked" }, json: {} }),
    header: "Transfer-Encoding",
  },
  {
    name: "a Content-Length that disagrees with the body",
    request: Request.post("http://h/", { headers: { "Content-Length": "99" }, json: { a: 1 } }),
    header: "Content-Length",
  },
  {
    name: "a Content-Length on a body of unknown length",
    request: Request.post("http://h/", { headers: { "Content-Length": "3" } }).pipe(
      Request.bodyStream(Stream.make(new Uint8Array([1, 2, 3]))),
    ),
    header: "Content-Length",
  },
  {
    name: "Connection: upgrade",
    request: Request.get("http://h/", { headers: { Connection: "Upgrade" } }),
    header: "Connection",
  },
]

describe("request validation", () => {
  for (const c of cases) {
    scoped(`${c.name} is InvalidHeader and nothing is sent`, () =>
      Effect.gen(function* () {
        const error = yield* Effect.flip(Client.fetch(c.request))
        expect(error).toMatchObject({ _tag: "InvalidHeader", name: c.header })
        expect(error.message).toContain("http://h/")
        expect(yield* ScriptedPeer.connections).toBe(0)
      }).pipe(Effect.provide(layer)),
    )
  }

  scoped("a Content-Length that agrees with the body is accepted and sent once", () =>
    Effect.gen(function* () {
      heads.length = 0
      const r = yield* Client.fetch(Request.post("http://h/", { headers: { "Content-Length": "7" }, json: { a: 1 } }))
      expect(r.status).toBe(200)
      expect(heads).toHaveLength(1)
      expect(heads[0]?.match(/content-length/gi)).toEqual(["Content-Length"])
      expect(heads[0]).toContain("Content-Length: 7\r\n")
    }).pipe(Effect.provide(layer)),
  )

  scoped("a JSON body that cannot be encoded is EncodeError, before any connection", () =>
    Effect.gen(function* () {
      const cyclic: Record<string, unknown> = {}
      cyclic.self = cyclic
      const error = yield* Effect.flip(Client.post("http://h/", { json: cyclic }))
      expect(error._tag).toBe("EncodeError")
      expect(yield* ScriptedPeer.connections).toBe(0)
    }).pipe(Effect.provide(layer)),
  )
})
