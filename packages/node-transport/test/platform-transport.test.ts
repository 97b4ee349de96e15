// Courier over @effect/platform's FetchHttpClient (Platform.transport): where only fetch exists, Courier
// requests still run, with fetch's failures mapped onto Courier's typed errors.
import * as zlib from "node:zlib"
import { Client, Response, Session } from "@courier/core"
import * as Platform from "@courier/core/Platform"
import { describe, expect } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { scoped, scopedLive } from "../../core/test/edition.js"
import { freePort } from "./external.js"
import { FetchHttpClient } from "./platform.js"
import { httpServer } from "./servers.js"

const overFetch = Client.layer().pipe(Layer.provide(Platform.transport()), Layer.provide(FetchHttpClient.layer))

const server = httpServer((req, res) => {
  const chunks: Array<Buffer> = []
  req.on("data", (d: Buffer) => chunks.push(d))
  req.on("end", () => {
    if (req.url === "/gz") {
      res.writeHead(200, { "Content-Encoding": "gzip" })
      return res.end(zlib.gzipSync("squeezed"))
    }
    if (req.url === "/set") {
      res.writeHead(200, { "Set-Cookie": "k=v; Path=/" })
      return res.end()
    }
    if (req.url === "/phrase") {
      res.writeHead(203, "Fine, Thanks")
      return res.end()
    }
    if (req.url === "/cut") {
      res.writeHead(200, { "Content-Length": "100" })
      return res.write("only some", () => res.socket?.destroy())
    }
    res.writeHead(200, { "Content-Type": "application/json" })
    res.end(
      JSON.stringify({
        method: req.method,
        url: req.url,
        body: Buffer.concat(chunks).toString(),
        cookie: req.headers.cookie ?? null,
        accept: req.headers.accept ?? null,
      }),
    )
  })
})

describe("Courier over platform's FetchHttpClient", () => {
  scopedLive("GET with params and POST with JSON", () =>
    Effect.gen(function* () {
      const s = yield* server
      expect(yield* Effect.flatMap(Client.get(`${s.url}/q`, { params: { a: "1" } }), Response.json)).toMatchObject({
        url: "/q?a=1",
      })
      expect(yield* Effect.flatMap(Client.post(`${s.url}/p`, { json: { x: 1 } }), Response.json)).toMatchObject({
        method: "POST",
        body: '{"x":1}',
      })
    }).pipe(Effect.provide(overFetch)),
  )

  scopedLive("the reason phrase the server sent is kept", () =>
    Effect.gen(function* () {
      const s = yield* server
      const r = yield* Client.get(`${s.url}/phrase`)
      expect([r.status, r.reason]).toEqual([203, "Fine, Thanks"])
    }).pipe(Effect.provide(overFetch)),
  )

  scopedLive("a body fetch decoded is not decoded again", () =>
    Effect.gen(function* () {
      const s = yield* server
      expect(yield* Effect.flatMap(Client.get(`${s.url}/gz`), Response.text)).toBe("squeezed")
    }).pipe(Effect.provide(overFetch)),
  )

  scopedLive("a Courier session keeps its cookies over fetch", () =>
    Effect.gen(function* () {
      const s = yield* server
      yield* Client.get(`${s.url}/set`)
      expect(yield* Effect.flatMap(Client.get(`${s.url}/echo`), Response.json)).toMatchObject({ cookie: "k=v" })
    }).pipe(
      Effect.provide(Session.layer().pipe(Layer.provide(Platform.transport()), Layer.provide(FetchHttpClient.layer))),
    ),
  )

  scopedLive("refused and unresolvable hosts are HTTPConnectionError; a body cut short is IOError", () =>
    Effect.gen(function* () {
      const s = yield* server
      // fetch refuses low ports such as 1 outright ("bad port"); a closed ephemeral port is refused by the OS.
      const closed = yield* freePort()
      expect(yield* Effect.flip(Client.get(`http://127.0.0.1:${closed}/`))).toMatchObject({
        _tag: "HTTPConnectionError",
        code: "ECONNREFUSED",
      })
      expect(yield* Effect.flip(Client.get("http://nonexistent.invalid/"))).toMatchObject({
        _tag: "HTTPConnectionError",
        code: "ENOTFOUND",
      })
      expect((yield* Effect.flip(Client.get(`${s.url}/cut`)))._tag).toBe("IOError")
    }).pipe(Effect.provide(overFetch)),
  )

  scoped("a repeated request header is combined into one line, not cut to the last", () =>
    Effect.gen(function* () {
      const s = yield* server
      const r = yield* Client.get(`${s.url}/echo`, {
        headers: [
          ["Accept", "text/html"],
          ["Accept", "application/json"],
          ["Cookie", "a=1"],
          ["Cookie", "b=2"],
        ],
      })
      const body = (yield* Response.json(r)) as { accept: string; cookie: string }
      expect([body.accept, body.cookie]).toEqual(["text/html, application/json", "a=1; b=2"])
    }).pipe(Effect.provide(overFetch)),
  )
})
