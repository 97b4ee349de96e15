// Proxies, against a real tinyproxy from Debian started on 127.0.0.1: forwarding for http, CONNECT
// tunnels for https, credentials, NO_PROXY, and the environment variables.

import * as fs from "node:fs"
import * as https from "node:https"
import type * as net from "node:net"
import { Client, Response } from "@courier/core"
import { callback } from "@courier/core/internal/edition"
import { NodeTransport } from "@courier/node-transport"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { scopedLive } from "../../core/test/edition.js"
import { available, TINYPROXY, tinyproxy } from "./external.js"
import { h2Server, http1OnlyServer, trust } from "./h2servers.js"
import { httpServer } from "./servers.js"

const target = httpServer((req, res) => {
  req.resume()
  req.on("end", () => {
    res.writeHead(200, { "Content-Type": "application/json" })
    res.end(
      JSON.stringify({
        url: req.url,
        via: req.headers.via ?? null,
        proxyAuth: req.headers["proxy-authorization"] ?? null,
      }),
    )
  })
})

const fixture = (n: string) => fs.readFileSync(new URL(`./fixtures/tls/${n}`, import.meta.url))
const secureTarget = Effect.acquireRelease(
  callback<https.Server>((resume) => {
    const s = https.createServer({ key: fixture("server.key"), cert: fixture("server.crt") }, (_q, r) =>
      r.end("secret page"),
    )
    s.listen(0, "127.0.0.1", () => resume(Effect.succeed(s)))
  }),
  (s) =>
    Effect.sync(() => {
      s.closeAllConnections()
      s.close()
    }),
).pipe(Effect.map((s) => (s.address() as net.AddressInfo).port))

interface Seen {
  readonly url: string
  readonly via: string | null
  readonly proxyAuth: string | null
}

describe.runIf(available("tinyproxy", [TINYPROXY]))("proxies (tinyproxy)", () => {
  scopedLive("http requests are forwarded through the proxy in absolute form", () =>
    Effect.gen(function* () {
      const proxy = yield* tinyproxy()
      const s = yield* target
      const client = NodeTransport.client({ proxy: { http: proxy.url, proxyLoopback: true } })
      const seen = (yield* Effect.flatMap(Client.get(`${s.url}/through?x=1`), Response.json).pipe(
        Effect.provide(client),
      )) as Seen
      expect(seen.url).toBe("/through?x=1")
      expect(seen.via).toMatch(/tinyproxy/)
      expect(proxy.log()).toContain(`GET ${s.url}/through?x=1`)
    }),
  )

  scopedLive("https requests go through a CONNECT tunnel, TLS end to end", () =>
    Effect.gen(function* () {
      const proxy = yield* tinyproxy()
      const port = yield* secureTarget
      const client = NodeTransport.client({
        proxy: { https: proxy.url, proxyLoopback: true },
        tls: { ca: fixture("ca.crt") },
      })
      const text = yield* Effect.flatMap(Client.get(`https://localhost:${port}/`), Response.text).pipe(
        Effect.provide(client),
      )
      expect(text).toBe("secret page")
      expect(proxy.log()).toContain(`CONNECT localhost:${port}`)
    }),
  )

  scopedLive("through a CONNECT tunnel, ALPN picks HTTP/2 where the origin offers it, HTTP/1.1 where not", () =>
    Effect.gen(function* () {
      const proxy = yield* tinyproxy()
      const client = NodeTransport.client({ proxy: { https: proxy.url, proxyLoopback: true }, ...trust })
      const both = yield* h2Server("h2 and http/1.1")
      const only1 = yield* http1OnlyServer
      const versions = yield* Effect.forEach([both.url, only1.url, only1.url], (url) =>
        Effect.flatMap(Client.get(`${url}/tunnelled`), (r) => Effect.as(Response.text(r), r.version)),
      ).pipe(Effect.provide(client))
      expect(versions).toEqual(["HTTP/2", "HTTP/1.1", "HTTP/1.1"])
      // The HTTP/1.1 origin's tunnel, opened to negotiate, carried its requests: one CONNECT each.
      const connects = (port: number) => proxy.log().split(`CONNECT localhost:${port}`).length - 1
      expect([connects(both.port), connects(only1.port)]).toEqual([1, 1])
    }),
  )

  scopedLive("credentials in the proxy URL answer its Basic challenge; without them the proxy's 407 is an error", () =>
    Effect.gen(function* () {
      const proxy = yield* tinyproxy({ user: "courier", password: "s3cret" })
      const s = yield* target
      const port = yield* secureTarget
      const authed = proxy.url.replace("http://", "http://courier:s3cret@")
      const withAuth = NodeTransport.client({
        proxy: { http: authed, https: authed, proxyLoopback: true },
        tls: { ca: fixture("ca.crt") },
      })
      const seen = (yield* Effect.flatMap(Client.get(`${s.url}/a`), Response.json).pipe(
        Effect.provide(withAuth),
      )) as Seen
      expect(seen.via).toMatch(/tinyproxy/)
      expect(
        yield* Effect.flatMap(Client.get(`https://localhost:${port}/`), Response.text).pipe(Effect.provide(withAuth)),
      ).toBe("secret page")
      const without = NodeTransport.client({
        proxy: { https: proxy.url, proxyLoopback: true },
        tls: { ca: fixture("ca.crt") },
      })
      const error = yield* Effect.flip(Client.get(`https://localhost:${port}/`).pipe(Effect.provide(without)))
      expect(error).toMatchObject({ _tag: "HTTPConnectionError", code: "PROXY_407" })
    }),
  )

  scopedLive("hosts in NO_PROXY, and loopback by default, are reached directly", () =>
    Effect.gen(function* () {
      const proxy = yield* tinyproxy()
      const s = yield* target
      const listed = NodeTransport.client({ proxy: { http: proxy.url, noProxy: ["127.0.0.1"], proxyLoopback: true } })
      const direct = (yield* Effect.flatMap(Client.get(`${s.url}/d`), Response.json).pipe(
        Effect.provide(listed),
      )) as Seen
      expect(direct.via).toBeNull()
      const loopback = NodeTransport.client({ proxy: { http: proxy.url } })
      const again = (yield* Effect.flatMap(Client.get(`${s.url}/l`), Response.json).pipe(
        Effect.provide(loopback),
      )) as Seen
      expect(again.via).toBeNull()
    }),
  )
})

describe("proxy settings from the environment", () => {
  it("reads lower-case variables first, then upper-case, and splits NO_PROXY", () => {
    expect(
      NodeTransport.proxyFromEnv({
        http_proxy: "http://a:1",
        HTTP_PROXY: "http://b:2",
        HTTPS_PROXY: "http://c:3",
        NO_PROXY: "x.com, .y.org  z",
      }),
    ).toEqual({ http: "http://a:1", https: "http://c:3", noProxy: ["x.com", ".y.org", "z"] })
    expect(NodeTransport.proxyFromEnv({})).toEqual({ http: undefined, https: undefined, noProxy: [] })
  })
})
