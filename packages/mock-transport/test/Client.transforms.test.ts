// The Client as a pipeable value: each general transform, user middleware, and the policies as transforms
// that can be placed and reordered, unit-tested over the mock transport (transforms run above it).
import { Client, ContentDecoding, Cookies, Headers, type HttpError, Request, Response, Retry } from "@courier/core"
import { MockTransport } from "@courier/mock-transport"
import { describe, expect, it } from "@effect/vitest"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import * as Stream from "effect/Stream"
import { fork, scoped, TestClock } from "../../core/test/edition.js"
import { recording } from "./recording.js"

const header = (req: MockTransport.MockRequest, name: string) => Option.getOrUndefined(Headers.get(req.headers, name))
const paths = Effect.map(MockTransport.calls, (calls) => calls.map((c) => c.request.path))
const ok = (text = "ok"): MockTransport.Reply => ({ status: 200, text })
const to = (location: string): MockTransport.Reply => ({ status: 302, headers: { Location: location } })
class Unsigned extends Data.TaggedError("Unsigned")<{ readonly url: string }> {}

/** A coding that upper-cases the body, so a test sees whether the response was decoded. */
const upper: ContentDecoding.Service = {
  codings: ["x-upper"],
  decode: (coding, body) =>
    coding === "x-upper"
      ? Stream.map(body, (chunk) => new TextEncoder().encode(new TextDecoder().decode(chunk).toUpperCase()))
      : undefined,
}

describe("general transforms", () => {
  it.effect(
    "the last transform applied sees the request first; mapRequest and tapRequest run before the transport",
    () =>
      Effect.gen(function* () {
        const seen: Array<string> = []
        const client = (yield* Client.makeBare).pipe(
          Client.tapRequest((r) =>
            Effect.sync(() => seen.push(`inner ${Headers.get(r.headers, "x-step").pipe(Option.getOrElse(() => "-"))}`)),
          ),
          Client.mapRequest(Request.setHeader("X-Step", "outer")),
          Client.tapRequest(() => Effect.sync(() => seen.push("outer"))),
        )
        yield* client.fetch(Request.get("http://api.test/a"))
        expect(seen).toEqual(["outer", "inner outer"])
        const [call] = yield* MockTransport.calls
        expect(call && header(call.request, "x-step")).toBe("outer")
      }).pipe(Effect.provide(MockTransport.layer([{ path: "/a", reply: ok() }]))),
  )

  it.effect("mapRequestEffect's failure fails the call with the user's own error, and nothing is sent", () =>
    Effect.gen(function* () {
      const client = (yield* Client.makeBare).pipe(
        Client.mapRequestEffect((r) =>
          r.url.includes("secret") ? Effect.fail(new Unsigned({ url: r.url })) : Effect.succeed(r),
        ),
      )
      const error = yield* Effect.flip(client.fetch(Request.get("http://api.test/secret")))
      expect(error._tag).toBe("Unsigned")
      expect(yield* MockTransport.calls).toEqual([])
    }).pipe(Effect.provide(MockTransport.layer([{ path: /.*/, reply: ok() }]))),
  )

  it.effect("mapResponse, mapResponseEffect and tapResponse see the response before the caller", () =>
    Effect.gen(function* () {
      const statuses: Array<number> = []
      const client = (yield* Client.makeBare).pipe(
        Client.mapResponse((r) => Response.withBody(r, new TextEncoder().encode("rewritten"))),
        Client.tapResponse((r) => Effect.sync(() => statuses.push(r.status))),
        Client.mapResponseEffect((r) =>
          Effect.map(Response.text(r), (t) => Response.withBody(r, new TextEncoder().encode(t.toUpperCase()))),
        ),
      )
      const r = yield* client.fetch(Request.get("http://api.test/a"))
      expect([yield* Response.text(r), statuses]).toEqual(["REWRITTEN", [201]])
    }).pipe(Effect.provide(MockTransport.layer([{ path: "/a", reply: { status: 201, text: "raw" } }]))),
  )

  it.effect("filterStatusOk fails a 404 with StatusError; filterStatus takes the caller's rule", () =>
    Effect.gen(function* () {
      const bare = yield* Client.makeBare
      const error = yield* Effect.flip(Client.filterStatusOk(bare).fetch(Request.get("http://api.test/missing")))
      expect(error._tag === "StatusError" && error.status).toBe(404)
      const lenient = bare.pipe(Client.filterStatus((s) => s < 500))
      expect((yield* lenient.fetch(Request.get("http://api.test/missing"))).status).toBe(404)
      expect((yield* Effect.flip(lenient.fetch(Request.get("http://api.test/broken"))))._tag).toBe("StatusError")
    }).pipe(
      Effect.provide(
        MockTransport.layer([
          { path: "/missing", reply: { status: 404 } },
          { path: "/broken", reply: { status: 500 } },
        ]),
      ),
    ),
  )

  it.effect("catchTag, catchTags and catchAll recover with a response of their own, by tag", () =>
    Effect.gen(function* () {
      const fallback = (request: HttpError.RequestInfo) =>
        Effect.succeed(
          Response.make({
            request,
            status: 299,
            reason: "Fallback",
            version: "HTTP/1.1",
            headers: Headers.empty,
            body: new Uint8Array(),
          }),
        )
      const strict = Client.filterStatusOk(yield* Client.makeBare)
      const byTag = strict.pipe(Client.catchTag("StatusError", (e) => fallback(e.request)))
      expect((yield* byTag.fetch(Request.get("http://api.test/missing"))).status).toBe(299)
      // The other tags still fail: a connection refused is not a StatusError.
      expect((yield* Effect.flip(byTag.fetch(Request.get("http://api.test/down"))))._tag).toBe("HTTPConnectionError")
      const byTags = strict.pipe(
        Client.catchTags({
          StatusError: (e) => fallback(e.request),
          HTTPConnectionError: () => Effect.fail(new Unsigned({ url: "mapped" })),
        }),
      )
      expect((yield* byTags.fetch(Request.get("http://api.test/missing"))).status).toBe(299)
      const mapped = yield* Effect.flip(byTags.fetch(Request.get("http://api.test/down")))
      expect(mapped._tag).toBe("Unsigned")
      const all = strict.pipe(Client.catchAll((e) => fallback(Request.info(Request.get(`http://api.test/${e._tag}`)))))
      expect((yield* all.fetch(Request.get("http://api.test/down"))).request.url).toBe(
        "http://api.test/HTTPConnectionError",
      )
    }).pipe(
      Effect.provide(
        MockTransport.layer([
          { path: "/missing", reply: { status: 404 } },
          { path: "/down", reply: MockTransport.fault.refused() },
        ]),
      ),
    ),
  )
})

describe("middleware", () => {
  it.effect("can answer from a cache without calling next: the second call never reaches the transport", () =>
    Effect.gen(function* () {
      const cache = new Map<string, Response.Response>()
      const cached = (yield* Client.makeBare).pipe(
        Client.middleware((request, next) => {
          const hit = cache.get(request.url)
          if (hit !== undefined) return Effect.succeed(hit)
          return Effect.tap(Effect.flatMap(next(request), Response.buffered), (r) =>
            Effect.sync(() => cache.set(request.url, r)),
          )
        }),
      )
      const a = yield* cached.fetch(Request.get("http://api.test/a"))
      const b = yield* cached.fetch(Request.get("http://api.test/a"))
      expect([yield* Response.text(a), yield* Response.text(b)]).toEqual(["once", "once"])
      expect(yield* paths).toEqual(["/a"])
    }).pipe(Effect.provide(MockTransport.layer([{ path: "/a", reply: ok("once") }]))),
  )

  it.effect("can call next again with another request (its own retry), and rewrite the response", () =>
    Effect.gen(function* () {
      const client = (yield* Client.makeBare).pipe(
        Client.middleware((request, next) =>
          Effect.flatMap(next(request), (r) =>
            r.status === 503 ? next(Request.setHeader(request, "X-Second", "yes")) : Effect.succeed(r),
          ),
        ),
      )
      const r = yield* client.fetch(Request.get("http://api.test/flaky"))
      expect([r.status, yield* Response.text(r)]).toEqual([200, "second"])
      const calls = yield* MockTransport.calls
      expect(calls.map((c) => header(c.request, "x-second"))).toEqual([undefined, "yes"])
    }).pipe(Effect.provide(MockTransport.layer([{ path: "/flaky", reply: [{ status: 503 }, ok("second")] }]))),
  )

  scoped("serves execute too: the response it passes on streams in the caller's scope", () =>
    Effect.gen(function* () {
      let measured = 0
      const client = (yield* Client.makeBare).pipe(
        Client.middleware((request, next) => Effect.tap(next(request), () => Effect.sync(() => measured++))),
      )
      const r = yield* client.execute(Request.get("http://api.test/chunks"))
      const chunks = yield* Stream.runCollect(Response.stream(r))
      expect([measured, chunks.length]).toEqual([1, 3])
    }).pipe(
      Effect.provide(MockTransport.layer([{ path: "/chunks", reply: { status: 200, chunks: ["a", "b", "c"] } }])),
    ),
  )
})

describe("policies as transforms", () => {
  it.effect("withBaseUrl, withHeaders and withAuth fill in what the request leaves out; the request's own win", () =>
    Effect.gen(function* () {
      const client = (yield* Client.makeBare).pipe(
        Client.withAuth({ bearer: "t0k" }),
        Client.withHeaders({ "X-Team": "blue", Accept: "text/plain" }),
        Client.withBaseUrl("http://api.test/v1/"),
      )
      yield* client.fetch(Request.get("items", { headers: { Accept: "application/json" } }))
      yield* client.fetch(Request.get("http://other.test/x").pipe(Request.basicAuth("u", "p")))
      const [first, second] = yield* MockTransport.calls
      expect(
        first && [
          first.request.url,
          header(first.request, "x-team"),
          header(first.request, "accept"),
          header(first.request, "authorization"),
        ],
      ).toEqual(["http://api.test/v1/items", "blue", "application/json", "Bearer t0k"])
      expect(second && header(second.request, "authorization")).toMatch(/^Basic /)
    }).pipe(Effect.provide(MockTransport.layer([{ path: /.*/, reply: ok() }]))),
  )

  it.effect("the options path is the standard composition: make(options) sends what the transforms send", () =>
    Effect.gen(function* () {
      const options = { baseUrl: "http://api.test/", headers: { "X-Team": "blue" }, auth: { bearer: "t" } } as const
      const made = yield* Client.make(options)
      const composed = (yield* Client.makeBare).pipe(
        Client.followRedirects(10),
        Client.withTracing(),
        Client.withAuth(options.auth),
        Client.withHeaders([
          ["User-Agent", Client.USER_AGENT],
          ["X-Team", "blue"],
        ]),
        Client.withBaseUrl(options.baseUrl),
      )
      yield* made.fetch(Request.post("start", { json: { a: 1 } }))
      yield* composed.fetch(Request.post("start", { json: { a: 1 } }))
      const [a, b, c, d] = yield* MockTransport.calls
      expect(a?.request.headers.entries).toEqual(c?.request.headers.entries)
      expect([a?.request.url, b?.request.url]).toEqual([c?.request.url, d?.request.url])
    }).pipe(
      Effect.provide(
        MockTransport.layer([
          { path: "/start", reply: to("/end") },
          { path: "/end", reply: ok() },
        ]),
      ),
    ),
  )

  it.effect("retry below followRedirects retries the hop that failed; above it, the whole chain again", () =>
    Effect.gen(function* () {
      const policy = Retry.make({ schedule: Schedule.recurs(2) })
      const bare = yield* Client.makeBare
      const perHop = bare.pipe(Client.retry(policy), Client.followRedirects(5))
      const whole = bare.pipe(Client.followRedirects(5), Client.retry(policy))
      expect((yield* perHop.fetch(Request.get("http://api.test/a"))).status).toBe(200)
      expect(yield* paths).toEqual(["/a", "/b", "/b"])
      expect((yield* whole.fetch(Request.get("http://api.test/c"))).status).toBe(200)
      expect((yield* paths).slice(3)).toEqual(["/c", "/d", "/c", "/d"])
    }).pipe(
      Effect.provide(
        MockTransport.layer([
          { path: "/a", reply: to("/b") },
          { path: "/b", reply: [{ status: 503 }, ok()] },
          { path: "/c", reply: to("/d") },
          { path: "/d", reply: [{ status: 503 }, ok()] },
        ]),
      ),
    ),
  )

  it.effect("a retry above followRedirects starts each run from the first hop: the redirect limit counts one run", () =>
    Effect.gen(function* () {
      const client = (yield* Client.makeBare).pipe(
        Client.followRedirects(1),
        Client.retry(Retry.make({ schedule: Schedule.recurs(3) })),
      )
      expect((yield* client.fetch(Request.get("http://api.test/a"))).status).toBe(200)
      expect(yield* paths).toEqual(["/a", "/b", "/a", "/b", "/a", "/b"])
    }).pipe(
      Effect.provide(
        MockTransport.layer([
          { path: "/a", reply: to("/b") },
          { path: "/b", reply: [{ status: 503 }, { status: 503 }, ok()] },
        ]),
      ),
    ),
  )

  it.effect("withCookies below followRedirects keeps each hop's cookies; above it, only the last response's", () =>
    Effect.gen(function* () {
      const bare = yield* Client.makeBare
      const below = Cookies.make()
      const above = Cookies.make()
      yield* bare.pipe(Client.withCookies(below), Client.followRedirects()).fetch(Request.get("http://api.test/login"))
      yield* bare.pipe(Client.followRedirects(), Client.withCookies(above)).fetch(Request.get("http://api.test/login"))
      const homes = (yield* MockTransport.calls).filter((c) => c.request.path === "/home")
      expect(homes.map((c) => header(c.request, "cookie"))).toEqual(["sid=1", undefined])
      expect((yield* Cookies.list(above)).map((c) => c.name)).toEqual([])
    }).pipe(
      Effect.provide(
        MockTransport.layer([
          { path: "/login", reply: { status: 302, headers: { Location: "/home", "Set-Cookie": "sid=1; Path=/" } } },
          { path: "/home", reply: ok() },
        ]),
      ),
    ),
  )

  it.effect("decompress asks for the service's codings and decodes the body, in memory for fetch", () =>
    Effect.gen(function* () {
      const client = (yield* Client.makeBare).pipe(Client.decompress({ decoding: upper }))
      const r = yield* client.fetch(Request.get("http://api.test/coded"))
      expect([r.body instanceof Uint8Array, yield* Response.text(r)]).toEqual([true, "SHOUT"])
      const [call] = yield* MockTransport.calls
      expect(call && header(call.request, "accept-encoding")).toBe("x-upper")
      const small = client.pipe(Client.decompress({ decoding: upper, maxDecodedBytes: 2 }))
      expect((yield* Effect.flip(small.fetch(Request.get("http://api.test/plain"))))._tag).toBe("BodyTooLarge")
    }).pipe(
      Effect.provide(
        MockTransport.layer([
          { path: "/coded", reply: { status: 200, headers: { "Content-Encoding": "x-upper" }, text: "shout" } },
          {
            path: "/plain",
            reply: { status: 200, headers: { "Content-Encoding": "x-upper, x-upper" }, text: "shout" },
          },
        ]),
      ),
    ),
  )

  it.effect("the standard client asks for its codings on every hop and decodes the response its redirects end at", () =>
    Effect.gen(function* () {
      const made = (options: Client.Options) =>
        Client.make(options).pipe(Effect.provideService(ContentDecoding.ContentDecoding, upper))
      const followed = yield* (yield* made({})).fetch(Request.get("http://api.test/moved"))
      expect([followed.status, yield* Response.text(followed)]).toEqual([200, "SHOUT"])
      const calls = yield* MockTransport.calls
      expect(calls.map((c) => [c.request.path, header(c.request, "accept-encoding")])).toEqual([
        ["/moved", "x-upper"],
        ["/coded", "x-upper"],
      ])
      // Without redirects, the 3xx is the final response and is decoded itself.
      const unfollowed = yield* (yield* made({ redirects: false })).fetch(Request.get("http://api.test/moved"))
      expect([unfollowed.status, yield* Response.text(unfollowed)]).toEqual([302, "GONE"])
      // The client's limit on decoded bytes holds after a redirect.
      const small = yield* made({ maxDecodedBytes: 2 })
      expect((yield* Effect.flip(small.fetch(Request.get("http://api.test/moved"))))._tag).toBe("BodyTooLarge")
    }).pipe(
      Effect.provide(
        MockTransport.layer([
          {
            path: "/moved",
            reply: { status: 302, headers: { Location: "/coded", "Content-Encoding": "x-upper" }, text: "gone" },
          },
          { path: "/coded", reply: { status: 200, headers: { "Content-Encoding": "x-upper" }, text: "shout" } },
        ]),
      ),
    ),
  )

  it.effect("withTimeouts' total covers the retries below it, on the TestClock", () =>
    Effect.gen(function* () {
      const client = (yield* Client.makeBare).pipe(
        Client.retry(Retry.make({ schedule: Schedule.spaced("2 seconds") })),
        Client.withTimeouts({ total: "5 seconds" }),
      )
      const fiber = yield* fork(Effect.flip(client.fetch(Request.get("http://api.test/down"))))
      yield* TestClock.adjust("5 seconds")
      const error = yield* Fiber.join(fiber)
      expect(error._tag === "Timeout" && [error.phase, error.millis]).toEqual(["total", 5000])
      expect((yield* paths).length).toBe(3)
    }).pipe(Effect.provide(MockTransport.layer([{ path: "/down", reply: { status: 503 } }]))),
  )

  scoped("a pinned client keeps the transforms it was built with", () =>
    Effect.gen(function* () {
      const client = (yield* Client.makeBare).pipe(Client.withHeaders({ "X-Kept": "1" }))
      const one = yield* client.pinned("http://api.test/")
      yield* one.fetch(Request.get("http://api.test/a"))
      yield* one.fetch(Request.get("http://api.test/a"))
      const calls = yield* MockTransport.calls
      expect(calls.map((c) => header(c.request, "x-kept"))).toEqual(["1", "1"])
      expect(calls.map((c) => c.connection?.id)).toEqual([calls[0]?.connection?.id, calls[0]?.connection?.id])
    }).pipe(Effect.provide(MockTransport.layer([{ path: "/a", reply: ok() }]))),
  )

  it.effect("layerTransform adds transforms to the Client a layer made, for the accessors too", () =>
    Effect.gen(function* () {
      yield* Client.get("http://api.test/a")
      const [call] = yield* MockTransport.calls
      expect(call && header(call.request, "x-app")).toBe("shop")
    }).pipe(
      Effect.provide(
        Client.layerTransform(Client.withHeaders({ "X-App": "shop" })).pipe(
          Layer.provide(Client.layer()),
          Layer.provideMerge(MockTransport.layer([{ path: "/a", reply: ok() }])),
        ),
      ),
    ),
  )

  it.effect(
    "withTracing makes a call span over one CLIENT span per hop below it; propagate: false sends no traceparent",
    () =>
      Effect.gen(function* () {
        const { tracer, spans } = recording()
        const bare = yield* Client.makeBare
        const traced = bare.pipe(Client.followRedirects(), Client.withTracing({ enabled: true, propagate: false }))
        yield* traced.fetch(Request.get("http://api.test/start")).pipe(Effect.withTracer(tracer))
        expect(spans.map((s) => `${s.kind} ${s.name}`)).toEqual(["internal GET", "client GET", "client GET"])
        const calls = yield* MockTransport.calls
        expect(calls.map((c) => header(c.request, "traceparent"))).toEqual([undefined, undefined])
        // "auto" (the default) makes no span under Effect's built-in tracer, and the bare client none at all.
        yield* bare.pipe(Client.withTracing()).fetch(Request.get("http://api.test/end"))
        yield* bare.fetch(Request.get("http://api.test/end")).pipe(Effect.withTracer(tracer))
        expect(spans.length).toBe(3)
      }).pipe(
        Effect.provide(
          MockTransport.layer([
            { path: "/start", reply: to("/end") },
            { path: "/end", reply: ok() },
          ]),
        ),
      ),
  )
})
