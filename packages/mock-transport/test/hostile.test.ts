// Hostile peers through ScriptedPeer, with every wait on the TestClock: dials that never complete, default
// deadlines, a full pool, an early final response during an upload and Expect: 100-continue, over the
// real codec and pool (and the push path, since the scripted peer's sockets have it).
import { Body, Client, Http1Transport, Request, Response } from "@courier/core"
import { MockTransport, ScriptedPeer } from "@courier/mock-transport"
import { describe, expect, it } from "@effect/vitest"
import * as Clock from "effect/Clock"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import {
  fork,
  interruptExit,
  isInterrupted,
  pollNow,
  repeatEffect,
  scoped,
  TestClock,
  yieldNow,
} from "../../core/test/edition.js"

const over = (
  script: (peer: ScriptedPeer.Peer) => Effect.Effect<void>,
  options: Http1Transport.Options = {},
  peer: ScriptedPeer.LayerOptions = {},
) =>
  Client.layer({ userAgent: false }).pipe(
    Layer.provide(Http1Transport.layer(options)),
    Layer.provideMerge(ScriptedPeer.layer(script, peer)),
  )

const never = over(() => Effect.void, {}, { accept: Effect.never })

describe("ScriptedPeer on TestClock: dialling ends", () => {
  scoped("a dial that never completes ends at the default 10 s connect deadline", () =>
    Effect.gen(function* () {
      const fiber = yield* fork(Effect.flip(Client.get("http://peer.test/")))
      yield* TestClock.adjust("9999 millis")
      expect(pollNow(fiber)).toBeUndefined()
      yield* TestClock.adjust("1 milli")
      expect(yield* Fiber.join(fiber)).toMatchObject({ _tag: "Timeout", phase: "connect", millis: 10_000 })
    }).pipe(Effect.provide(never)),
  )

  scoped("a dial that never completes ends at the total deadline when that comes first", () =>
    Effect.gen(function* () {
      const fiber = yield* fork(Effect.flip(Client.get("http://peer.test/", { timeout: "2 seconds" })))
      yield* TestClock.adjust("2 seconds")
      expect(yield* Fiber.join(fiber)).toMatchObject({ _tag: "Timeout", phase: "total", millis: 2000 })
    }).pipe(Effect.provide(never)),
  )

  scoped("interrupting a dial returns at once and frees the slot", () =>
    Effect.gen(function* () {
      const stuck = yield* fork(Client.get("http://peer.test/"))
      yield* yieldNow
      expect(isInterrupted(yield* interruptExit(stuck))).toBe(true)
      const next = yield* fork(Effect.flip(Client.get("http://peer.test/")))
      yield* TestClock.adjust("10 seconds")
      expect(yield* Fiber.join(next)).toMatchObject({ _tag: "Timeout", phase: "connect" })
    }).pipe(
      Effect.provide(
        over(
          () => Effect.void,
          { maxConnectionsPerOrigin: 1, timeouts: { acquire: "1 second" } },
          { accept: Effect.never },
        ),
      ),
    ),
  )
})

describe("ScriptedPeer on TestClock: default deadlines", () => {
  for (const [how, run] of [
    ["fetched", Client.get("http://peer.test/")],
    ["streamed", Effect.scoped(Client.execute(Request.get("http://peer.test/")))],
  ] as const) {
    scoped(`a peer that never answers ends at the default 300 s head deadline (${how})`, () =>
      Effect.gen(function* () {
        const fiber = yield* fork(Effect.flip(run))
        yield* TestClock.adjust("299 seconds")
        expect(pollNow(fiber)).toBeUndefined()
        yield* TestClock.adjust("1 second")
        expect(yield* Fiber.join(fiber)).toMatchObject({ _tag: "Timeout", phase: "head", millis: 300_000 })
      }).pipe(Effect.provide(over((peer) => Effect.andThen(peer.receive, Effect.never)))),
    )
  }

  scoped("a streamed body counts its deadline only while the reader waits", () =>
    Effect.gen(function* () {
      const r = yield* Client.execute(Request.get("http://peer.test/").pipe(Request.setTimeouts({ body: "1 second" })))
      // Nobody reads for a minute: that is the reader's time, not the server's.
      yield* TestClock.adjust("1 minute")
      const reading = yield* fork(Effect.flip(Response.text(r)))
      yield* TestClock.adjust("999 millis")
      expect(pollNow(reading)).toBeUndefined()
      yield* TestClock.adjust("1 milli")
      expect(yield* Fiber.join(reading)).toMatchObject({ _tag: "Timeout", phase: "body", millis: 1000 })
    }).pipe(
      Effect.provide(
        over((peer) =>
          Effect.gen(function* () {
            yield* peer.receive
            yield* peer.send("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc")
            yield* Effect.never
          }),
        ),
      ),
    ),
  )

  scoped("a request waiting for a connection ends at its acquire deadline", () =>
    Effect.gen(function* () {
      const holder = yield* fork(Client.get("http://peer.test/"))
      yield* yieldNow
      const waiting = yield* fork(Effect.flip(Client.get("http://peer.test/")))
      yield* TestClock.adjust("3 seconds")
      expect(yield* Fiber.join(waiting)).toMatchObject({ _tag: "Timeout", phase: "acquire", millis: 3000 })
      expect(pollNow(holder)).toBeUndefined()
    }).pipe(
      Effect.provide(
        over((peer) => Effect.andThen(peer.receive, Effect.never), {
          maxConnectionsPerOrigin: 1,
          timeouts: { acquire: "3 seconds" },
        }),
      ),
    ),
  )
})

describe("ScriptedPeer: uploads", () => {
  scoped("a final response before the upload ends is the response, and the upload stops", () =>
    Effect.gen(function* () {
      const pulled = { n: 0 }
      const body = repeatEffect(Effect.sync(() => new Uint8Array(1024).fill(++pulled.n % 256))).pipe(
        Stream.take(1_000_000),
      )
      const r = yield* Client.post("http://peer.test/", { body: Body.stream(body) })
      expect([r.status, yield* Response.text(r)]).toEqual([413, "no"])
      expect(pulled.n).toBeLessThan(1_000_000)
    }).pipe(
      Effect.provide(
        over((peer) => peer.send("HTTP/1.1 413 Payload Too Large\r\nContent-Length: 2\r\nConnection: close\r\n\r\nno")),
      ),
    ),
  )

  scoped("Expect: 100-continue holds the body until the peer's 100, or for 1 s of silence", () =>
    Effect.gen(function* () {
      for (const answers of [true, false]) {
        const arrived = yield* Deferred.make<readonly [number, string]>()
        const layer = over((peer) =>
          Effect.gen(function* () {
            if (answers) {
              yield* peer.pause("300 millis")
              yield* peer.send("HTTP/1.1 100 Continue\r\n\r\n")
            }
            const received = yield* peer.receive
            const at = yield* Clock.currentTimeMillis
            yield* Deferred.succeed(arrived, [at, received.head] as const)
            yield* peer.send("HTTP/1.1 204 No Content\r\n\r\n")
          }),
        )
        const start = yield* Clock.currentTimeMillis
        const fiber = yield* fork(
          Effect.provide(Client.post("http://peer.test/", { body: Body.text("hello"), expectContinue: true }), layer),
        )
        yield* TestClock.adjust("999 millis")
        const r = answers ? yield* Fiber.join(fiber) : undefined
        if (!answers) {
          expect(pollNow(fiber)).toBeUndefined()
          yield* TestClock.adjust("1 milli")
        }
        expect((r ?? (yield* Fiber.join(fiber))).status).toBe(204)
        const [at, head] = yield* Deferred.await(arrived)
        expect(head).toContain("Expect: 100-continue")
        expect(at - start).toBe(answers ? 300 : 1000)
      }
    }),
  )
})

describe("MockTransport: limits as the node transport has them", () => {
  it.effect("a reply body past maxResponseBytes is BodyTooLarge", () =>
    Effect.gen(function* () {
      // Announced by its Content-Length: refused at the head, before any of it is read.
      const error = yield* Effect.flip(Client.get("http://h/big", { maxResponseBytes: 1000 }))
      expect(error).toMatchObject({ _tag: "BodyTooLarge", limit: 1000, decoded: false, received: 0, announced: 4096 })
      expect((yield* Client.get("http://h/big", { maxResponseBytes: 4096 })).status).toBe(200)
      // Chunked: refused as it passes the limit.
      const growing = yield* Effect.flip(Client.get("http://h/chunked", { maxResponseBytes: 1000 }))
      expect(growing).toMatchObject({ _tag: "BodyTooLarge", limit: 1000, received: 1024 })
      expect(growing).not.toHaveProperty("announced", 4096)
    }).pipe(
      Effect.provide(
        Client.layer().pipe(
          Layer.provideMerge(
            MockTransport.layer([
              { path: "/big", reply: { status: 200, text: "x".repeat(4096) } },
              {
                path: "/chunked",
                reply: {
                  status: 200,
                  chunks: ["x".repeat(512), "x".repeat(512), "x".repeat(512)],
                  trailers: { "X-T": "1" },
                },
              },
            ]),
          ),
        ),
      ),
    ),
  )
})
