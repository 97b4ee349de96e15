// The HTTP cache over real sockets: every RFC 9111 row of core/test/cache-cases.ts against a node:http server
// on 127.0.0.1 that counts the requests it gets, bodies read into memory and streamed, under TestClock (the
// server dates its answers by the test's clock).
import type * as http from "node:http"
import { NodeTransport } from "@courier/node-transport"
import { describe } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { type CacheCase, cacheCases, type Mode, runCase, type Seen } from "../../core/test/cache-cases.js"
import { scoped } from "../../core/test/edition.js"
import { httpServer } from "./servers.js"

const seenOf = (req: http.IncomingMessage): Seen => {
  const headers: Record<string, string> = {}
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const key = (req.rawHeaders[i] ?? "").toLowerCase()
    const value = req.rawHeaders[i + 1] ?? ""
    headers[key] = headers[key] === undefined ? value : `${headers[key]}, ${value}`
  }
  return { method: req.method ?? "", path: new URL(req.url ?? "/", "http://x").pathname, headers }
}

/** A server answering as `row`'s origin, logging each request in `seen`, dated by `clock.now`. */
const origin = (row: CacheCase, seen: Array<Seen>, clock: { now: number }) =>
  httpServer((req, res) => {
    req.resume()
    req.on("end", () => {
      const asked = seenOf(req)
      seen.push(asked)
      const reply = row.origin(seen.length, asked, clock.now)
      const headers = reply.headers ?? []
      const hasDate = headers.some(([n]) => n.toLowerCase() === "date")
      const date: ReadonlyArray<readonly [string, string]> = hasDate
        ? []
        : [["Date", new Date(clock.now).toUTCString()]]
      res.sendDate = false
      res.writeHead(reply.status ?? 200, [...date, ...headers].flat())
      res.end(reply.body ?? "")
    })
  })

describe.each(["fetch", "execute"] as ReadonlyArray<Mode>)("RFC 9111 over node:http (%s)", (mode) => {
  scoped.each(cacheCases.map((row) => [`${row.section}: ${row.rule}`, row] as const))("%s", ([, row]) =>
    Effect.gen(function* () {
      const seen: Array<Seen> = []
      const clock = { now: 0 }
      const server = yield* origin(row, seen, clock)
      yield* runCase(row, server.url, seen, mode, (now) => {
        clock.now = now
      }).pipe(Effect.provide(NodeTransport.client({ cache: row.options ?? true })))
    }),
  )
})
