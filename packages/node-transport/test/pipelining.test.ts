// HTTP/1.1 pipelining (the `pipelining` option) over real sockets: what goes on the wire, in what order,
// and what happens to the requests queued behind a response that fails.
import type * as net from "node:net"
import { Body, Client, Request, Response } from "@courier/core"
import { NodeTransport } from "@courier/node-transport"
import { describe, expect } from "@effect/vitest"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Stream from "effect/Stream"
import { complete, type Forked, fork, scoped, signal, suspended } from "../../core/test/edition.js"
import { httpServer, rawServer } from "./servers.js"

interface Received {
  readonly method: string
  readonly path: string
  /** The connection's number, from 1, in the order the server accepted them. */
  readonly conn: number
  /** Requests on the connection received and not yet answered when this one arrived. */
  readonly outstanding: number
}

interface Peer {
  readonly conn: number
  readonly socket: net.Socket
  /** Requests received and not yet answered, oldest first. */
  readonly queue: Array<Received>
}

/** A response whose body is the request's path. */
const answer = (r: Received, extra = ""): string =>
  `HTTP/1.1 200 OK\r\nContent-Length: ${r.path.length}\r\n${extra}\r\n${r.path}`

/**
 * A raw server that parses request heads (and Content-Length bodies) as they arrive, records each, and
 * lets `onRequest` decide when and how to answer: it gets the connection and the request just received.
 */
const recordingServer = (onRequest: (peer: Peer, received: Received, log: Array<Received>) => void) =>
  Effect.gen(function* () {
    const log: Array<Received> = []
    let conns = 0
    const running = yield* rawServer((socket) => {
      const peer: Peer = { conn: ++conns, socket, queue: [] }
      let buffer = Buffer.alloc(0)
      socket.on("error", () => undefined)
      socket.on("data", (chunk: Buffer) => {
        buffer = Buffer.concat([buffer, chunk])
        while (true) {
          const end = buffer.indexOf("\r\n\r\n")
          if (end === -1) return
          const head = buffer.subarray(0, end).toString("latin1")
          const length = Number(/content-length: *(\d+)/i.exec(head)?.[1] ?? 0)
          if (buffer.length < end + 4 + length) return
          buffer = buffer.subarray(end + 4 + length)
          const [method = "", path = ""] = head.split(" ")
          const received: Received = { method, path, conn: peer.conn, outstanding: peer.queue.length }
          log.push(received)
          peer.queue.push(received)
          onRequest(peer, received, log)
        }
      })
    })
    return { ...running, log }
  })

/** Answers the oldest request on the connection. */
const reply = (peer: Peer, extra = "") => {
  const r = peer.queue.shift()
  if (r !== undefined) peer.socket.write(answer(r, extra))
}

const pipelined = (depth: number, connections = 1) =>
  NodeTransport.client({ pipelining: depth, maxConnectionsPerOrigin: connections })

const fetchText = (url: string) => Effect.flatMap(Client.fetch(Request.get(url)), Response.text)

describe("pipelining", () => {
  // The server answers only once three requests wait on one connection: without pipelining the client
  // would never send the second. The three responses then go out as one byte string split at `split`,
  // so every boundary between (and inside) responses is crossed by a read.
  const paths = ["/a", "/bb", "/ccc"]
  const whole = paths.map((path) => answer({ method: "GET", path, conn: 1, outstanding: 0 })).join("")
  scoped(
    "requests are written before earlier responses arrive, and each caller gets its own response, at every split point",
    () =>
      Effect.gen(function* () {
        for (let split = 0; split <= whole.length; split++) {
          const server = yield* recordingServer((peer) => {
            if (peer.queue.length < 3) return
            peer.queue.length = 0
            peer.socket.write(whole.slice(0, split))
            setImmediate(() => peer.socket.write(whole.slice(split)))
          })
          const bodies = yield* Effect.scoped(
            Effect.provide(
              Effect.forEach(paths, (p) => fetchText(`${server.url}${p}`), { concurrency: "unbounded" }),
              pipelined(3),
            ),
          )
          expect(bodies).toEqual(paths)
          expect(server.connections()).toBe(1)
          expect(server.log.map((r) => r.outstanding)).toEqual([0, 1, 2])
        }
      }),
  )

  scoped("responses report the connection as reused for every request that joined a busy one", () =>
    Effect.gen(function* () {
      const server = yield* recordingServer((peer) => {
        if (peer.queue.length === 3) for (let i = 0; i < 3; i++) reply(peer)
      })
      const responses = yield* Effect.forEach(paths, (p) => Client.fetch(Request.get(`${server.url}${p}`)), {
        concurrency: "unbounded",
      })
      expect(new Set(responses.map((r) => r.connection?.id)).size).toBe(1)
      expect(responses.filter((r) => r.connection?.reused).length).toBe(2)
    }).pipe(Effect.provide(pipelined(3))),
  )

  scoped("a connection carries at most `pipelining` requests at once, and none beyond 1 when it is off", () =>
    Effect.gen(function* () {
      // The server answers a connection's requests only once `n` wait on it (or once all 24 have arrived), so
      // the client has every chance to fill its pipeline: the deepest it went is the limit it keeps.
      const depth = (n: number) =>
        Effect.gen(function* () {
          const peers = new Set<Peer>()
          const server = yield* recordingServer((peer, _received, log) => {
            peers.add(peer)
            if (log.length === 24) for (const each of peers) while (each.queue.length > 0) reply(each)
            else if (peer.queue.length === n) while (peer.queue.length > 0) reply(peer)
          })
          yield* Effect.provide(
            Effect.forEach(
              Array.from({ length: 24 }, (_, i) => `/r${i}`),
              (p) => Effect.map(fetchText(`${server.url}${p}`), (body) => expect(body).toBe(p)),
              { concurrency: "unbounded" },
            ),
            pipelined(n, 2),
          )
          return Math.max(...server.log.map((r) => r.outstanding)) + 1
        })
      expect(yield* Effect.scoped(depth(1))).toBe(1)
      expect(yield* Effect.scoped(depth(4))).toBe(4)
    }),
  )

  scoped(
    "a request with a body, or one that is not idempotent, or streamed, waits for an empty connection and nothing is pipelined behind it",
    () =>
      Effect.gen(function* () {
        const lonely = new Set(["POST", "PATCH", "PUT"])
        // The one wait on real time left here, on purpose: what is tested is that nothing is written behind a
        // lonely request, and no signal proves that a write did not happen. Each answer is held back 3 ms,
        // the window in which a client that pipelines wrongly would show it.
        const server = yield* recordingServer((peer) => {
          setTimeout(() => reply(peer), 3)
        })
        const streamed = Effect.flatMap(Client.execute(Request.get(`${server.url}/streamed`)), (r) =>
          Stream.runDrain(Response.stream(r)),
        )
        yield* Effect.all(
          [
            fetchText(`${server.url}/1`),
            fetchText(`${server.url}/1b`),
            fetchText(`${server.url}/1c`),
            Client.fetch(Request.post(`${server.url}/post`, { body: Body.text("x") })),
            fetchText(`${server.url}/2`),
            Client.fetch(Request.put(`${server.url}/put`, { body: Body.text("y") })),
            fetchText(`${server.url}/3`),
            Effect.scoped(streamed),
            Client.fetch(Request.patch(`${server.url}/patch`)),
            fetchText(`${server.url}/4`),
          ],
          { concurrency: "unbounded" },
        )
        const log = server.log
        expect(log.length).toBe(10)
        log.forEach((r, i) => {
          if (lonely.has(r.method) || r.path === "/streamed") {
            expect(r.outstanding).toBe(0)
            // The next request arrived only after this one was answered.
            expect(log[i + 1]?.outstanding ?? 0).toBe(0)
          }
        })
        expect(Math.max(...log.map((r) => r.outstanding))).toBeGreaterThan(0)
      }).pipe(Effect.provide(pipelined(4))),
  )

  scoped("requests that may be pipelined do not pass one that may not: a waiting POST is sent before later GETs", () =>
    Effect.gen(function* () {
      // Holds the first four GETs until the POST and the later GETs wait in line, then answers each
      // request as it comes, so each response frees one place in the pipeline at a time.
      const fourIn = yield* Deferred.make<void>()
      const first4: { peer?: Peer } = {}
      const server = yield* recordingServer((peer, _received, log) => {
        if (log.length > 4) reply(peer)
        else if (log.length === 4) {
          first4.peer = peer
          signal(fourIn)
        }
      })
      const get = (p: string) => fetchText(`${server.url}${p}`)
      const first = yield* fork(Effect.forEach(["/g1", "/g2", "/g3", "/g4"], get, { concurrency: "unbounded" }))
      yield* Deferred.await(fourIn)
      const post = yield* fork(Client.fetch(Request.post(`${server.url}/post`, { body: Body.text("x") })))
      yield* suspended(post)
      const later: Array<Forked<string, unknown>> = []
      for (const p of ["/g5", "/g6", "/g7", "/g8", "/g9"]) {
        const fiber = yield* fork(get(p))
        yield* suspended(fiber)
        later.push(fiber)
      }
      for (let i = 0; i < 4; i++) reply(first4.peer as Peer)
      yield* Fiber.join(first)
      yield* Fiber.join(post)
      expect(yield* Effect.forEach(later, Fiber.join)).toEqual(["/g5", "/g6", "/g7", "/g8", "/g9"])
      const order = server.log.map((r) => r.path)
      expect(order.indexOf("/post")).toBeLessThan(order.indexOf("/g5"))
      expect(server.log.find((r) => r.path === "/post")?.outstanding).toBe(0)
      expect(Math.max(...server.log.map((r) => r.outstanding))).toBeGreaterThan(0)
    }).pipe(Effect.provide(pipelined(4))),
  )

  scoped("when a response closes the connection, the requests pipelined behind it are sent again on a fresh one", () =>
    Effect.gen(function* () {
      const server = yield* recordingServer((peer) => {
        if (peer.conn > 1) return reply(peer)
        if (peer.queue.length < 3) return
        reply(peer, "Connection: close\r\n")
        peer.socket.end()
      })
      const bodies = yield* Effect.forEach(paths, (p) => fetchText(`${server.url}${p}`), {
        concurrency: "unbounded",
      })
      expect(bodies).toEqual(paths)
      expect(server.connections()).toBeGreaterThanOrEqual(2)
      expect(server.log.filter((r) => r.conn === 1).length).toBe(3)
    }).pipe(Effect.provide(pipelined(3))),
  )

  scoped("a response cut short fails its own request only; the ones behind it are sent again", () =>
    Effect.gen(function* () {
      const server = yield* recordingServer((peer) => {
        if (peer.conn > 1) return reply(peer)
        if (peer.queue.length < 3) return
        reply(peer)
        // Closing its side after the bytes: the client reads them, then the end.
        peer.socket.end("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this")
      })
      const exits = yield* Effect.forEach(paths, (p) => Effect.exit(fetchText(`${server.url}${p}`)), {
        concurrency: "unbounded",
      })
      expect(exits[0]).toEqual(Exit.succeed("/a"))
      expect(Exit.isFailure(exits[1] as Exit.Exit<string, unknown>)).toBe(true)
      expect(exits[2]).toEqual(Exit.succeed("/ccc"))
      expect(server.log.filter((r) => r.path === "/ccc").length).toBe(2)
    }).pipe(Effect.provide(pipelined(3))),
  )

  scoped("interrupting a queued request lets the one ahead finish and resends the ones behind it", () =>
    Effect.gen(function* () {
      const arrived = yield* Deferred.make<Peer>()
      const server = yield* recordingServer((peer) => {
        if (peer.conn > 1) return reply(peer)
        if (peer.queue.length === 3) complete(arrived, peer)
      })
      const fibers = yield* Effect.forEach(paths, (p) => fork(fetchText(`${server.url}${p}`)))
      const peer = yield* Deferred.await(arrived)
      yield* Fiber.interrupt(fibers[1] as Forked<string, unknown>)
      for (let i = 0; i < 3; i++) reply(peer)
      expect(yield* Fiber.join(fibers[0] as Forked<string, unknown>)).toBe("/a")
      expect(yield* Fiber.join(fibers[2] as Forked<string, unknown>)).toBe("/ccc")
      expect(server.connections()).toBe(2)
    }).pipe(Effect.provide(pipelined(3))),
  )

  scoped("node:http answers pipelined requests in order: 200 requests over 2 connections, 8 deep", () =>
    Effect.gen(function* () {
      const server = yield* httpServer((req, res) => {
        req.resume()
        res.end(req.url)
      })
      const all = Array.from({ length: 200 }, (_, i) => `/n/${i}`)
      const bodies = yield* Effect.forEach(all, (p) => fetchText(`${server.url}${p}`), { concurrency: 32 })
      expect(bodies).toEqual(all)
      expect(server.connections()).toBe(2)
    }).pipe(Effect.provide(pipelined(8, 2))),
  )

  scoped("a large or streamed body on a pipelining transport is sent whole, beside pipelined GETs", () =>
    Effect.gen(function* () {
      const server = yield* httpServer((req, res) => {
        let n = 0
        req.on("data", (d: Buffer) => {
          n += d.length
        })
        req.on("end", () => res.end(`${req.url} ${n}`))
      })
      const big = Body.bytes(new Uint8Array(200_000))
      const streamed = Body.stream(Stream.make(new Uint8Array(70_000), new Uint8Array(30_000)))
      const results = yield* Effect.all(
        [
          fetchText(`${server.url}/g1`),
          Effect.flatMap(Client.post(`${server.url}/big`, { body: big }), Response.text),
          fetchText(`${server.url}/g2`),
          Effect.flatMap(Client.post(`${server.url}/streamed`, { body: streamed }), Response.text),
        ],
        { concurrency: "unbounded" },
      )
      expect(results).toEqual(["/g1 0", "/big 200000", "/g2 0", "/streamed 100000"])
    }).pipe(Effect.provide(pipelined(4, 1))),
  )
})
