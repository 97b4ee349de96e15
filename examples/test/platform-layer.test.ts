// Courier as @effect/platform's HttpClient (Platform.httpClient), tested with platform's own client APIs:
// raw bodies of every kind are sent, a body that cannot be is a typed error, platform's span and
// traceparent are the only ones, and redirects come back to platform's followRedirects as its Node client
// returns them.
import { Readable } from "node:stream"
import * as Platform from "@courier/core/Platform"
import { NodeTransport } from "@courier/node-transport"
import * as HttpBody from "@effect/platform/HttpBody"
import * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Tracer from "effect/Tracer"
import { loopback } from "./loopback.js"

interface Seen {
  readonly traceparent: ReadonlyArray<string>
  readonly type: string | undefined
  readonly body: string
}

/** Answers 302 on /moved, and otherwise what it received: traceparent headers, content type and body. */
const server = loopback((req, res) => {
  if (req.url === "/moved") {
    res.writeHead(302, { Location: "/landed" })
    res.end()
    return
  }
  const chunks: Array<Buffer> = []
  req.on("data", (d: Buffer) => chunks.push(d))
  req.on("end", () => {
    const seen: Seen = {
      traceparent: req.headersDistinct.traceparent ?? [],
      type: req.headers["content-type"],
      body: Buffer.concat(chunks).toString(),
    }
    res.end(JSON.stringify(seen))
  })
})

const layer = Platform.httpClient().pipe(Layer.provide(Layer.merge(NodeTransport.layer(), NodeTransport.platform)))

const seenBy = (request: HttpClientRequest.HttpClientRequest) =>
  Effect.flatMap(HttpClient.HttpClient, (client) =>
    Effect.flatMap(client.execute(request), (r) => Effect.map(r.json, (j) => j as Seen)),
  ).pipe(Effect.scoped)

/** A tracer that keeps the kind and id of every span it makes. */
const recording = () => {
  const spans: Array<{ readonly name: string; readonly kind: Tracer.SpanKind; readonly spanId: string }> = []
  const tracer = Tracer.make({
    span(name, parent, context, links, _start, kind) {
      const spanId = (spans.length + 1).toString(16).padStart(16, "0")
      spans.push({ name, kind, spanId })
      return {
        _tag: "Span",
        name,
        spanId,
        traceId: "0af7651916cd43dd8448eb211c80319c",
        parent,
        context,
        status: { _tag: "Started", startTime: 0n },
        attributes: new Map(),
        links,
        sampled: true,
        kind,
        end: () => undefined,
        attribute: () => undefined,
        event: () => undefined,
        addLinks: () => undefined,
      } satisfies Tracer.Span
    },
    context: (f) => f(),
  })
  return { tracer, spans }
}

describe("Platform.httpClient with platform's client APIs", () => {
  const raws: ReadonlyArray<readonly [string, () => unknown, string]> = [
    ["an ArrayBuffer", () => new TextEncoder().encode("buffer").buffer, "buffer"],
    ["a typed-array view", () => new DataView(new TextEncoder().encode("xxviewxx").buffer, 2, 4), "view"],
    ["a Blob", () => new Blob(["from a blob"], { type: "text/x-blob" }), "from a blob"],
    [
      "a ReadableStream",
      () =>
        new ReadableStream<Uint8Array>({
          start(c) {
            c.enqueue(new TextEncoder().encode("stre"))
            c.enqueue(new TextEncoder().encode("amed"))
            c.close()
          },
        }),
      "streamed",
    ],
    ["a Node Readable", () => Readable.from([Buffer.from("node "), Buffer.from("stream")]), "node stream"],
  ]
  for (const [what, make, expected] of raws) {
    it.scopedLive(`a raw body of ${what} is sent whole, never empty`, () =>
      Effect.gen(function* () {
        const { url } = yield* server
        const seen = yield* seenBy(
          HttpClientRequest.post(`${url}/echo`).pipe(HttpClientRequest.setBody(HttpBody.raw(make()))),
        )
        expect(seen.body).toBe(expected)
      }).pipe(Effect.provide(layer)),
    )
  }

  it.scopedLive("a raw body that cannot be sent is a RequestError (Encode), not an empty POST", () =>
    Effect.gen(function* () {
      const { url } = yield* server
      const error = (yield* Effect.flip(
        seenBy(HttpClientRequest.post(`${url}/echo`).pipe(HttpClientRequest.setBody(HttpBody.raw(42)))),
      )) as HttpClientError.HttpClientError
      expect(error).toMatchObject({ _tag: "RequestError", reason: "Encode" })
    }).pipe(Effect.provide(layer)),
  )

  it.scopedLive("under a tracer: one client span per request, and one traceparent, platform's", () =>
    Effect.gen(function* () {
      const { url } = yield* server
      const { tracer, spans } = recording()
      const seen = yield* seenBy(HttpClientRequest.get(`${url}/traced`)).pipe(Effect.withTracer(tracer))
      const clientSpans = spans.filter((s) => s.kind === "client")
      expect(clientSpans.length).toBe(1)
      expect(seen.traceparent).toEqual([`00-0af7651916cd43dd8448eb211c80319c-${clientSpans[0]?.spanId}-01`])
    }).pipe(Effect.provide(layer)),
  )

  it.scopedLive("withTracerPropagation(false) sends no traceparent", () =>
    Effect.gen(function* () {
      const { url } = yield* server
      const { tracer } = recording()
      const client = (yield* HttpClient.HttpClient).pipe(HttpClient.withTracerPropagation(false))
      const response = yield* client.get(`${url}/traced`).pipe(Effect.withTracer(tracer))
      const seen = (yield* response.json) as Seen
      expect(seen.traceparent).toEqual([])
    }).pipe(Effect.provide(layer)),
  )

  it.scopedLive("by default a redirect comes back as it is, as platform's Node client returns it", () =>
    Effect.gen(function* () {
      const { url } = yield* server
      const client = yield* HttpClient.HttpClient
      const r = yield* client.get(`${url}/moved`)
      expect([r.status, Option.getOrUndefined(Option.fromNullable(r.headers.location))]).toEqual([302, "/landed"])
      const followed = yield* client.pipe(HttpClient.followRedirects(5)).get(`${url}/moved`)
      expect(followed.status).toBe(200)
    }).pipe(Effect.provide(layer)),
  )

  it.scopedLive("any status a server sends, 100 to 999, comes back as a response, with its body and phrase", () =>
    Effect.gen(function* () {
      const odd = yield* loopback((req, res) => {
        const status = Number(req.url?.slice(1))
        res.writeHead(status, `Phrase ${status}`)
        res.end(`status ${status}`)
      })
      const client = yield* HttpClient.HttpClient
      for (const status of [299, 600, 799, 999]) {
        const r = yield* client.get(`${odd.url}/${status}`)
        expect([r.status, yield* r.text]).toEqual([status, `status ${status}`])
      }
      // platform's own filter treats what is not 2xx as an error, a typed one.
      const filtered = yield* Effect.flip(HttpClient.filterStatusOk(client).get(`${odd.url}/600`))
      expect(filtered._tag).toBe("ResponseError")
    }).pipe(Effect.scoped, Effect.provide(layer)),
  )
})
