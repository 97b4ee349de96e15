// The connection pool's rules, as plain calls over fake sockets on TestClock: slots up to the per-origin
// limit and a line past it, first come first served; the newest healthy idle connection first; idle
// deadlines from the default or the server's hint; a connection spent after maxRequestsPerConnection;
// waiters that time out or leave; origins forgotten when empty; pipelined requests that join busy
// connections without starving one that may not be pipelined; and multiplexed (HTTP/2) connections in the
// same pool: dialled one at a time until the protocol is known, shared up to what the peer allows, never
// multiplied against a peer that grants 0 streams, and idle after the same timeout whether used or not.
import { describe, expect } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Scope from "effect/Scope"
import { ConnectError, type Socket } from "../src/Connector.js"
import { timers as driven } from "../src/internal/binding/driver.js"
import { type Ask, type Grant, type Lease, make, type Pool, type PoolOptions } from "../src/internal/engine/pool.js"
import type { Connection as Multiplexed } from "../src/Multiplex.js"
import type { Origin } from "../src/Url.js"
import { scoped, TestClock } from "./edition.js"

const origin: Origin = { scheme: "http", host: "a.test", port: 80, key: "http://a.test:80" }

const defaults: PoolOptions = {
  maxConnectionsPerOrigin: 2,
  maxRequestsPerConnection: 100,
  idleTimeoutMillis: 4_000,
  maxIdleTimeoutMillis: 60_000,
  keepAliveMarginMillis: 1_000,
  pipelining: 1,
}

const ask = (over: Partial<Ask> = {}): Ask => ({
  fresh: false,
  connect: {},
  pipelinable: false,
  waitMillis: Number.POSITIVE_INFINITY,
  multiplexable: false,
  ...over,
})

/** A socket that only says whether it may be reused. */
const fakeSocket = (id: number, health = { reusable: true }): Socket => ({
  id,
  send: () => undefined,
  whenWritable: (ready) => {
    ready(undefined)
    return () => undefined
  },
  listen: () => () => undefined,
  reusable: () => health.reusable,
  destroy: Effect.void,
})

/** The peer of a fake multiplexed connection: how many streams it grants, and whether it goes away. */
class FakePeer {
  draining = false
  constructor(public streams: number) {}
  readonly connection: Multiplexed = {
    capacity: () => this.streams,
    draining: () => this.draining,
    exchange: () => () => undefined,
    close: () => undefined,
  }
}

/** A pool on TestClock whose closes are recorded by socket id, and a way to ask it. */
const setup = (options: Partial<PoolOptions> = {}) =>
  Effect.gen(function* () {
    const timers = yield* driven
    const closed: Array<number> = []
    const pool: Pool = make({ ...defaults, ...options }, timers, (conn) =>
      Effect.sync(() => {
        closed.push(conn.socket.id)
      }),
    )
    /** Asks for a connection; what it was granted (or that it timed out) is recorded in order. */
    const request = (how: Ask = ask()) => {
      const got: Array<Grant | "timed out"> = []
      const waiting = pool.request(
        origin,
        how,
        (g) => got.push(g),
        () => got.push("timed out"),
      )
      return { got, waiting }
    }
    const scope = yield* Scope.make()
    /** Opens a connection in a slot granted to `how`. */
    const open = (id: number, how: Ask = ask(), health = { reusable: true }) =>
      pool.admit(origin, fakeSocket(id, health), scope, how).lease as Lease
    /** Opens a multiplexed connection in a slot granted to `how`, whose peer the test controls. */
    const openShared = (id: number, peer: FakePeer, how: Ask = ask({ multiplexable: true })) =>
      pool.admit(origin, fakeSocket(id), scope, how, peer.connection)
    const stats = () => pool.stats(origin.key)
    return { pool, request, open, openShared, stats, closed }
  })

/** The socket id a grant leases, or "slot". */
const what = (g: Grant | "timed out" | undefined) =>
  g === undefined || g === "timed out" ? g : g._tag === "Lease" ? g.lease.conn.socket.id : g._tag.toLowerCase()

/** The lease a grant holds, if it holds one. */
const leaseOf = (g: Grant | "timed out" | undefined) =>
  g !== undefined && g !== "timed out" && g._tag === "Lease" ? g.lease : undefined

describe("the HTTP/1.1 pool", () => {
  scoped("grants slots up to the per-origin limit, then lines requests up and serves them in order", () =>
    Effect.gen(function* () {
      const { pool, request, open, stats } = yield* setup()
      const [a, b] = [request(), request()]
      expect([what(a.got[0]), what(b.got[0])]).toEqual(["slot", "slot"])
      const leaseA = open(1)
      open(2)
      const [c, d] = [request(), request()]
      expect([c.got, d.got, stats()]).toEqual([[], [], { open: 2, idle: 0, waiting: 2 }])
      // A connection given back for reuse goes to the first in line, not to the idle stack.
      pool.release(leaseA, "reuse")
      expect([what(c.got[0]), d.got.length, stats().waiting]).toEqual([1, 0, 1])
    }),
  )

  scoped("a destroyed connection or a failed dial frees its slot for the next in line", () =>
    Effect.gen(function* () {
      const { pool, request, open, closed } = yield* setup({ maxConnectionsPerOrigin: 1 })
      request()
      const lease = open(1)
      const waiting = [request(), request()]
      yield* pool.release(lease, "destroy") ?? Effect.void
      expect([closed, what(waiting[0]?.got[0]), waiting[1]?.got]).toEqual([[1], "slot", []])
      pool.freeSlot(origin)
      expect(what(waiting[1]?.got[0])).toBe("slot")
    }),
  )

  scoped("hands out the newest idle connection, and never an unhealthy one or one past its deadline", () =>
    Effect.gen(function* () {
      const { pool, request, open, stats, closed } = yield* setup()
      request()
      request()
      const health = { reusable: true }
      const [one, two] = [open(1), open(2, ask(), health)]
      pool.release(one, "reuse")
      pool.release(two, "reuse")
      const newest = leaseOf(request().got[0])
      expect([newest?.conn.socket.id, stats()]).toEqual([2, { open: 2, idle: 1, waiting: 0 }])
      if (newest !== undefined) pool.release(newest, "reuse")
      // Connection 2 went bad while idle: it is passed over (and closed), and 1 is handed out.
      health.reusable = false
      const older = leaseOf(request().got[0])
      yield* TestClock.adjust("1 millis")
      expect([older?.conn.socket.id, closed, stats().open]).toEqual([1, [2], 1])
      if (older !== undefined) pool.release(older, "reuse")
      // Past its idle deadline, connection 1 is closed rather than reused: the request gets a slot.
      yield* TestClock.adjust("5 seconds")
      expect(what(request().got[0])).toBe("slot")
      yield* TestClock.adjust("1 millis")
      expect(closed).toEqual([2, 1])
    }),
  )

  scoped("an idle connection expires after the default idle timeout, or the server's hint less the margin", () =>
    Effect.gen(function* () {
      const { pool, request, open, stats } = yield* setup()
      request()
      request()
      pool.release(open(1), "reuse")
      pool.release(open(2), "reuse", 10)
      yield* TestClock.adjust("4001 millis")
      expect(pool.expire().map((c) => c.socket.id)).toEqual([1])
      yield* TestClock.adjust("5 seconds")
      expect(pool.expire().map((c) => c.socket.id)).toEqual([2])
      // Nothing open, nobody waiting: the origin is forgotten.
      expect([stats(), pool.keys()]).toEqual([{ open: 0, idle: 0, waiting: 0 }, []])
    }),
  )

  scoped("a connection is closed once it has carried maxRequestsPerConnection requests", () =>
    Effect.gen(function* () {
      const { pool, request, open, closed } = yield* setup({ maxRequestsPerConnection: 2 })
      request()
      expect(pool.release(open(1), "reuse")).toBe(undefined)
      const second = leaseOf(request().got[0])
      expect(second?.conn.socket.id).toBe(1)
      if (second !== undefined) yield* pool.release(second, "reuse") ?? Effect.void
      expect([closed, what(request().got[0])]).toEqual([[1], "slot"])
    }),
  )

  scoped("a waiter times out after waitMillis; one that leaves is passed over", () =>
    Effect.gen(function* () {
      const { pool, request, open, stats } = yield* setup({ maxConnectionsPerOrigin: 1 })
      request()
      const lease = open(1)
      const patient = request(ask({ waitMillis: 10_000 }))
      const hasty = request(ask({ waitMillis: 1_000 }))
      const leaving = request()
      if (leaving.waiting !== undefined) pool.cancel(origin, leaving.waiting)
      yield* TestClock.adjust("1 second")
      expect([patient.got, hasty.got, stats().waiting]).toEqual([[], ["timed out"], 1])
      pool.release(lease, "reuse")
      expect([what(patient.got[0]), leaving.got]).toEqual([1, []])
    }),
  )

  scoped("a fresh request never takes an idle connection", () =>
    Effect.gen(function* () {
      const { pool, request, open } = yield* setup()
      request()
      pool.release(open(1), "reuse")
      expect(what(request(ask({ fresh: true })).got[0])).toBe("slot")
    }),
  )

  scoped("pipelined requests join a busy connection once every allowed one is open", () =>
    Effect.gen(function* () {
      const { request, open } = yield* setup({ maxConnectionsPerOrigin: 1, pipelining: 3 })
      const piped = ask({ pipelinable: true })
      request(piped)
      open(1, piped)
      const joined = [request(piped), request(piped)]
      expect(joined.map((j) => what(j.got[0]))).toEqual([1, 1])
      // The pipeline is full: the next one waits.
      expect(request(piped).got).toEqual([])
    }),
  )

  scoped("a request that may not be pipelined stops others joining ahead of it, so it is not starved", () =>
    Effect.gen(function* () {
      const { pool, request, open } = yield* setup({ maxConnectionsPerOrigin: 1, pipelining: 4 })
      const piped = ask({ pipelinable: true })
      request(piped)
      const first = open(1, piped)
      const post = request()
      const later = request(piped)
      // Behind a waiting POST, a GET does not join the busy connection.
      expect([post.got, later.got]).toEqual([[], []])
      pool.release(first, "reuse")
      expect([what(post.got[0]), later.got]).toEqual([1, []])
    }),
  )
})

describe("multiplexed connections in the pool", () => {
  const shared = ask({ multiplexable: true })

  scoped("a burst to an origin not yet dialled makes one dial, and all of it shares the connection", () =>
    Effect.gen(function* () {
      const { request, openShared, stats } = yield* setup({ maxConnectionsPerOrigin: 64 })
      const burst = [request(shared), request(shared), request(shared)]
      expect(burst.map((r) => what(r.got[0]))).toEqual(["slot", undefined, undefined])
      const admitted = openShared(1, new FakePeer(100))
      expect(admitted.lease?.reused).toBe(false)
      expect(burst.slice(1).map((r) => [what(r.got[0]), leaseOf(r.got[0])?.reused])).toEqual([
        [1, true],
        [1, true],
      ])
      expect(stats()).toEqual({ open: 1, idle: 0, waiting: 0 })
    }),
  )

  scoped("when the dial finds HTTP/1.1, those held back dial at once, side by side", () =>
    Effect.gen(function* () {
      const { request, open } = yield* setup({ maxConnectionsPerOrigin: 64 })
      const burst = [request(shared), request(shared), request(shared)]
      open(1, shared)
      expect(burst.map((r) => what(r.got[0]))).toEqual(["slot", "slot", "slot"])
    }),
  )

  scoped("with pipelining on, a request held back behind the first dial still dials once it finds HTTP/1.1", () =>
    Effect.gen(function* () {
      const { request, open } = yield* setup({ maxConnectionsPerOrigin: 4, pipelining: 2 })
      const piped = ask({ multiplexable: true, pipelinable: true })
      request(piped)
      // A POST may not join a pipeline: it waits for the first dial, then gets a slot of its own.
      const post = request(shared)
      expect(post.got).toEqual([])
      open(1, piped)
      expect(what(post.got[0])).toBe("slot")
    }),
  )

  scoped("a peer that grants 0 streams is not dialled again and again: the line waits for its SETTINGS", () =>
    Effect.gen(function* () {
      const { pool, request, openShared, stats } = yield* setup({ maxConnectionsPerOrigin: 64 })
      const first = request(shared)
      const peer = new FakePeer(0)
      const admitted = openShared(1, peer)
      // The connection took nobody: its opener asks again and waits, and so does everyone after it.
      expect(admitted.lease).toBe(undefined)
      const again = request(shared)
      const second = request(shared)
      expect([what(first.got[0]), again.got, second.got, stats()]).toEqual([
        "slot",
        [],
        [],
        { open: 1, idle: 1, waiting: 2 },
      ])
      // The peer raises its limit to 1: the line is served in order on that connection; the next may dial.
      peer.streams = 1
      pool.changed(admitted.conn)
      expect([what(again.got[0]), what(second.got[0])]).toEqual([1, "slot"])
    }),
  )

  scoped("a stream's end gives its room to the next in line; a connection full to its limit lets one more dial", () =>
    Effect.gen(function* () {
      const { pool, request, openShared } = yield* setup({ maxConnectionsPerOrigin: 2 })
      request(shared)
      const one = openShared(1, new FakePeer(1))
      const [two, three] = [request(shared), request(shared)]
      // The first connection is full and known: one more dial, and the third waits for a stream.
      expect([what(two.got[0]), three.got]).toEqual(["slot", []])
      const lease = one.lease
      if (lease !== undefined) pool.release(lease, "reuse")
      expect(what(three.got[0])).toBe(1)
    }),
  )

  scoped("a connection used or not closes after the idle timeout with no stream open", () =>
    Effect.gen(function* () {
      const { pool, request, openShared, stats } = yield* setup({ maxConnectionsPerOrigin: 2 })
      // A peer that grants no stream yet: its connection carries nothing, and is idle from the start.
      request(shared)
      openShared(1, new FakePeer(0))
      expect(stats()).toEqual({ open: 1, idle: 1, waiting: 0 })
      yield* TestClock.adjust("3999 millis")
      expect(pool.expire()).toEqual([])
      yield* TestClock.adjust("1 millis")
      expect(pool.expire().map((c) => c.socket.id)).toEqual([1])
      // A connection that carried a stream idles out the timeout after that stream ends, not before.
      request(shared)
      const used = openShared(2, new FakePeer(1))
      yield* TestClock.adjust("10 seconds")
      expect(pool.expire()).toEqual([])
      if (used.lease !== undefined) pool.release(used.lease, "reuse")
      yield* TestClock.adjust("3999 millis")
      expect(pool.expire()).toEqual([])
      yield* TestClock.adjust("1 millis")
      expect(pool.expire().map((c) => c.socket.id)).toEqual([2])
      expect([stats(), pool.keys()]).toEqual([{ open: 0, idle: 0, waiting: 0 }, []])
    }),
  )

  scoped("a draining connection takes no new stream, and closes once its last stream ends", () =>
    Effect.gen(function* () {
      const { pool, request, openShared, closed } = yield* setup({ maxConnectionsPerOrigin: 2 })
      request(shared)
      const peer = new FakePeer(100)
      const one = openShared(1, peer)
      peer.draining = true
      pool.changed(one.conn)
      // A GOAWAY: the next request dials rather than take a stream on it.
      expect(what(request(shared).got[0])).toBe("slot")
      expect(closed).toEqual([])
      if (one.lease !== undefined) pool.release(one.lease, "reuse")
      yield* TestClock.adjust("1 millis")
      expect(closed).toEqual([1])
    }),
  )

  scoped("a dial that fails fails those that waited for it, rather than each dialling in turn", () =>
    Effect.gen(function* () {
      const { pool, request, stats } = yield* setup({ maxConnectionsPerOrigin: 64 })
      const [dialler, behind] = [request(shared), request(shared)]
      expect([what(dialler.got[0]), behind.got]).toEqual(["slot", []])
      const refused = new ConnectError({ code: "ECONNREFUSED", reason: "refused" })
      pool.freeSlot(origin, refused)
      expect(behind.got).toEqual([{ _tag: "Failed", error: refused }])
      expect([stats(), pool.keys()]).toEqual([{ open: 0, idle: 0, waiting: 0 }, []])
    }),
  )
})
