// The HTTP/2 session pool as a unit: fake sessions (an EventEmitter with node's session fields) and a dial
// the test completes by hand, on the TestClock. How many dials a line of requests makes, and when a session
// closes, are then exact.
import { EventEmitter } from "node:events"
import type * as http2 from "node:http2"
import { Deadlines, Url } from "@courier/core"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as TestClock from "effect/TestClock"
import { type Grant, SessionPool, type Waiter } from "../src/internal/h2/pool.js"

/** A stand-in for node's ClientHttp2Session: the settings it was given, and whether it was closed. */
class FakeSession extends EventEmitter {
  closed = false
  destroyed = false
  constructor(public remoteSettings: http2.Settings) {
    super()
  }
  close() {
    this.closed = true
    this.emit("close")
  }
}

const origin = Either.getOrThrow(Url.parse("https://api.test/")).origin

/** A pool whose dials are counted and completed by the test. */
const poolOf = Effect.gen(function* () {
  const deadlines = yield* Deadlines.make
  const dials: Array<Url.Origin> = []
  const pool = new SessionPool(
    { maxSessionsPerOrigin: 64, maxStreamsPerSession: 100, idleTimeoutMillis: 4000, maxHttp1Origins: 10 },
    deadlines,
    (o) => {
      dials.push(o)
      return () => undefined
    },
  )
  const open = (settings: http2.Settings) => {
    const session = new FakeSession(settings)
    pool.dialled(origin, { _tag: "H2", session: session as unknown as http2.ClientHttp2Session, peer: undefined })
    return session
  }
  return { pool, dials, open }
})

const waiter = () => {
  const grants: Array<Grant> = []
  const w: Waiter = { grant: (g) => void grants.push(g), connectMillis: 1000 }
  return { w, grants }
}

describe("the HTTP/2 session pool", () => {
  it.scoped("a peer that grants 0 streams is not dialled again and again: the line waits for its SETTINGS", () =>
    Effect.gen(function* () {
      const { pool, dials, open } = yield* poolOf
      const first = waiter()
      expect(pool.request(origin, first.w)).toBe(first.w)
      expect(dials.length).toBe(1)
      const session = open({ maxConcurrentStreams: 0 })
      // The session took nobody; it stays the only one, however many wait.
      const second = waiter()
      pool.request(origin, second.w)
      expect([dials.length, first.grants, second.grants]).toEqual([1, [], []])
      // When the peer raises its limit, the line is served in order on that session.
      session.remoteSettings = { maxConcurrentStreams: 1 }
      session.emit("remoteSettings", session.remoteSettings)
      expect(first.grants.map((g) => g._tag)).toEqual(["Stream"])
      expect(second.grants).toEqual([])
      expect(dials.length).toBe(2)
    }),
  )

  it.scoped("a session nobody used after its dial closes after the idle timeout, like one that served", () =>
    Effect.gen(function* () {
      const { pool, dials, open } = yield* poolOf
      // Limit 1: two requests at once; the first session serves both in turn, the second is never used.
      const a = waiter()
      const b = waiter()
      pool.request(origin, a.w)
      const one = open({ maxConcurrentStreams: 1 })
      pool.request(origin, b.w)
      expect(dials.length).toBe(2)
      const granted = a.grants[0]
      if (granted?._tag !== "Stream") return expect.fail("the first request gets a stream")
      pool.release(granted.session)
      expect(b.grants.map((g) => g._tag)).toEqual(["Stream"])
      const two = open({ maxConcurrentStreams: 1 })
      yield* TestClock.adjust("3999 millis")
      expect(two.closed).toBe(false)
      yield* TestClock.adjust("1 millis")
      expect(two.closed).toBe(true)
      // The first still carries b's stream: it stays open until that ends and the timeout passes again.
      expect(one.closed).toBe(false)
      const bGranted = b.grants[0]
      if (bGranted?._tag === "Stream") pool.release(bGranted.session)
      yield* TestClock.adjust("4 seconds")
      expect(one.closed).toBe(true)
      expect(pool.all()).toEqual([])
    }),
  )
})
