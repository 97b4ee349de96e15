import { Url } from "@courier/core"
import { describe, expect, it } from "@effect/vitest"
import { failureOf, getOrThrow, Result } from "./results.js"

describe("Url", () => {
  it("parses origin, target and Host, with default ports", () => {
    const url = getOrThrow(Url.parse("http://example.com/a/b?x=1#frag"))
    expect(url.origin).toEqual({
      scheme: "http",
      host: "example.com",
      port: Url.HTTP_PORT,
      key: "http://example.com:80",
    })
    expect(url.target).toBe("/a/b?x=1")
    expect(url.hostHeader).toBe("example.com")
    const tls = getOrThrow(Url.parse("https://example.com:8443"))
    expect(tls.origin.port).toBe(8443)
    expect(tls.hostHeader).toBe("example.com:8443")
    expect(tls.target).toBe("/")
    expect(getOrThrow(Url.parse("https://example.com")).origin.port).toBe(Url.HTTPS_PORT)
  })

  it("keeps IPv6 hosts without brackets for connecting and with them in Host", () => {
    const url = getOrThrow(Url.parse("http://[::1]:8080/"))
    expect(url.origin.host).toBe("::1")
    expect(url.hostHeader).toBe("[::1]:8080")
  })

  it("takes user info out of the URL", () => {
    const url = getOrThrow(Url.parse("http://ada:p%40ss@example.com/"))
    expect([url.username, url.password]).toEqual(["ada", "p@ss"])
    expect(url.href).toBe("http://example.com/")
  })

  it.each([
    ["not a url", "InvalidURL"],
    ["http://example.com:99999/", "InvalidURL"],
    ["http://example.com:port/", "InvalidURL"],
    ["ftp://example.com/", "UnknownProtocol"],
    ["file:///etc/passwd", "UnknownProtocol"],
  ])("rejects %s with %s", (input, tag) => {
    const result = Url.parse(input)
    expect(failureOf(result)?._tag).toBe(tag)
  })

  it.each([
    ["https://example.com/", "user/authenticate", "https://example.com/user/authenticate"],
    ["https://example.com/v1/", "user/1/live_event", "https://example.com/v1/user/1/live_event"],
    ["https://example.com/v1", "user", "https://example.com/user"],
    ["https://example.com/v1/x", "/root", "https://example.com/root"],
    ["https://example.com/v1/", "../up", "https://example.com/up"],
    ["https://example.com/", "http://other.org/z", "http://other.org/z"],
  ])("join(%s, %s) is %s, as urljoin", (base, ref, expected) => {
    expect(Url.join(base, ref)).toEqual(Result.succeed(expected))
  })

  it("encodes query pairs like Python's urlencode", () => {
    expect(
      Url.encodeQuery([
        ["name1", "value 1"],
        ["a&b", "c=d"],
      ]),
    ).toBe("name1=value+1&a%26b=c%3Dd")
    expect(Url.appendQuery("http://h/p?x=1#f", [["y", "2"]])).toBe("http://h/p?x=1&y=2")
    expect(Url.appendQuery("http://h/p", [])).toBe("http://h/p")
    expect(Url.paramsToPairs({ a: 1, b: [true, "x"] })).toEqual([
      ["a", "1"],
      ["b", "true"],
      ["b", "x"],
    ])
  })
})
