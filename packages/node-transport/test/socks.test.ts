// SOCKS5 proxies (RFC 1928, credentials per RFC 1929) against a SOCKS5 server written here, on 127.0.0.1:
// socks5h sends the name for the proxy to resolve and socks5 the address resolved here, https origins get
// TLS and HTTP/2 through the tunnel, and every refusal is a typed HTTPConnectionError naming the proxy.
import * as net from "node:net"
import { Client, Response } from "@courier/core"
import { NodeTransport } from "@courier/node-transport"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { scoped } from "../../core/test/edition.js"
import { h2Server, trust } from "./h2servers.js"
import { httpServer, listen } from "./servers.js"

/** Reads exactly `n` bytes as they come, from one socket's data events. */
const reader = (socket: net.Socket) => {
  let held = Buffer.alloc(0)
  let waiting: { readonly n: number; readonly resolve: (b: Buffer) => void } | undefined
  const serve = () => {
    if (waiting === undefined || held.length < waiting.n) return
    const { n, resolve } = waiting
    waiting = undefined
    const out = held.subarray(0, n)
    held = held.subarray(n)
    resolve(out)
  }
  socket.on("data", (d: Buffer) => {
    held = Buffer.concat([held, d])
    serve()
  })
  return {
    read: (n: number) =>
      new Promise<Buffer>((resolve) => {
        waiting = { n, resolve }
        serve()
      }),
    /** What arrived and was not read: the first bytes the client sent through the tunnel. */
    rest: () => held,
  }
}

interface Behaviour {
  /** Require these credentials (method 0x02). */
  readonly credentials?: { readonly username: string; readonly password: string }
  /** Answer CONNECT with this reply code instead of succeeding. */
  readonly reply?: number
  /** Answer the greeting with these bytes instead of SOCKS. */
  readonly raw?: Buffer
}

/** A SOCKS5 server: it records each CONNECT's address (`name:port` or `ip:port`) and opens the tunnel on loopback. */
const socksServer = (behaviour: Behaviour = {}) =>
  Effect.gen(function* () {
    const targets: Array<string> = []
    const sockets = new Set<net.Socket>()
    const server = net.createServer(async (socket) => {
      sockets.add(socket)
      socket.on("close", () => sockets.delete(socket))
      socket.on("error", () => undefined)
      const r = reader(socket)
      const [, count = 0] = await r.read(2)
      const methods = [...(await r.read(count))]
      if (behaviour.raw !== undefined) return void socket.end(behaviour.raw)
      const creds = behaviour.credentials
      if (creds === undefined) socket.write(Buffer.from([5, 0]))
      else if (!methods.includes(2)) return void socket.end(Buffer.from([5, 0xff]))
      else {
        socket.write(Buffer.from([5, 2]))
        const [, userLength = 0] = await r.read(2)
        const user = (await r.read(userLength)).toString()
        const [passwordLength = 0] = await r.read(1)
        const password = (await r.read(passwordLength)).toString()
        const ok = user === creds.username && password === creds.password
        socket.write(Buffer.from([1, ok ? 0 : 1]))
        if (!ok) return void socket.end()
      }
      const [, , , type] = await r.read(4)
      let host: string
      if (type === 1) host = [...(await r.read(4))].join(".")
      else if (type === 4) host = (await r.read(16)).toString("hex").match(/.{4}/g)?.join(":") ?? ""
      else host = (await r.read((await r.read(1))[0] ?? 0)).toString()
      const port = (await r.read(2)).readUInt16BE(0)
      targets.push(`${host}:${port}`)
      if (behaviour.reply !== undefined)
        return void socket.end(Buffer.from([5, behaviour.reply, 0, 1, 0, 0, 0, 0, 0, 0]))
      const upstream = net.connect(port, "127.0.0.1", () => {
        socket.write(Buffer.from([5, 0, 0, 1, 127, 0, 0, 1, 0, 0]))
        upstream.write(r.rest())
        socket.removeAllListeners("data")
        socket.pipe(upstream).pipe(socket)
      })
      upstream.on("error", () => socket.destroy())
      socket.on("close", () => upstream.destroy())
    })
    const port = yield* listen(server)
    yield* Effect.addFinalizer(() =>
      Effect.sync(() => {
        for (const s of sockets) s.destroy()
      }),
    )
    return { port, targets }
  })

const via = (proxy: string, options: NodeTransport.Options = {}) =>
  NodeTransport.client({ ...trust, ...options, proxy: { http: proxy, https: proxy, proxyLoopback: true } })

describe("SOCKS5 proxies", () => {
  scoped("socks5h sends the name for the proxy to resolve; socks5 sends the address resolved here", () =>
    Effect.gen(function* () {
      const socks = yield* socksServer()
      const origin = yield* httpServer((req, res) => res.end(req.headers.host))
      const remote = yield* Effect.flatMap(Client.get(`http://api.test:${origin.port}/`), Response.text).pipe(
        Effect.provide(via(`socks5h://127.0.0.1:${socks.port}`)),
      )
      const local = yield* Effect.flatMap(Client.get(`http://api.test:${origin.port}/`), Response.text).pipe(
        Effect.provide(via(`socks5://127.0.0.1:${socks.port}`, { resolve: [`api.test:${origin.port}:127.0.0.1`] })),
      )
      expect([remote, local]).toEqual([`api.test:${origin.port}`, `api.test:${origin.port}`])
      expect(socks.targets).toEqual([`api.test:${origin.port}`, `127.0.0.1:${origin.port}`])
    }),
  )

  scoped("an https origin gets TLS through the tunnel, HTTP/2 or HTTP/1.1 by ALPN", () =>
    Effect.gen(function* () {
      const socks = yield* socksServer()
      const origin = yield* h2Server("h2 and http/1.1")
      for (const httpVersion of ["auto", "1.1"] as const) {
        const r = yield* Client.get(`${origin.url}/tunnelled`).pipe(
          Effect.provide(via(`socks5h://127.0.0.1:${socks.port}`, { httpVersion })),
        )
        expect([httpVersion, r.version]).toEqual([httpVersion, httpVersion === "auto" ? "HTTP/2" : "HTTP/1.1"])
      }
      expect(socks.targets).toEqual([`localhost:${origin.port}`, `localhost:${origin.port}`])
    }),
  )

  scoped("credentials from the proxy URL answer its challenge; wrong or missing ones are typed refusals", () =>
    Effect.gen(function* () {
      const socks = yield* socksServer({ credentials: { username: "ada", password: "p@ss" } })
      const origin = yield* httpServer((_req, res) => res.end("in"))
      const get = (proxy: string) =>
        Client.get(`${origin.url}/`).pipe(Effect.provide(via(proxy, { httpVersion: "1.1" })))
      const r = yield* get(`socks5://ada:p%40ss@127.0.0.1:${socks.port}`)
      expect(yield* Response.text(r)).toBe("in")
      const wrong = yield* Effect.flip(get(`socks5://ada:nope@127.0.0.1:${socks.port}`))
      expect(wrong).toMatchObject({ _tag: "HTTPConnectionError", code: "SOCKS_AUTH" })
      expect(wrong.message).toContain(`SOCKS5 proxy 127.0.0.1:${socks.port}`)
      expect(wrong.message).not.toContain("nope")
      const none = yield* Effect.flip(get(`socks5://127.0.0.1:${socks.port}`))
      expect(none).toMatchObject({ _tag: "HTTPConnectionError", code: "SOCKS_AUTH" })
    }),
  )

  scoped.each([
    [1, "general SOCKS server failure"],
    [2, "connection not allowed by ruleset"],
    [5, "connection refused"],
    [8, "address type not supported"],
  ] as const)("a CONNECT reply %i is an HTTPConnectionError with its code and meaning", ([code, meaning]) =>
    Effect.gen(function* () {
      const socks = yield* socksServer({ reply: code })
      const error = yield* Effect.flip(
        Client.get("http://api.test/").pipe(Effect.provide(via(`socks5h://127.0.0.1:${socks.port}`))),
      )
      expect(error).toMatchObject({ _tag: "HTTPConnectionError", code: `SOCKS_${code}` })
      expect(error.message).toContain(meaning)
    }),
  )

  scoped("a proxy that does not speak SOCKS5 is refused at its first byte, an HTTP one included", () =>
    Effect.gen(function* () {
      const socks = yield* socksServer({ raw: Buffer.from("HTTP/1.1 400 Bad Request\r\n\r\n") })
      const error = yield* Effect.flip(
        Client.get("http://api.test/").pipe(Effect.provide(via(`socks5h://127.0.0.1:${socks.port}`))),
      )
      expect(error).toMatchObject({ _tag: "HTTPConnectionError", code: "EPROXY" })
      expect(error.message).toContain("not a SOCKS5 proxy")
    }),
  )

  it("ALL_PROXY is the proxy for either scheme without one of its own, as curl reads it", () => {
    expect(NodeTransport.proxyFromEnv({ ALL_PROXY: "socks5h://127.0.0.1:1080", HTTPS_PROXY: "http://p:3128" })).toEqual(
      {
        http: "socks5h://127.0.0.1:1080",
        https: "http://p:3128",
        noProxy: [],
      },
    )
  })
})
