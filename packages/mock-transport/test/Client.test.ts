// The interpreter (core Client) unit-tested over the mock transport, as users test their own code.
// It lives here because core cannot depend on mock-transport without a cycle.
import { Client, Headers, HttpError, Request, Response, VERSION } from "@courier/core"
import { MockTransport } from "@courier/mock-transport"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import pkg from "../../core/package.json" with { type: "json" }

const echo = MockTransport.layer([
  {
    path: "/echo",
    reply: (req) =>
      Effect.succeed({
        status: 200,
        json: { method: req.method, url: req.url, headers: req.headers.entries, body: req.text },
      }),
  },
])

const withClient = (options: Client.Options = {}) => Client.layer(options).pipe(Layer.provideMerge(echo))
const withClientAllowingUnmatched = Client.layer().pipe(
  Layer.provideMerge(MockTransport.layer([{ path: "/echo", reply: { status: 200 } }], { allowUnmatched: true })),
)

interface Echo {
  readonly method: string
  readonly url: string
  readonly headers: ReadonlyArray<readonly [string, string]>
  readonly body: string
}
const echoed = (r: Response.Response) => Effect.map(Response.json(r), (j) => j as Echo)
const header = (e: Echo, name: string) => Headers.get(Headers.fromInput(e.headers), name)

describe("Client", () => {
  it.effect("resolves relative URLs against the base URL and appends params", () =>
    Effect.gen(function* () {
      const e = yield* Client.get("echo", { params: { a: "1 2", b: ["x", "y"] } }).pipe(Effect.flatMap(echoed))
      expect(e.url).toBe("http://api.test/echo?a=1+2&b=x&b=y")
    }).pipe(Effect.provide(withClient({ baseUrl: "http://api.test/" }))),
  )

  it.effect("sends a User-Agent naming Courier and its version, and default headers; the request wins", () =>
    Effect.gen(function* () {
      const e = yield* Client.get("http://api.test/echo", { headers: { "X-Team": "mine" } }).pipe(
        Effect.flatMap(echoed),
      )
      expect(header(e, "user-agent")).toEqual(Option.some(`courier/${VERSION}`))
      expect(header(e, "x-team")).toEqual(Option.some("mine"))
      expect(header(e, "x-default")).toEqual(Option.some("d"))
    }).pipe(Effect.provide(withClient({ headers: { "X-Team": "default", "X-Default": "d" } }))),
  )

  it.effect("the user agent can be replaced or left out", () =>
    Effect.gen(function* () {
      const e = yield* Client.get("http://api.test/echo").pipe(Effect.flatMap(echoed))
      expect(header(e, "user-agent")).toEqual(Option.none())
    }).pipe(Effect.provide(withClient({ userAgent: false }))),
  )

  it.effect("the one-call functions send their method and body; data wins over json", () =>
    Effect.gen(function* () {
      const url = "http://api.test/echo"
      const form = yield* Client.post(url, { data: { name1: "value1", name2: "value2" }, json: { no: 1 } }).pipe(
        Effect.flatMap(echoed),
      )
      expect(form.body).toBe("name1=value1&name2=value2")
      const json = yield* Client.put(url, { json: { yes: 1 } }).pipe(Effect.flatMap(echoed))
      expect(json.body).toBe('{"yes":1}')
      const calls = yield* MockTransport.calls
      expect(calls.map((c) => c.request.method)).toEqual(["POST", "PUT"])
      for (const [call, method] of [
        [Client.patch(url, { data: { a: "1" } }), "PATCH"],
        [Client.del(url), "DELETE"],
        [Client.head(url), "HEAD"],
        [Client.options(url), "OPTIONS"],
        [Client.get(url), "GET"],
      ] as const) {
        yield* call
        expect((yield* MockTransport.calls).at(-1)?.request.method).toBe(method)
      }
    }).pipe(Effect.provide(withClient())),
  )

  it.effect("URL user info becomes Basic credentials", () =>
    Effect.gen(function* () {
      const e = yield* Client.get("http://ada:pw@api.test/echo").pipe(Effect.flatMap(echoed))
      expect(header(e, "authorization")).toEqual(Option.some(`Basic ${btoa("ada:pw")}`))
      expect(e.url).toBe("http://api.test/echo")
    }).pipe(Effect.provide(withClient())),
  )

  it.effect("a bad URL is a typed error naming the request, not a throw", () =>
    Effect.gen(function* () {
      const invalid = yield* Effect.flip(Client.get("http://bad host/"))
      expect(invalid).toBeInstanceOf(HttpError.InvalidURL)
      expect(invalid.message).toContain("GET http://bad host/")
      const unknown = yield* Effect.flip(Client.fetch(Request.get("gopher://h/")))
      expect(unknown._tag).toBe("UnknownProtocol")
    }).pipe(Effect.provide(withClient())),
  )

  it.effect("an unmatched request lists why each route missed", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(Client.get("http://api.test/nowhere"))
      expect(error._tag).toBe("UnmatchedRequest")
      expect(error.message).toContain("* /echo: path /nowhere does not match /echo")
    }).pipe(Effect.provide(withClientAllowingUnmatched)),
  )

  it("VERSION matches package.json", () => {
    expect(VERSION).toBe(pkg.version)
  })
})

describe("HttpError", () => {
  it("every message names the method and URL, and isTransient picks retryable errors", () => {
    const request = { method: "POST", url: "http://h/p" }
    const errors = [
      new HttpError.HTTPConnectionError({ request, host: "h", port: 80, code: "ECONNREFUSED", reason: "refused" }),
      new HttpError.IOError({ request, code: "ECONNRESET", reason: "reset" }),
      new HttpError.BadStatusLine({ request, line: "garbage" }),
      new HttpError.IncompleteRead({ request, received: 3, expected: 10 }),
      new HttpError.HeaderOverflow({ request, limit: "header count", max: 100 }),
      new HttpError.InvalidHeader({ request, name: "X", reason: "value contains CR or LF" }),
      new HttpError.Timeout({ request, phase: "head", millis: 10 }),
    ]
    for (const e of errors) expect(e.message).toContain("POST http://h/p")
    expect(errors.map(HttpError.isTransient)).toEqual([true, true, false, false, false, false, true])
    expect(HttpError.isHttpError(errors[0])).toBe(true)
    expect(HttpError.isHttpError(new Error("x"))).toBe(false)
    // A brand, not a tag: an object that only looks like one is not a Courier error.
    expect(HttpError.isHttpError({ _tag: "Timeout", phase: "head", millis: 1 })).toBe(false)
    expect(errors.every(HttpError.isHttpError)).toBe(true)
    expect(errors[3]?.message).toBe("Incomplete read (3 bytes of 10): POST http://h/p")
  })
})
