// The HTTP cache on the mock transport under TestClock: every RFC 9111 row of core/test/cache-cases.ts, read
// into memory and streamed; then what a table cannot hold: revalidation in the background
// (stale-while-revalidate), stale-if-error on a network failure, stores (bounds, one that fails, one of the
// caller's own), bodies past the entry limit, and the span attribute.
import { Cache, Client, Headers, Request, Response } from "@courier/core"
import { MockTransport } from "@courier/mock-transport"
import { describe, expect, it } from "@effect/vitest"
import * as Clock from "effect/Clock"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import { type CacheCase, cacheCases, type Mode, runCase, type Seen } from "../../core/test/cache-cases.js"
import { TestClock } from "../../core/test/edition.js"
import { recording } from "./recording.js"

const seenOf = (request: MockTransport.MockRequest): Seen => {
  const headers: Record<string, string> = {}
  for (const [name, value] of request.headers.entries) {
    const key = name.toLowerCase()
    headers[key] = headers[key] === undefined ? value : `${headers[key]}, ${value}`
  }
  return { method: request.method, path: request.path, headers }
}

/** A mock origin for `row`: every request is logged in `seen` and answered by the row, `Date` the clock's time. */
const origin = (row: CacheCase, seen: Array<Seen>) =>
  MockTransport.layer([
    {
      path: () => true,
      reply: (request) =>
        Effect.map(Clock.currentTimeMillis, (now) => {
          const asked = seenOf(request)
          seen.push(asked)
          const reply = row.origin(seen.length, asked, now)
          const headers = reply.headers ?? []
          const date = headers.some(([n]) => n.toLowerCase() === "date")
            ? []
            : [["Date", new Date(now).toUTCString()] as const]
          return { status: reply.status ?? 200, headers: [...date, ...headers], text: reply.body ?? "" }
        }),
    },
  ])

describe.each(["fetch", "execute"] as ReadonlyArray<Mode>)("RFC 9111 on the mock transport (%s)", (mode) => {
  it.effect.each(cacheCases.map((row) => [`${row.section}: ${row.rule}`, row] as const))("%s", ([, row]) => {
    const seen: Array<Seen> = []
    return runCase(row, "https://origin.test", seen, mode).pipe(
      Effect.provide(Client.layer({ cache: row.options ?? true }).pipe(Layer.provideMerge(origin(row, seen)))),
    )
  })
})

const layerWith = (options: Cache.Options, routes: ReadonlyArray<MockTransport.Route>) =>
  Client.layer({ cache: options }).pipe(Layer.provideMerge(MockTransport.layer(routes)))

const get = (url: string, headers: Headers.Input = {}) =>
  Effect.flatMap(Client.fetch(Request.get(url, { headers })), (response) =>
    Effect.map(Response.text(response), (body) => ({ status: response.status, cache: Cache.status(response), body })),
  )

/** A store that passes everything to `inner` and tells `written` each time a key's entries are replaced. */
const signalling = (inner: Cache.Store, written: (key: string) => Effect.Effect<void>): Cache.Store => ({
  get: inner.get,
  delete: inner.delete,
  set: (key, entries) => Effect.andThen(inner.set(key, entries), written(key)),
})

describe("stale-while-revalidate (RFC 5861 §3)", () => {
  it.effect("a stale response within the window answers at once while one background request revalidates it", () =>
    Effect.gen(function* () {
      const release = yield* Deferred.make<void>()
      const stored = yield* Deferred.make<void>()
      let asked = 0
      const store = signalling(Cache.memory(), () => (asked === 2 ? Deferred.succeed(stored, undefined) : Effect.void))
      const routes: ReadonlyArray<MockTransport.Route> = [
        {
          path: "/news",
          reply: () =>
            Effect.suspend(() => {
              asked++
              const headers = { "Cache-Control": "max-age=10, stale-while-revalidate=60" }
              if (asked === 1) return Effect.succeed({ status: 200, headers, text: "first" })
              // The revalidation waits until the test has seen the stale answers.
              return Effect.as(Deferred.await(release), { status: 200, headers, text: "second" })
            }),
        },
      ]
      yield* Effect.gen(function* () {
        expect(yield* get("https://news.test/news")).toEqual({ status: 200, cache: "miss", body: "first" })
        yield* TestClock.adjust("20 seconds")
        expect(yield* get("https://news.test/news")).toEqual({ status: 200, cache: "stale", body: "first" })
        // A second stale answer while the first revalidation runs starts no other.
        expect(yield* get("https://news.test/news")).toEqual({ status: 200, cache: "stale", body: "first" })
        yield* Deferred.succeed(release, undefined)
        yield* Deferred.await(stored)
        expect(asked).toBe(2)
        expect(yield* get("https://news.test/news")).toEqual({ status: 200, cache: "hit", body: "second" })
        // Past max-age plus the window, the request waits for its validation.
        yield* TestClock.adjust("100 seconds")
        expect(yield* get("https://news.test/news")).toEqual({ status: 200, cache: "miss", body: "second" })
        expect(asked).toBe(3)
      }).pipe(Effect.provide(layerWith({ store }, routes)))
    }),
  )
})

describe("stale-if-error (RFC 5861 §4)", () => {
  it.effect("a network failure is answered from a stale response within the window, and fails past it", () =>
    Effect.gen(function* () {
      const routes: ReadonlyArray<MockTransport.Route> = [
        {
          path: "/rates",
          reply: [
            { status: 200, headers: { "Cache-Control": "max-age=10, stale-if-error=30" }, text: "rates" },
            MockTransport.fault.refused(),
          ],
        },
      ]
      yield* Effect.gen(function* () {
        yield* get("https://bank.test/rates")
        yield* TestClock.adjust("20 seconds")
        expect(yield* get("https://bank.test/rates")).toEqual({ status: 200, cache: "stale", body: "rates" })
        yield* TestClock.adjust("30 seconds")
        const failed = yield* Effect.flip(get("https://bank.test/rates"))
        expect(failed._tag).toBe("HTTPConnectionError")
      }).pipe(Effect.provide(layerWith({}, routes)))
    }),
  )

  it.effect("a request's own stale-if-error widens the window", () =>
    Effect.gen(function* () {
      const routes: ReadonlyArray<MockTransport.Route> = [
        {
          path: "/r",
          reply: [{ status: 200, headers: { "Cache-Control": "max-age=10" }, text: "kept" }, { status: 502 }],
        },
      ]
      yield* Effect.gen(function* () {
        yield* get("https://bank.test/r")
        yield* TestClock.adjust("60 seconds")
        expect((yield* get("https://bank.test/r")).status).toBe(502)
        const stale = yield* get("https://bank.test/r", { "Cache-Control": "stale-if-error=100" })
        expect(stale).toEqual({ status: 200, cache: "stale", body: "kept" })
      }).pipe(Effect.provide(layerWith({}, routes)))
    }),
  )
})

describe("stores", () => {
  const entry = (bytes: number): Cache.Entry => ({
    status: 200,
    reason: "OK",
    version: "HTTP/1.1",
    headers: [],
    body: new Uint8Array(bytes),
    requestTime: 0,
    responseTime: 0,
    vary: [],
    credentials: null,
  })

  it.effect("the memory store keeps at most maxEntries, the least recently used going first", () =>
    Effect.gen(function* () {
      const store = Cache.memory({ maxEntries: 2 })
      yield* store.set("a", [entry(1)])
      yield* store.set("b", [entry(1)])
      yield* store.get("a")
      yield* store.set("c", [entry(1)])
      expect([(yield* store.get("a")).length, (yield* store.get("b")).length, (yield* store.get("c")).length]).toEqual([
        1, 0, 1,
      ])
    }),
  )

  it.effect("the memory store keeps at most maxBytes, and never a list larger than that", () =>
    Effect.gen(function* () {
      const store = Cache.memory({ maxBytes: 3000 })
      yield* store.set("a", [entry(1000)])
      yield* store.set("b", [entry(1000)])
      yield* store.set("c", [entry(1000)])
      expect((yield* store.get("a")).length).toBe(0)
      expect((yield* store.get("c")).length).toBe(1)
      yield* store.set("huge", [entry(5000)])
      expect((yield* store.get("huge")).length).toBe(0)
      expect((yield* store.get("c")).length).toBe(1)
    }),
  )

  it.effect("a store that fails is an empty one: every request reaches the origin and none fails", () =>
    Effect.gen(function* () {
      const broken: Cache.Store = {
        get: () => Effect.fail("disk gone"),
        set: () => Effect.die("disk gone"),
        delete: () => Effect.fail("disk gone"),
      }
      const routes: ReadonlyArray<MockTransport.Route> = [
        { path: "/r", reply: { status: 200, headers: { "Cache-Control": "max-age=60" }, text: "ok" } },
      ]
      yield* Effect.gen(function* () {
        expect(yield* get("https://api.test/r")).toEqual({ status: 200, cache: "miss", body: "ok" })
        expect(yield* get("https://api.test/r")).toEqual({ status: 200, cache: "miss", body: "ok" })
        expect((yield* MockTransport.calls).length).toBe(2)
      }).pipe(Effect.provide(layerWith({ store: broken }, routes)))
    }),
  )

  it.effect("a store of the caller's own keeps entries as plain data (here JSON text)", () =>
    Effect.gen(function* () {
      const text = new Map<string, string>()
      const json: Cache.Store = {
        get: (key) =>
          Effect.sync(() => {
            const held = text.get(key)
            if (held === undefined) return []
            const parsed = JSON.parse(held) as ReadonlyArray<Cache.Entry & { readonly body: ReadonlyArray<number> }>
            return parsed.map((e) => ({ ...e, body: Uint8Array.from(e.body) }))
          }),
        set: (key, entries) =>
          Effect.sync(() => {
            text.set(key, JSON.stringify(entries.map((e) => ({ ...e, body: [...e.body] }))))
          }),
        delete: (key) => Effect.sync(() => text.delete(key)),
      }
      const routes: ReadonlyArray<MockTransport.Route> = [
        { path: "/r", reply: { status: 200, headers: { "Cache-Control": "max-age=60", Vary: "Accept" }, text: "ok" } },
      ]
      yield* Effect.gen(function* () {
        yield* get("https://api.test/r", { Accept: "text/plain" })
        expect(JSON.parse(text.get("https://api.test/r") ?? "[]")[0].vary).toEqual([["accept", "text/plain"]])
        expect(yield* get("https://api.test/r", { Accept: "text/plain" })).toEqual({
          status: 200,
          cache: "hit",
          body: "ok",
        })
      }).pipe(Effect.provide(layerWith({ store: json }, routes)))
    }),
  )
})

describe("bodies", () => {
  const big = "x".repeat(2048)
  const routes: ReadonlyArray<MockTransport.Route> = [
    { path: "/big", reply: { status: 200, headers: { "Cache-Control": "max-age=60" }, chunks: [big, big] } },
    { path: "/small", reply: { status: 200, headers: { "Cache-Control": "max-age=60" }, chunks: ["ab", "cd"] } },
  ]

  it.effect("a body past maxEntryBytes is passed on whole and not kept, in memory or streamed", () =>
    Effect.gen(function* () {
      expect((yield* get("https://api.test/big")).body.length).toBe(4096)
      expect((yield* get("https://api.test/big")).cache).toBe("miss")
      const streamed = yield* Effect.scoped(
        Effect.flatMap(Client.execute(Request.get("https://api.test/big")), Response.text),
      )
      expect(streamed.length).toBe(4096)
      expect((yield* get("https://api.test/big")).cache).toBe("miss")
    }).pipe(Effect.provide(layerWith({ maxEntryBytes: 3000 }, routes))),
  )

  it.effect("a streamed body that is being kept still brings its trailers to the caller", () =>
    Effect.gen(function* () {
      const routes: ReadonlyArray<MockTransport.Route> = [
        {
          path: "/t",
          reply: {
            status: 200,
            headers: { "Cache-Control": "max-age=60" },
            chunks: ["ab"],
            trailers: { "X-Sum": "7" },
          },
        },
      ]
      const trailers = yield* Effect.scoped(
        Effect.flatMap(Client.execute(Request.get("https://api.test/t")), (r) =>
          Effect.andThen(Response.text(r), Response.trailers(r)),
        ),
      ).pipe(Effect.provide(layerWith({}, routes)))
      expect(Headers.get(trailers, "x-sum")).toEqual(Option.some("7"))
    }),
  )

  it.effect("a streamed body is kept once read to its end, and not when the caller stops before", () =>
    Effect.gen(function* () {
      // The caller closes its scope without reading the body.
      yield* Effect.scoped(Client.execute(Request.get("https://api.test/small")))
      expect((yield* get("https://api.test/small")).cache).toBe("miss")
      expect(yield* get("https://api.test/small")).toEqual({ status: 200, cache: "hit", body: "abcd" })
    }).pipe(Effect.provide(layerWith({}, routes))),
  )
})

describe("what the cache says", () => {
  it.effect("a traced call's span carries courier.cache.status", () =>
    Effect.gen(function* () {
      const { tracer, spans } = recording()
      const routes: ReadonlyArray<MockTransport.Route> = [
        { path: "/r", reply: { status: 200, headers: { "Cache-Control": "max-age=60" }, text: "ok" } },
      ]
      yield* Effect.gen(function* () {
        yield* get("https://api.test/r")
        yield* get("https://api.test/r")
      }).pipe(Effect.provide(layerWith({}, routes)), Effect.withTracer(tracer))
      const calls = spans.filter((s) => s.kind === "internal")
      expect(calls.map((s) => s.attributes.get("courier.cache.status"))).toEqual(["miss", "hit"])
      // A hit makes no CLIENT span: nothing went on the wire.
      expect(spans.filter((s) => s.kind === "client").length).toBe(1)
    }),
  )

  it.effect("Cache-Status comes after the members of caches nearer the origin, and a HEAD is passed on", () =>
    Effect.gen(function* () {
      const routes: ReadonlyArray<MockTransport.Route> = [
        {
          path: "/r",
          reply: { status: 200, headers: { "Cache-Control": "max-age=60", "Cache-Status": "CDN; hit" }, text: "ok" },
        },
      ]
      yield* Effect.gen(function* () {
        const first = yield* Client.fetch(Request.get("https://api.test/r"))
        expect(Response.getHeader(first, "cache-status")).toBe("CDN; hit, Courier; fwd=uri-miss")
        const second = yield* Client.fetch(Request.get("https://api.test/r"))
        expect(Response.getHeader(second, "cache-status")).toBe("Courier; hit; ttl=60")
        const head = yield* Client.fetch(Request.head("https://api.test/r"))
        expect(Cache.status(head)).toBe("miss")
      }).pipe(Effect.provide(layerWith({}, routes)))
    }),
  )
})
