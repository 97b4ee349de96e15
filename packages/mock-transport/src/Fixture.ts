/**
 * Record real exchanges to a fixture file, and replay them as mock routes.
 *
 * `Fixture.record(path)` wraps the Transport below it (the node transport, say): every exchange goes
 * through for real and is kept — request method, URL, headers and body; response status, headers and body
 * — with credentials redacted (Authorization, cookies, tokens, API keys, URL user info). When the layer's
 * scope closes the fixture is written as JSON. `Fixture.replay(path)` loads it, validates it with
 * effect/Schema, and answers each recorded request with its recorded response, in order. In `lockdown`
 * mode (the default) any other request fails (`UnmatchedRequest`, and the test at scope close); in
 * `passthrough` mode it goes to the Transport below. `Fixture.toHar` exports a fixture as HAR 1.2.
 *
 * @since 0.1.0
 */
import * as fs from "node:fs/promises"
import { Headers, type HttpError, Request, Response, Transport, type Url, VERSION } from "@courier/core"
import * as Edition from "@courier/core/internal/edition"
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import { bodyBytes } from "./internal/body.js"
import * as MockTransport from "./MockTransport.js"

const Pair = Edition.StringPair

/**
 * One recorded exchange.
 *
 * @since 0.1.0
 * @category models
 */
export const Entry = Schema.Struct({
  startedAt: Schema.String,
  millis: Schema.Number,
  request: Schema.Struct({
    method: Schema.String,
    url: Schema.String,
    headers: Schema.Array(Pair),
    bodyBase64: Schema.String,
  }),
  response: Schema.Struct({
    status: Schema.Number,
    reason: Schema.String,
    version: Edition.Literals("HTTP/1.0", "HTTP/1.1", "HTTP/2"),
    headers: Schema.Array(Pair),
    bodyBase64: Schema.String,
  }),
})

/**
 * One recorded exchange, as a type.
 *
 * @since 0.1.0
 * @category models
 */
export type Entry = typeof Entry.Type

/**
 * A fixture file.
 *
 * @since 0.1.0
 * @category models
 */
export const Fixture = Schema.Struct({
  courierFixture: Schema.Literal(1),
  entries: Schema.Array(Entry),
})

/**
 * A fixture file, as a type.
 *
 * @since 0.1.0
 * @category models
 */
export type Fixture = typeof Fixture.Type

/**
 * A fixture could not be read, parsed or validated, or written.
 *
 * @since 0.1.0
 * @category errors
 */
export class FixtureError extends Data.TaggedError("FixtureError")<{ readonly path: string; readonly reason: string }> {
  override get message(): string {
    return `Fixture ${this.path}: ${this.reason}`
  }
}

const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString("base64")
const unb64 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, "base64"))
const redactPairs = (pairs: ReadonlyArray<readonly [string, string]>): Array<readonly [string, string]> =>
  pairs.map(([k, v]) => [k, Headers.isSensitive(k) ? "<redacted>" : v])

/**
 * A Transport that sends through the Transport below it and records every exchange to `path`.
 *
 * @example
 * ```ts
 * const recording = Fixture.record("test/fixtures/api.json").pipe(Layer.provide(NodeTransport.layer()))
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const record = (path: string): Layer.Layer<Transport.Transport, never, Transport.Transport> =>
  Edition.layerScoped(
    Transport.Transport,
    Effect.gen(function* () {
      const inner = yield* Transport.Transport
      const entries: Array<Entry> = []
      const keep = (request: Request.Request, url: Url.Url, response: Response.Response, started: number) =>
        Effect.gen(function* () {
          const sent = yield* bodyBytes(request)
          const kept = yield* Response.buffered(response)
          const body = yield* Response.bytes(kept)
          entries.push({
            startedAt: new Date(started).toISOString(),
            millis: Date.now() - started,
            request: {
              method: request.method,
              url: Request.redactUrl(url.href),
              headers: redactPairs(request.headers.entries),
              bodyBase64: b64(sent),
            },
            response: {
              status: response.status,
              reason: response.reason,
              version: response.version,
              headers: redactPairs(response.headers.entries),
              bodyBase64: b64(body),
            },
          })
          return kept
        })
      const fetch = (request: Request.Request, url: Url.Url): Effect.Effect<Response.Response, HttpError.HttpError> =>
        Effect.suspend(() => {
          const started = Date.now()
          return Effect.flatMap(inner.fetch(request, url), (r) => keep(request, url, r, started))
        })
      yield* Effect.addFinalizer(() =>
        Effect.orDie(
          Effect.tryPromise({
            try: () => fs.writeFile(path, `${JSON.stringify({ courierFixture: 1, entries }, null, 2)}\n`),
            catch: (e) => new FixtureError({ path, reason: String(e) }),
          }),
        ),
      )
      // Recording reads each body whole, so `send` records through `fetch` and streams from memory.
      return Transport.Transport.of({ fetch, send: fetch })
    }),
  )

/**
 * Reads and validates a fixture file.
 *
 * @since 0.1.0
 * @category loading
 */
export const load = (path: string): Effect.Effect<Fixture, FixtureError> =>
  Effect.tryPromise({
    try: () => fs.readFile(path, "utf8"),
    catch: (e) => new FixtureError({ path, reason: `cannot read: ${String(e)}` }),
  }).pipe(
    Effect.flatMap((text) =>
      Effect.try({
        try: (): unknown => JSON.parse(text),
        catch: (e) => new FixtureError({ path, reason: `not JSON: ${String(e)}` }),
      }),
    ),
    Effect.flatMap((json) =>
      Effect.mapError(
        Edition.decodeUnknown(Fixture, json),
        (reason) => new FixtureError({ path, reason: `invalid: ${reason}` }),
      ),
    ),
  )

/**
 * The routes that answer a fixture's requests: each entry once, in recorded order.
 *
 * @since 0.1.0
 * @category replay
 */
export const routes = (fixture: Fixture): ReadonlyArray<MockTransport.Route> =>
  fixture.entries.map((entry, i) => {
    const url = new URL(entry.request.url)
    const query = Object.fromEntries(url.searchParams)
    return MockTransport.once({
      name: `#${i + 1} ${entry.request.method} ${url.pathname}${url.search}`,
      method: entry.request.method,
      path: (p) => p === url.pathname,
      query,
      reply: {
        status: entry.response.status,
        reason: entry.response.reason,
        version: entry.response.version,
        headers: entry.response.headers,
        bytes: unb64(entry.response.bodyBase64),
      },
    })
  })

/**
 * Answers the requests recorded in `path`, each once and in order; any other request fails with
 * `UnmatchedRequest`, and fails the test when the layer's scope closes (lockdown).
 *
 * @since 0.1.0
 * @category layers
 */
export const replay = (path: string): Layer.Layer<Transport.Transport | MockTransport.MockTransport, FixtureError> =>
  Edition.layerUnwrap(Effect.map(load(path), (fixture) => MockTransport.layer(routes(fixture))))

/**
 * Answers the requests recorded in `path`, and sends any other to the Transport below (to record new
 * exchanges, put `record` below it).
 *
 * @since 0.1.0
 * @category layers
 */
export const replayOrPass = (
  path: string,
): Layer.Layer<Transport.Transport | MockTransport.MockTransport, FixtureError, Transport.Transport> =>
  Edition.layerScopedContext(
    Effect.gen(function* () {
      const below = yield* Transport.Transport
      const fixture = yield* load(path)
      const recorded = yield* Layer.build(MockTransport.layer(routes(fixture), { allowUnmatched: true }))
      const mock = Context.get(recorded, Transport.Transport)
      const transport = Transport.Transport.of({
        send: (request, url) =>
          Effect.catchTag(mock.send(request, url), "UnmatchedRequest", () => below.send(request, url)),
        fetch: (request, url) =>
          Effect.catchTag(mock.fetch(request, url), "UnmatchedRequest", () => below.fetch(request, url)),
      })
      return Context.add(recorded, Transport.Transport, transport)
    }),
  )

/**
 * A fixture as a HAR 1.2 log, for browsers' and proxies' tools.
 *
 * @since 0.1.0
 * @category export
 */
export const toHar = (fixture: Fixture) => ({
  log: {
    version: "1.2",
    creator: { name: "courier", version: VERSION },
    entries: fixture.entries.map((e) => {
      const url = new URL(e.request.url)
      const sent = unb64(e.request.bodyBase64)
      const got = unb64(e.response.bodyBase64)
      const type = (pairs: ReadonlyArray<readonly [string, string]>) =>
        pairs.find(([k]) => k.toLowerCase() === "content-type")?.[1] ?? ""
      return {
        startedDateTime: e.startedAt,
        time: e.millis,
        request: {
          method: e.request.method,
          url: e.request.url,
          httpVersion: "HTTP/1.1",
          headers: e.request.headers.map(([name, value]) => ({ name, value })),
          queryString: [...url.searchParams].map(([name, value]) => ({ name, value })),
          cookies: [],
          headersSize: -1,
          bodySize: sent.length,
          ...(sent.length > 0
            ? { postData: { mimeType: type(e.request.headers), text: new TextDecoder().decode(sent) } }
            : {}),
        },
        response: {
          status: e.response.status,
          statusText: e.response.reason,
          httpVersion: e.response.version,
          headers: e.response.headers.map(([name, value]) => ({ name, value })),
          cookies: [],
          content: {
            size: got.length,
            mimeType: type(e.response.headers),
            text: e.response.bodyBase64,
            encoding: "base64",
          },
          redirectURL: "",
          headersSize: -1,
          bodySize: got.length,
        },
        cache: {},
        timings: { send: 0, wait: e.millis, receive: 0 },
      }
    }),
  },
})
