// Proxies that misbehave, and proxy settings Courier cannot use, over real sockets on 127.0.0.1: the reply
// to CONNECT is read by the codec under its head limits, an unusable proxy URL fails the request (it never
// goes directly to the origin), an https proxy gets TLS on every path, and a caller's Proxy-Authorization
// never reaches an origin through a tunnel. The tests run on TestClock, so no connect deadline ends a wait.
import * as https from "node:https"
import * as net from "node:net"
import * as tls from "node:tls"
import { Client, Request, Response } from "@courier/core"
import { NodeTransport } from "@courier/node-transport"
import { describe, expect } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { scoped } from "../../core/test/edition.js"
import { fixture, h2Server, trust } from "./h2servers.js"
import { httpServer, listen, listenDestroying, rawServer } from "./servers.js"

const ignore = () => undefined

/** Calls `answer` with the socket and the head of each request a client sends it. */
const onHead = (socket: net.Socket, answer: (head: string) => void) => {
  let seen = ""
  socket.on("error", ignore)
  const onData = (d: Buffer) => {
    seen += d.toString("latin1")
    const end = seen.indexOf("\r\n\r\n")
    if (end === -1) return
    socket.off("data", onData)
    answer(seen.slice(0, end))
  }
  socket.on("data", onData)
}

/** A proxy that answers every CONNECT with whatever `reply` writes. */
const hostileProxy = (reply: (socket: net.Socket) => void) => rawServer((socket) => onHead(socket, () => reply(socket)))

/** Writes `line` for as long as the peer reads: a head that never ends. */
const endless = (socket: net.Socket, line: string) => {
  const pump = () => {
    while (!socket.destroyed && socket.write(line));
    if (!socket.destroyed) socket.once("drain", pump)
  }
  pump()
}

/**
 * A working proxy, over TLS when `secure`: CONNECT opens a tunnel to the host and port it names (localhost
 * as 127.0.0.1), and a
 * forwarded request (absolute form) is answered by the proxy itself. `heads` lists what it was sent.
 */
const workingProxy = (secure: boolean) =>
  Effect.gen(function* () {
    const heads: Array<string> = []
    const serve = (socket: net.Socket) =>
      onHead(socket, (head) => {
        heads.push(head)
        const [method = "", target = ""] = head.split(" ")
        if (method !== "CONNECT") {
          const body = `forwarded ${target}`
          return socket.end(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`)
        }
        const host = target.slice(0, target.lastIndexOf(":")).replace(/^\[|\]$/g, "")
        const upstream = net.connect(Number(target.split(":").pop()), host === "localhost" ? "127.0.0.1" : host, () => {
          socket.write("HTTP/1.1 200 Connection established\r\n\r\n")
          socket.pipe(upstream).pipe(socket)
        })
        upstream.on("error", () => socket.destroy())
        socket.on("close", () => upstream.destroy())
      })
    const server = secure
      ? tls.createServer({ key: fixture("server.key"), cert: fixture("server.crt") }, serve)
      : net.createServer(serve)
    const port = yield* listenDestroying(server)
    return { url: `${secure ? "https://localhost" : "http://127.0.0.1"}:${port}`, heads }
  })

const through = (proxy: string, options: NodeTransport.Options = {}) =>
  NodeTransport.client({ ...trust, ...options, proxy: { http: proxy, https: proxy, proxyLoopback: true } })

describe("the reply to CONNECT is read by the codec, under its head limits", () => {
  scoped("a reply head that never ends stops at the head limit: HeaderOverflow, not the connect deadline", () =>
    Effect.gen(function* () {
      const proxy = yield* hostileProxy((socket) => {
        socket.write("HTTP/1.1 200 Connection established\r\n")
        endless(socket, `X-Filler: ${"a".repeat(1000)}\r\n`)
      })
      for (const httpVersion of ["1.1", "auto"] as const) {
        const error = yield* Effect.flip(
          Client.get("https://localhost:1/").pipe(Effect.provide(through(proxy.url, { httpVersion }))),
        )
        expect(error).toMatchObject({ _tag: "HeaderOverflow", max: 16 * 1024 })
        expect(error.message).toContain("the proxy's CONNECT reply")
      }
    }),
  )

  scoped("a reply with no line end at all (HTTP/2 frames) is a BadStatusLine as soon as it arrives", () =>
    Effect.gen(function* () {
      const settings = Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0])
      const proxy = yield* hostileProxy((socket) => socket.write(settings))
      const error = yield* Effect.flip(Client.get("https://localhost:1/").pipe(Effect.provide(through(proxy.url))))
      // The line shown ends at the first byte that cannot be in a status line: here the very first, a NUL.
      expect(error).toMatchObject({ _tag: "BadStatusLine", line: "\u0000" })
    }),
  )

  scoped("the decoder's limits set on the transport bound the reply too", () =>
    Effect.gen(function* () {
      const proxy = yield* hostileProxy((socket) => socket.write(`HTTP/1.1 200 OK\r\n${"X-A: 1\r\n".repeat(10)}\r\n`))
      const limited = through(proxy.url, { limits: { maxHeaderCount: 5 } })
      const error = yield* Effect.flip(Client.get("https://localhost:1/").pipe(Effect.provide(limited)))
      expect(error).toMatchObject({ _tag: "HeaderOverflow", max: 5 })
    }),
  )
})

describe("a proxy URL Courier cannot use fails the request and never goes direct", () => {
  const unusable = [
    ["socks4://127.0.0.1:1080", "UnknownProtocol"],
    ["http://127.0.0.1:99999", "InvalidURL"],
    ["http://user:pa/ss@127.0.0.1:3128", "InvalidURL"],
  ] as const
  scoped.each(unusable)("%s is %s, for http and https origins alike", ([proxy, tag]) =>
    Effect.gen(function* () {
      const plain = yield* httpServer((_req, res) => res.end("direct"))
      const secure = yield* h2Server("h2 and http/1.1")
      for (const httpVersion of ["auto", "1.1"] as const) {
        for (const url of [plain.url, secure.url]) {
          const error = yield* Effect.flip(Client.get(url).pipe(Effect.provide(through(proxy, { httpVersion }))))
          expect(error._tag).toBe(tag)
          expect(error.message).not.toContain("pa/ss")
        }
      }
      expect([plain.connections(), secure.connections()]).toEqual([0, 0])
    }),
  )
})

describe("an https proxy gets TLS on every path, with its own trust", () => {
  scoped("a CONNECT tunnel to an https proxy is TLS to the proxy and TLS inside, over HTTP/1.1 and HTTP/2", () =>
    Effect.gen(function* () {
      const proxy = yield* workingProxy(true)
      const origin = yield* h2Server("h2 and http/1.1")
      for (const httpVersion of ["1.1", "auto"] as const) {
        const client = through(proxy.url, { httpVersion, proxyTls: { ca: fixture("ca.crt") } })
        const r = yield* Client.get(`${origin.url}/tunnelled`).pipe(Effect.provide(client))
        expect(r.version).toBe(httpVersion === "1.1" ? "HTTP/1.1" : "HTTP/2")
      }
      expect(proxy.heads.map((h) => h.split("\r\n")[0])).toEqual([
        `CONNECT localhost:${origin.port} HTTP/1.1`,
        `CONNECT localhost:${origin.port} HTTP/1.1`,
      ])
    }),
  )

  scoped("through a tunnel, an IP-literal origin's certificate is checked against that IP, not a default name", () =>
    Effect.gen(function* () {
      const proxy = yield* workingProxy(false)
      // The test certificate names localhost and 127.0.0.1: 127.0.0.2 is in neither.
      const origin = https.createServer({ key: fixture("server.key"), cert: fixture("server.crt") }, (_q, r) => r.end())
      const port = yield* listen(origin, "127.0.0.2")
      yield* Effect.addFinalizer(() => Effect.sync(() => origin.closeAllConnections()))
      const error = yield* Effect.flip(
        Client.get(`https://127.0.0.2:${port}/`).pipe(Effect.provide(through(proxy.url, { httpVersion: "1.1" }))),
      )
      expect(error).toMatchObject({ _tag: "HTTPConnectionError", code: "ERR_TLS_CERT_ALTNAME_INVALID" })
    }),
  )

  scoped("a request forwarded to an https proxy goes over TLS, trusted by proxyTls", () =>
    Effect.gen(function* () {
      const proxy = yield* workingProxy(true)
      const client = through(proxy.url, { proxyTls: { ca: fixture("ca.crt") } })
      const text = yield* Effect.flatMap(Client.get("http://127.0.0.1:9/page"), Response.text).pipe(
        Effect.provide(client),
      )
      expect(text).toBe("forwarded http://127.0.0.1:9/page")
      // Without the proxy's CA the TLS handshake to it fails: it is verified like any server.
      const untrusted = yield* Effect.flip(
        Client.get("http://127.0.0.1:9/page").pipe(Effect.provide(through(proxy.url))),
      )
      expect(untrusted).toMatchObject({ _tag: "HTTPConnectionError", code: "UNABLE_TO_VERIFY_LEAF_SIGNATURE" })
    }),
  )
})

describe("Proxy-Authorization belongs to the proxy alone", () => {
  scoped("a tunnelled request that carries its own is refused before any connection, over either protocol", () =>
    Effect.gen(function* () {
      const proxy = yield* workingProxy(false)
      const origin = yield* h2Server("h2 and http/1.1")
      const request = Request.get(`${origin.url}/`).pipe(Request.setHeader("Proxy-Authorization", "Basic c2VjcmV0"))
      for (const httpVersion of ["1.1", "auto"] as const) {
        const error = yield* Effect.flip(
          Client.fetch(request).pipe(Effect.provide(through(proxy.url, { httpVersion }))),
        )
        expect(error).toMatchObject({ _tag: "InvalidHeader", name: "Proxy-Authorization" })
      }
      expect(proxy.heads).toEqual([])
      expect(origin.connections()).toBe(0)
    }),
  )
})
