// The leak test: 10,000 requests against a real server that misbehaves at random, with random client
// interruptions and abandoned streams. Afterwards the server must see no open socket once the client
// layer's scope closes, and no fiber started for the requests may still run.

import type * as net from "node:net"
import { Client, Request, Response } from "@courier/core"
import { catch as catchFailure } from "@courier/core/internal/edition"
import { NodeTransport } from "@courier/node-transport"
import { describe, expect } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import { fiberTracker, scopedLive } from "../../core/test/edition.js"
import { rawServer } from "./servers.js"

/** A small seeded generator (mulberry32), so a failing run can be replayed. */
const random = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

const REQUESTS = 10_000
const body = "x".repeat(512)

/** Answers each request head in one of several ways, some of them broken. */
const chaos = (next: () => number) => (socket: net.Socket) => {
  let seen = ""
  socket.on("error", () => undefined)
  socket.on("data", (d: Buffer) => {
    seen += d.toString("latin1")
    while (seen.includes("\r\n\r\n")) {
      seen = seen.slice(seen.indexOf("\r\n\r\n") + 4)
      const roll = next()
      if (socket.destroyed) return
      if (roll < 0.55) socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n${body}`)
      else if (roll < 0.65) socket.write(`HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n`)
      else if (roll < 0.75) {
        socket.end("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\ncut short")
        return
      } else if (roll < 0.85) {
        socket.write("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial")
        setTimeout(() => socket.resetAndDestroy(), 2)
        return
      } else {
        setTimeout(
          () => {
            if (!socket.destroyed) socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n${body}`)
          },
          Math.floor(next() * 15),
        )
      }
    }
  })
}

describe("no leaks under chaos", () => {
  scopedLive(
    "10,000 requests with resets, cut bodies, delays and interruptions leave no socket and no fiber behind",
    () =>
      Effect.gen(function* () {
        const serverRandom = random(42)
        const clientRandom = random(7)
        const server = yield* rawServer(chaos(serverRandom))
        const fibers = yield* fiberTracker
        const scope = yield* Scope.make()
        const context = yield* Layer.buildWithScope(NodeTransport.client({ maxConnectionsPerOrigin: 16 }), scope)
        const outcomes = { ok: 0, failed: 0, interrupted: 0, abandoned: 0 }

        const one = (i: number) => {
          const roll = clientRandom()
          const url = `${server.url}/r/${i}`
          if (roll < 0.1) {
            // Interrupted after a random short time, wherever the request then is.
            return Client.get(url).pipe(
              Effect.timeoutOption(`${Math.floor(clientRandom() * 10)} millis`),
              Effect.andThen((o) =>
                Effect.sync(() => {
                  if (o._tag === "None") outcomes.interrupted++
                  else outcomes.ok++
                }),
              ),
            )
          }
          if (roll < 0.2) {
            // Streamed, one chunk read, then abandoned: the scope closes with the body unread.
            return Effect.scoped(
              Effect.flatMap(Client.execute(Request.get(url)), (r) => Stream.runHead(Response.stream(r))),
            ).pipe(Effect.andThen(() => Effect.sync(() => void outcomes.abandoned++)))
          }
          return Effect.andThen(Client.get(url), () => Effect.sync(() => void outcomes.ok++))
        }

        yield* Effect.forEach(
          Array.from({ length: REQUESTS }, (_, i) => i),
          (i) => catchFailure(one(i), () => Effect.sync(() => void outcomes.failed++)),
          { concurrency: 32, discard: true },
        ).pipe(Effect.provide(context), fibers.track)

        expect(outcomes.ok + outcomes.failed + outcomes.interrupted + outcomes.abandoned).toBe(REQUESTS)
        expect(outcomes.ok).toBeGreaterThan(REQUESTS / 3)
        expect(outcomes.failed).toBeGreaterThan(REQUESTS / 10)
        expect(outcomes.interrupted).toBeGreaterThan(0)

        // The pool still holds idle keep-alive sockets: closing the layer's scope is what must end them.
        expect(server.open()).toBeGreaterThan(0)
        yield* Scope.close(scope, Exit.void)
        // The server says when it has seen the last of them close.
        yield* server.untilOpen(0)
        expect(server.open()).toBe(0)
        expect(yield* fibers.running).toBe(0)
      }),
    60_000,
  )
})
