// A fixture app written only against @effect/platform's HttpClient passes its own tests over Courier — and,
// as a control, over platform's FetchHttpClient. Courier's typed errors stay reachable as the cause.
import * as zlib from "node:zlib"
import * as Platform from "@courier/core/Platform"
import { NodeTransport } from "@courier/node-transport"
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientError from "@effect/platform/HttpClientError"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as App from "../src/platform-app/app.js"
import { loopback } from "./loopback.js"

const server = Effect.suspend(() => {
  let flaky = 0
  return loopback((req, res) => {
    const chunks: Array<Buffer> = []
    req.on("data", (d: Buffer) => chunks.push(d))
    req.on("end", () => {
      const body = Buffer.concat(chunks)
      const json = (status: number, value: unknown) => {
        const text = zlib.gzipSync(JSON.stringify(value))
        res.writeHead(status, { "Content-Type": "application/json", "Content-Encoding": "gzip" })
        res.end(text)
      }
      if (req.url === "/todos/1") return json(200, { id: 1, title: "write tests", done: false })
      if (req.url === "/todos/2") return json(200, { id: 2, title: 42 })
      if (req.url === "/todos/404") return json(404, { error: "none" })
      if (req.url === "/todos" && req.method === "POST") return json(201, JSON.parse(body.toString()))
      if (req.url === "/upload") return res.end(`got ${body.length} bytes`)
      if (req.url === "/flaky") {
        if (++flaky % 3 !== 0) {
          res.writeHead(503)
          return res.end()
        }
        return res.end("finally")
      }
      if (req.url === "/moved") {
        res.writeHead(302, { Location: "/moved-again" })
        return res.end()
      }
      if (req.url === "/moved-again") {
        res.writeHead(301, { Location: "/landing" })
        return res.end()
      }
      if (req.url === "/landing") return res.end("landed")
      if (req.url === "/lines") {
        res.writeHead(200, { "Content-Type": "text/plain" })
        for (let i = 0; i < 100; i++) res.write(`line ${i}\n`)
        return res.end()
      }
      res.writeHead(404)
      res.end()
    })
  })
})

const overCourier = Platform.httpClient().pipe(
  Layer.provide(Layer.merge(NodeTransport.layer(), NodeTransport.platform)),
)

for (const [name, layer] of [
  ["Courier (Platform.httpClient over the node transport)", overCourier],
  ["platform's FetchHttpClient (control)", FetchHttpClient.layer],
] as const) {
  describe(`a platform app over ${name}`, () => {
    it.scopedLive("schemaBodyJson, bodyJson, bodyStream and filterStatusOk", () =>
      Effect.gen(function* () {
        const { url } = yield* server
        expect(yield* App.getTodo(url, 1)).toEqual({ id: 1, title: "write tests", done: false })
        const todo = { id: 9, title: "ship", done: true }
        expect(yield* App.createTodo(url, todo)).toEqual(todo)
        expect(yield* App.uploadLines(url, ["a", "bb", "ccc"])).toBe("got 9 bytes")
        const notFound = yield* Effect.flip(App.getTodo(url, 404))
        expect(notFound).toMatchObject({ _tag: "ResponseError", reason: "StatusCode" })
        const badShape = yield* Effect.flip(App.getTodo(url, 2))
        expect(badShape._tag).toBe("ParseError")
      }).pipe(Effect.provide(layer)),
    )

    it.scopedLive("retryTransient, followRedirects and streamed responses", () =>
      Effect.gen(function* () {
        const { url } = yield* server
        expect(yield* App.flaky(url)).toBe("finally")
        expect(yield* App.redirected(url)).toBe("landed")
        expect(yield* App.countLines(url)).toBe(100)
      }).pipe(Effect.provide(layer)),
    )
  })
}

describe("redirects left to platform's followRedirects", () => {
  it.scopedLive("with redirects: false, platform's own followRedirects follows them", () =>
    Effect.gen(function* () {
      const { url } = yield* server
      const client = (yield* HttpClient.HttpClient).pipe(HttpClient.followRedirects(5))
      const r = yield* client.get(`${url}/moved`)
      expect([r.status, yield* r.text]).toEqual([200, "landed"])
      const plain = yield* (yield* HttpClient.HttpClient).get(`${url}/moved`)
      expect(plain.status).toBe(302)
    }).pipe(
      Effect.provide(
        Platform.httpClient({ redirects: false }).pipe(
          Layer.provide(Layer.merge(NodeTransport.layer(), NodeTransport.platform)),
        ),
      ),
    ),
  )
})

describe("Courier's errors under platform's", () => {
  it.scopedLive("a refused connection is a RequestError whose cause is Courier's HTTPConnectionError", () =>
    Effect.gen(function* () {
      const error = (yield* Effect.flip(
        Effect.flatMap(HttpClient.HttpClient, (c) => c.get("http://127.0.0.1:1/")).pipe(Effect.scoped),
      )) as HttpClientError.HttpClientError
      expect(error).toMatchObject({ _tag: "RequestError", reason: "Transport" })
      expect(error.cause).toMatchObject({ _tag: "HTTPConnectionError", code: "ECONNREFUSED" })
    }).pipe(Effect.provide(overCourier)),
  )
})
