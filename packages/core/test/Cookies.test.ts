// RFC 6265bis rules for what a jar keeps: secure prefixes and Secure cookies from insecure origins.
import { Cookies } from "@courier/core"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"

const sentTo = (setCookie: string, from: string, to = "https://example.com/") =>
  Effect.gen(function* () {
    const jar = Cookies.make()
    yield* Cookies.setFromResponse(jar, from, [setCookie])
    return yield* Cookies.header(jar, to)
  })

describe("Cookies: RFC 6265bis prefixes and Secure", () => {
  const cases: ReadonlyArray<{
    readonly rule: string
    readonly setCookie: string
    readonly from: string
    readonly kept: boolean
  }> = [
    { rule: "a Secure cookie from https is kept", setCookie: "a=1; Secure", from: "https://example.com/", kept: true },
    {
      rule: "a Secure cookie from plain http is ignored",
      setCookie: "a=1; Secure",
      from: "http://example.com/",
      kept: false,
    },
    {
      rule: "__Secure- with Secure from https is kept",
      setCookie: "__Secure-a=1; Secure",
      from: "https://example.com/",
      kept: true,
    },
    {
      rule: "__Secure- without Secure is ignored, even from https",
      setCookie: "__Secure-a=1",
      from: "https://example.com/",
      kept: false,
    },
    {
      rule: "__Secure- with Secure from plain http is ignored",
      setCookie: "__Secure-a=1; Secure",
      from: "http://example.com/",
      kept: false,
    },
    {
      rule: "__Secure- without Secure from plain http is ignored",
      setCookie: "__Secure-a=1",
      from: "http://example.com/",
      kept: false,
    },
    {
      rule: "__Host- with Secure, Path=/ and no Domain from https is kept",
      setCookie: "__Host-a=1; Secure; Path=/",
      from: "https://example.com/",
      kept: true,
    },
    {
      rule: "__Host- with a Domain is ignored",
      setCookie: "__Host-a=1; Secure; Path=/; Domain=example.com",
      from: "https://example.com/",
      kept: false,
    },
    {
      rule: "__Host- with a Path other than / is ignored",
      setCookie: "__Host-a=1; Secure; Path=/app",
      from: "https://example.com/app/x",
      kept: false,
    },
    {
      rule: "__Host- without Secure is ignored",
      setCookie: "__Host-a=1; Path=/",
      from: "https://example.com/",
      kept: false,
    },
    {
      rule: "__Host- from plain http is ignored",
      setCookie: "__Host-a=1; Secure; Path=/",
      from: "http://example.com/",
      kept: false,
    },
    {
      rule: "prefixes match without regard to case: __SECURE- from plain http is ignored",
      setCookie: "__SECURE-a=1",
      from: "http://example.com/",
      kept: false,
    },
    {
      rule: "a Secure cookie from a loopback host is kept (a potentially trustworthy origin)",
      setCookie: "a=1; Secure",
      from: "http://127.0.0.1/",
      kept: true,
    },
    { rule: "a plain cookie from plain http is kept", setCookie: "a=1", from: "http://example.com/", kept: true },
  ]
  for (const c of cases) {
    it.effect(c.rule, () =>
      Effect.gen(function* () {
        // Asked for by the https site on the same host: what a cookie planted over http could reach.
        const header = yield* sentTo(c.setCookie, c.from, c.from.replace(/^http:/, "https:"))
        expect(header).toBe(c.kept ? c.setCookie.split(";")[0] : undefined)
      }),
    )
  }

  it.effect("a cookie planted over plain http is never sent to the https site", () =>
    Effect.gen(function* () {
      const jar = Cookies.make()
      yield* Cookies.setFromResponse(jar, "http://example.com/", [
        "session=evil; Secure",
        "__Secure-session=evil; Secure",
        "__Host-session=evil; Secure; Path=/",
      ])
      expect(yield* Cookies.header(jar, "https://example.com/")).toBeUndefined()
    }),
  )

  it.effect("Cookies.set refuses a Secure cookie for a plain-http URL with a reason", () =>
    Effect.gen(function* () {
      const jar = Cookies.make()
      const error = yield* Effect.flip(Cookies.set(jar, "http://example.com/", "a=1; Secure"))
      expect([error._tag, error.name, error.url]).toEqual(["CookieError", "a", "http://example.com/"])
      expect(error.reason).toContain("secure origin")
      const prefixed = yield* Effect.flip(Cookies.set(jar, "https://example.com/", "__Host-a=1; Secure; Path=/x"))
      expect(prefixed.reason).toContain("__Host")
      expect(prefixed.message).not.toContain("a=1")
    }),
  )
})
