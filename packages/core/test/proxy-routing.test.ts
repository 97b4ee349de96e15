import { Request, Url } from "@courier/core"
import { describe, expect, it } from "@effect/vitest"
import { refusal, router } from "../src/internal/engine/proxy.js"
import { getOrThrow } from "./results.js"

const origin = (u: string) => getOrThrow(Url.parse(u)).origin
const route = router({
  http: "http://user:pw@proxy.internal:3128",
  https: "proxy.internal:3129",
  noProxy: ["example.com", ".internal.net", "exact.io:8443", ""],
})

describe("proxy routing", () => {
  it.each([
    ["http://api.other.org/", "Forward"],
    ["https://api.other.org/", "Tunnel"],
    ["http://example.com/", "Direct"],
    ["http://sub.example.com/", "Direct"],
    ["http://notexample.com/", "Forward"],
    ["http://a.internal.net/", "Direct"],
    ["https://exact.io:8443/", "Direct"],
    ["https://exact.io/", "Tunnel"],
    ["http://localhost:8080/", "Direct"],
    ["http://127.0.0.5/", "Direct"],
    ["http://[::1]/", "Direct"],
  ])("%s goes %s", (url, expected) => {
    expect(route(origin(url))._tag).toBe(expected)
  })

  it("takes credentials from the proxy URL and accepts a bare host:port", () => {
    const forward = route(origin("http://x.org/"))
    expect(forward._tag === "Forward" && forward.proxy.authorization).toBe(`Basic ${btoa("user:pw")}`)
    const tunnel = route(origin("https://x.org/"))
    expect(tunnel._tag === "Tunnel" && tunnel.proxy.origin.port).toBe(3129)
  })

  it("'*' in NO_PROXY turns every proxy off; no proxy at all means direct", () => {
    expect(router({ http: "http://p:1", noProxy: ["*"] })(origin("http://x.org/"))._tag).toBe("Direct")
    expect(router(undefined)(origin("http://x.org/"))._tag).toBe("Direct")
    expect(router({ http: "http://p:1", proxyLoopback: true })(origin("http://127.0.0.1/"))._tag).toBe("Forward")
  })

  it.each([
    ["socks4://p:1080", "UnknownProtocol"],
    ["http://p:99999", "InvalidURL"],
    ["http://user:pa/ss@p:3128", "InvalidURL"],
    ["socks5://user:pa/ss@p:1080", "InvalidURL"],
    ["http://user:pa#ss@p:3128", "InvalidURL"],
    ["http://p:3128/path", "InvalidURL"],
  ])(
    "a proxy URL %s that cannot be used is an Invalid route (%s), never Direct, and hides its credentials",
    (proxy, tag) => {
      const r = router({ http: proxy, https: proxy })
      for (const url of ["http://x.org/", "https://x.org/"]) {
        const invalid = r(origin(url))
        expect(invalid._tag).toBe("Invalid")
        const error = invalid._tag === "Invalid" ? invalid.error({ method: "GET", url }) : undefined
        expect(error?._tag).toBe(tag)
        expect(error?.message).not.toMatch(/pa.ss/)
      }
      // Hosts the proxy would not carry anyway still go direct.
      expect(r(origin("http://localhost/"))._tag).toBe("Direct")
    },
  )

  it("a tunnelled request carrying its own Proxy-Authorization is refused; a forwarded one keeps it", () => {
    const request = Request.get("https://x.org/").pipe(Request.setHeader("Proxy-Authorization", "Basic eA=="))
    const info = Request.info(request)
    expect(refusal(route(origin("https://x.org/")), request, info)?._tag).toBe("InvalidHeader")
    expect(refusal(route(origin("http://x.org/")), request, info)).toBeUndefined()
    expect(refusal(route(origin("https://example.com/")), request, info)).toBeUndefined()
  })
})
