import { Url } from "@courier/core"
import { describe, expect, it } from "@effect/vitest"
import * as Either from "effect/Either"
import { router } from "../src/internal/engine/proxy.js"

const origin = (u: string) => Either.getOrThrow(Url.parse(u)).origin
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
})
