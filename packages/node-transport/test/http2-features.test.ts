// Everything above the transport, unchanged over HTTP/2: redirects, retries, cookies, decompression,
// progress, streaming, tracing and the platform interop, against a node:http2 server over TLS.
import type * as http2 from "node:http2"
import * as zlib from "node:zlib"
import { Body, Client, Request, Response, Retry } from "@courier/core"
import * as Platform from "@courier/core/Platform"
import { NodeTransport } from "@courier/node-transport"
import { describe, expect } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schedule from "effect/Schedule"
import * as Stream from "effect/Stream"
import { Agent, fetch as undiciFetch } from "undici"
import { fold, scoped } from "../../core/test/edition.js"
import { recording } from "../../mock-transport/test/recording.js"
import { h2Server, trust } from "./h2servers.js"
import { FetchHttpClient, HttpClient } from "./platform.js"

const BIG = 256 * 1024

/** Routes for the features: each answers as the HTTP/1.1 tests' servers do. */
const routes = () => {
  let flaky = 0
  return (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => {
    const path = String(headers[":path"])
    const chunks: Array<Buffer> = []
    stream.on("data", (c: Buffer) => chunks.push(c))
    stream.on("end", () => {
      const json = (status: number, value: unknown, extra: http2.OutgoingHttpHeaders = {}) => {
        stream.respond({ ":status": status, "content-type": "application/json", ...extra })
        stream.end(JSON.stringify(value))
      }
      if (path === "/redirect") {
        stream.respond({ ":status": 302, location: "/final" })
        return stream.end()
      }
      if (path === "/set") return json(200, {}, { "set-cookie": "k=v; Path=/" })
      if (path === "/gz") {
        stream.respond({ ":status": 200, "content-encoding": "gzip" })
        return stream.end(zlib.gzipSync("squeezed"))
      }
      if (path === "/flaky") return ++flaky === 1 ? json(503, {}) : json(200, { tries: flaky })
      if (path === "/big") {
        stream.respond({ ":status": 200, "content-length": String(BIG) })
        return stream.end(Buffer.alloc(BIG, 0x62))
      }
      json(200, {
        path,
        method: headers[":method"],
        cookie: headers.cookie ?? null,
        body: Buffer.concat(chunks).toString(),
      })
    })
  }
}

const client = (options: Client.Options = {}) => NodeTransport.client({ ...trust, ...options })

describe("the Client over HTTP/2", () => {
  scoped("redirects are followed, and the final response says HTTP/2", () =>
    Effect.gen(function* () {
      const server = yield* h2Server("h2", routes())
      const r = yield* Client.get(`${server.url}/redirect`).pipe(Effect.provide(client()))
      expect(r.version).toBe("HTTP/2")
      expect(yield* Response.json(r)).toMatchObject({ path: "/final", method: "GET" })
    }),
  )

  scoped(
    "1xx responses reach the request's hook in order, before the response, and a body over the limit is refused at its head",
    () =>
      Effect.gen(function* () {
        const server = yield* h2Server("h2", (stream) => {
          stream.additionalHeaders({ ":status": 103, link: "</a.css>; rel=preload" })
          stream.additionalHeaders({ ":status": 103, link: "</b.js>; rel=preload" })
          stream.respond({ ":status": 200, "content-length": "5" })
          stream.end("hello")
        })
        const seen: Array<string> = []
        const request = Request.get(`${server.url}/hints`).pipe(
          Request.setOnInformational((i) => Effect.sync(() => seen.push(`${i.status} ${i.headers.entries[0]?.[1]}`))),
        )
        const r = yield* Client.fetch(request).pipe(Effect.provide(client()))
        expect([seen, yield* Response.text(r)]).toEqual([
          ["103 </a.css>; rel=preload", "103 </b.js>; rel=preload"],
          "hello",
        ])
        const small = Request.setMaxResponseBytes(request, 4)
        const refused = yield* Effect.flip(Client.fetch(small).pipe(Effect.provide(client())))
        expect(refused).toMatchObject({ _tag: "BodyTooLarge", limit: 4, received: 0, announced: 5 })
      }),
  )

  scoped("a transient status is retried by the retry policy", () =>
    Effect.gen(function* () {
      const server = yield* h2Server("h2", routes())
      const r = yield* Client.get(`${server.url}/flaky`).pipe(
        Effect.provide(client({ retry: Retry.make({ schedule: Schedule.recurs(2) }) })),
      )
      expect(yield* Response.json(r)).toEqual({ tries: 2 })
    }),
  )

  scoped("a session keeps the cookies it is given and sends them back", () =>
    Effect.gen(function* () {
      const server = yield* h2Server("h2", routes())
      const body = yield* Effect.gen(function* () {
        yield* Client.get(`${server.url}/set`)
        return yield* Effect.flatMap(Client.get(`${server.url}/echo`), Response.json)
      }).pipe(Effect.provide(NodeTransport.session(trust)))
      expect(body).toMatchObject({ cookie: "k=v" })
    }),
  )

  scoped("a gzip body is decoded", () =>
    Effect.gen(function* () {
      const server = yield* h2Server("h2", routes())
      const text = yield* Effect.flatMap(Client.get(`${server.url}/gz`), Response.text).pipe(Effect.provide(client()))
      expect(text).toBe("squeezed")
    }),
  )

  scoped("a JSON POST body arrives whole", () =>
    Effect.gen(function* () {
      const server = yield* h2Server("h2", routes())
      const body = yield* Effect.flatMap(Client.post(`${server.url}/echo`, { json: { a: 1 } }), Response.json).pipe(
        Effect.provide(client()),
      )
      expect(body).toMatchObject({ method: "POST", body: '{"a":1}' })
    }),
  )

  scoped("download progress counts to the whole body, and a streamed body arrives in pieces", () =>
    Effect.gen(function* () {
      const server = yield* h2Server("h2", routes())
      const seen: Array<number> = []
      const request = Request.get(`${server.url}/big`, {
        onDownloadProgress: (p) => Effect.sync(() => seen.push(p.transferred)),
      })
      const received = yield* Effect.scoped(
        Effect.flatMap(Client.execute(request), (r) => fold(Response.stream(r), 0, (n, c) => n + c.length)),
      ).pipe(Effect.provide(client()))
      expect(received).toBe(BIG)
      expect(seen.at(-1)).toBe(BIG)
    }),
  )

  scoped("upload progress counts to the whole body", () =>
    Effect.gen(function* () {
      const server = yield* h2Server("h2", routes())
      const seen: Array<number> = []
      const request = Request.post(`${server.url}/echo`, {
        body: Body.stream(Stream.make(new Uint8Array(BIG / 2), new Uint8Array(BIG / 2)), { length: BIG }),
        onUploadProgress: (p) => Effect.sync(() => seen.push(p.transferred)),
      })
      const r = yield* Client.fetch(request).pipe(Effect.provide(client()))
      expect(r.status).toBe(200)
      expect(seen.at(-1)).toBe(BIG)
    }),
  )

  scoped("spans carry network.protocol.version 2", () =>
    Effect.gen(function* () {
      const server = yield* h2Server("h2", routes())
      const { tracer, spans } = recording()
      yield* Client.get(`${server.url}/echo`).pipe(Effect.withTracer(tracer), Effect.provide(client()))
      const attempts = spans.filter((s) => s.kind === "client")
      expect(attempts.map((s) => s.attributes.get("network.protocol.version"))).toEqual(["2"])
    }),
  )

  scoped("Courier's requests run over @effect/platform's HttpClient when that client speaks HTTP/2", () =>
    Effect.gen(function* () {
      const server = yield* h2Server("h2", routes())
      // Platform's fetch client, its fetch undici's with HTTP/2 allowed: the server offers nothing else.
      const dispatcher = new Agent({ allowH2: true, connect: { ca: trust.tls.ca } })
      yield* Effect.addFinalizer(() => Effect.promise(() => dispatcher.close()))
      const h2Fetch: typeof globalThis.fetch = (input, init) =>
        undiciFetch(input as string, { ...(init as object), dispatcher }) as unknown as Promise<globalThis.Response>
      const overPlatform = Client.layer().pipe(
        Layer.provide(Platform.transport()),
        Layer.provide(FetchHttpClient.layer.pipe(Layer.provide(Layer.succeed(FetchHttpClient.Fetch, h2Fetch)))),
      )
      const body = yield* Effect.flatMap(Client.post(`${server.url}/echo`, { json: { a: 1 } }), Response.json).pipe(
        Effect.provide(overPlatform),
      )
      expect(body).toMatchObject({ method: "POST", body: '{"a":1}' })
    }),
  )

  scoped("@effect/platform's HttpClient runs over Courier's HTTP/2", () =>
    Effect.gen(function* () {
      const server = yield* h2Server("h2", routes())
      const layer = Platform.httpClient().pipe(
        Layer.provide(NodeTransport.layer(trust)),
        Layer.provide(NodeTransport.platform),
      )
      const body = yield* Effect.flatMap(HttpClient.get(`${server.url}/echo`), (r) => r.json).pipe(
        Effect.provide(layer),
      )
      expect(body).toMatchObject({ path: "/echo", method: "GET" })
    }),
  )
})
