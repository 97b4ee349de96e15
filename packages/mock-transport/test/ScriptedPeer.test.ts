// ScriptedPeer's own features: expecting requests, split writes, half-close and reset.
import { Client, Http1Transport, Request, Response } from "@courier/core"
import { ScriptedPeer } from "@courier/mock-transport"
import { describe, expect, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import { scoped } from "../../core/test/edition.js"

const over = (script: (peer: ScriptedPeer.Peer) => Effect.Effect<void>) =>
  Client.layer({ userAgent: false }).pipe(
    Layer.provide(Http1Transport.layer()),
    Layer.provideMerge(ScriptedPeer.layer(script)),
  )

describe("ScriptedPeer", () => {
  scoped("expect checks each request by head prefix, RegExp or predicate", () =>
    Effect.gen(function* () {
      yield* Client.get("http://peer.test/a")
      yield* Client.post("http://peer.test/b", { json: { n: 1 } })
      const r = yield* Client.fetch(Request.put("http://peer.test/c", { headers: { "X-Id": "7" } }))
      expect(yield* Response.text(r)).toBe("third")
    }).pipe(
      Effect.provide(
        over((peer) =>
          Effect.gen(function* () {
            yield* peer.expect("GET /a HTTP/1.1")
            yield* peer.send("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
            const post = yield* peer.expect(/^POST \/b /)
            expect(new TextDecoder().decode(post.body)).toBe('{"n":1}')
            yield* peer.send("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
            yield* peer.expect((r) => r.method === "PUT" && r.headers.some(([k, v]) => k === "X-Id" && v === "7"))
            yield* peer.send("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nthird", { splitAt: [3, 20, 30] })
          }),
        ),
      ),
    ),
  )

  it.effect("a request the script did not expect resets the connection and fails the test at scope close", () =>
    Effect.gen(function* () {
      const exit = yield* Effect.exit(
        Effect.gen(function* () {
          const error = yield* Effect.flip(Client.get("http://peer.test/wrong"))
          expect(error).toMatchObject({ _tag: "IOError", code: "ECONNRESET" })
        }).pipe(Effect.scoped, Effect.provide(over((peer) => Effect.asVoid(peer.expect("GET /right"))))),
      )
      expect(Exit.isFailure(exit) && Cause.pretty(exit.cause)).toContain(
        'expected GET /right, got "GET /wrong HTTP/1.1"',
      )
    }),
  )

  scoped("half-close: the client reads to the end of a body framed by the close", () =>
    Effect.gen(function* () {
      const r = yield* Client.get("http://peer.test/")
      expect(yield* Response.text(r)).toBe("until the end")
    }).pipe(
      Effect.provide(
        over((peer) =>
          Effect.gen(function* () {
            yield* peer.receive
            yield* peer.send("HTTP/1.1 200 OK\r\n\r\nuntil the end")
            yield* peer.close
          }),
        ),
      ),
    ),
  )
})
