import { Body, Headers, Request, Url } from "@courier/core"
import { describe, expect, it } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Equal from "effect/Equal"
import * as Hash from "effect/Hash"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import type { DurationInput } from "../src/internal/shared/edition.js"
import { failureOf, getOrThrow, Result } from "./results.js"

describe("Request", () => {
  it("constructors set the method and read the options", () => {
    const r = Request.post("http://h/p", { params: { q: "1" }, headers: { A: "b" }, json: { x: 1 } })
    expect(r.method).toBe("POST")
    expect(r.params).toEqual([["q", "1"]])
    expect(Headers.get(r.headers, "a")).toEqual(Option.some("b"))
    expect(r.body).toEqual(Body.json({ x: 1 }))
    expect(Request.del("http://h").method).toBe("DELETE")
    expect(Request.options("http://h").method).toBe("OPTIONS")
    expect(Request.head("http://h").method).toBe("HEAD")
  })

  it("data wins over json when both are given, as in Zerynth's requests", () => {
    const r = Request.post("http://h/p", { data: { a: "1" }, json: { ignored: true } })
    expect(r.body).toEqual(Body.form({ a: "1" }))
  })

  it("combinators are dual and leave the original untouched", () => {
    const base = Request.get("http://h/")
    const a = Request.setHeader(base, "X", "1")
    const b = base.pipe(Request.setHeader("X", "1"))
    expect(Equal.equals(a, b)).toBe(true)
    expect(Headers.has(base.headers, "X")).toBe(false)
    expect(base.pipe(Request.bodyText("hi"), Request.setMethod("put")).method).toBe("PUT")
  })

  it("compares and hashes by value", () => {
    const a = Request.get("http://h/", { headers: { A: "1" } })
    const b = Request.get("http://h/", { headers: { a: "1" } })
    expect(Equal.equals(a, b)).toBe(true)
    expect(Hash.hash(a)).toBe(Hash.hash(b))
    expect(Equal.equals(a, Request.get("http://h/other"))).toBe(false)
  })

  it("compares JSON bodies as data: a BigInt or a cycle does not throw, and equal values are equal", () => {
    const cyclic: Record<string, unknown> = { a: 1 }
    cyclic.self = cyclic
    const withBig = (n: bigint) => Request.post("http://h/", { json: { n, at: new Date(0), skip: undefined } })
    expect(Equal.equals(withBig(1n), withBig(1n))).toBe(true)
    expect(Equal.equals(withBig(1n), withBig(2n))).toBe(false)
    expect(Equal.equals(Request.post("http://h/", { json: cyclic }), Request.post("http://h/", { json: cyclic }))).toBe(
      true,
    )
    expect(
      Equal.equals(Request.post("http://h/", { json: { a: [1] } }), Request.post("http://h/", { json: { a: [2] } })),
    ).toBe(false)
    expect(
      Equal.equals(
        Request.post("http://h/", { json: { d: new Date(0) } }),
        Request.post("http://h/", { json: { d: new Date(1) } }),
      ),
    ).toBe(false)
  })

  it("compares deadlines by their length, however each was written", () => {
    const timed = (connect: DurationInput) => Request.get("http://h/").pipe(Request.setTimeouts({ connect }))
    expect(Equal.equals(timed(Duration.seconds(5)), timed(Duration.seconds(5)))).toBe(true)
    expect(Equal.equals(timed("5 seconds"), timed(5000))).toBe(true)
    expect(Equal.equals(timed("5 seconds"), timed("6 seconds"))).toBe(false)
  })

  it.each([
    ["https://u:p@api.test/v1?q=1&api_key=abc", undefined, "https://<redacted>@api.test/v1?q=1&api_key=<redacted>"],
    ["https://api.test/?Access_Token=t&x=1#f", undefined, "https://api.test/?Access_Token=<redacted>&x=1#f"],
    ["https://api.test/?api%5Fkey=abc&flag", undefined, "https://api.test/?api%5Fkey=<redacted>&flag"],
    ["https://api.test/?q=token", undefined, "https://api.test/?q=token"],
    ["https://api.test/?mine=1&token=2", ["MINE"], "https://api.test/?mine=<redacted>&token=2"],
  ] as const)("redactUrl(%s, %j) hides user info and the named query values", (url, names, expected) => {
    expect(Request.redactUrl(url, names)).toBe(expected)
  })

  it("urlAsSent joins the base URL, appends the params, and drops user info and the fragment", () => {
    const relative = Request.get("users#top", { params: { page: 2 } })
    expect(Request.urlAsSent(relative, { baseUrl: "https://api.test/v1/" })).toEqual(
      Result.succeed("https://api.test/v1/users?page=2"),
    )
    expect(Request.urlAsSent(Request.get("https://u:p@x.test/a?b=1#c", { params: [["c", "d e"]] }))).toEqual(
      Result.succeed("https://x.test/a?b=1&c=d+e"),
    )
    expect(failureOf(Request.urlAsSent(relative))?._tag).toEqual("InvalidURL")
  })

  it("basicAuth and bearerToken accept Redacted secrets", () => {
    const r = Request.get("http://h/").pipe(Request.basicAuth("user", Redacted.make("pass")))
    expect(Headers.get(r.headers, "authorization")).toEqual(Option.some(`Basic ${btoa("user:pass")}`))
    const t = Request.get("http://h/").pipe(Request.bearerToken("abc"))
    expect(Headers.get(t.headers, "authorization")).toEqual(Option.some("Bearer abc"))
  })

  it("toJSON and toString hide credentials in headers and URL", () => {
    const r = Request.get("http://ada:secret@h/p").pipe(Request.basicAuth("u", "p"))
    const json = JSON.stringify(r)
    expect(json).not.toContain("secret")
    expect(json).not.toContain(btoa("u:p"))
    expect(json).toContain("<redacted>")
    expect(String(r)).not.toContain("secret")
  })

  it("params accumulate and setParam replaces", () => {
    const r = Request.get("http://h/").pipe(Request.appendParams({ a: "1" }), Request.appendParams([["a", "2"]]))
    expect(r.params).toEqual([
      ["a", "1"],
      ["a", "2"],
    ])
    expect(Request.setParam(r, "a", "3").params).toEqual([["a", "3"]])
  })

  it.each([
    ["GET", true],
    ["HEAD", true],
    ["OPTIONS", true],
    ["TRACE", true],
    ["PUT", true],
    ["DELETE", true],
    ["POST", false],
    ["PATCH", false],
    ["CONNECT", false],
  ] as const)("says whether %s is idempotent (%s)", (method, expected) => {
    expect(Request.isIdempotent(Request.make(method, "http://h/"))).toBe(expected)
  })
})

describe("Request.outgoing: what any protocol sends, before its framing", () => {
  it("keeps the request's own fields, adds the implied Content-Type, and leaves framing to the transport", () => {
    const post = Request.post("http://a.test/", { json: { a: 1 }, headers: { "X-A": "1", Expect: "100-continue" } })
    const o = getOrThrow(Request.outgoing(post))
    expect(o.fields).toEqual([
      ["X-A", "1"],
      ["Content-Type", "application/json"],
    ])
    expect([o.length, o.contentLength, o.expect, o.close]).toEqual([7, 7, true, false])
    expect(getOrThrow(Request.wireHeaders(post, getOrThrow(Url.parse("http://a.test/")))).entries).toEqual([
      ["Host", "a.test"],
      ["X-A", "1"],
      ["Content-Type", "application/json"],
      ["Content-Length", "7"],
      ["Expect", "100-continue"],
    ])
  })

  it("announces no length for an empty body of a method that anticipates none, and 0 for one that does", () => {
    const announced = (r: Request.Request) => getOrThrow(Request.outgoing(r)).contentLength
    expect([announced(Request.get("http://a.test/")), announced(Request.post("http://a.test/"))]).toEqual([
      undefined,
      0,
    ])
  })

  it("refuses framing of the caller's own and a Content-Length that disagrees with the body", () => {
    const refused = (headers: Record<string, string>) =>
      failureOf(Request.outgoing(Request.post("http://a.test/", { body: Body.text("abc"), headers })))
    expect(refused({ "Transfer-Encoding": "chunked" })?._tag).toBe("InvalidHeader")
    expect(refused({ "Content-Length": "5" })?._tag).toBe("InvalidHeader")
    expect(refused({ "Content-Length": "3" })).toBeUndefined()
  })
})
