/** HTTP/2 servers on 127.0.0.1 for the node transport's tests: node:http2 over TLS (the repo's test CA) or h2c. */
import * as fs from "node:fs"
import * as http2 from "node:http2"
import * as https from "node:https"
import type * as net from "node:net"
import type * as tls from "node:tls"
import * as Effect from "effect/Effect"
import { listen } from "./servers.js"

/** The path of a file of the repo's test CA (fixtures/tls). */
export const fixturePath = (name: string): string => new URL(`./fixtures/tls/${name}`, import.meta.url).pathname

export const fixture = (name: string) => fs.readFileSync(fixturePath(name))

/** Trust for the test CA: what a client needs to reach these servers by the name `localhost`. */
export const trust = { tls: { ca: fixture("ca.crt") } } as const

export interface H2Running {
  readonly port: number
  /** `https://localhost:port` over TLS, `http://127.0.0.1:port` for h2c. */
  readonly url: string
  /** Connections accepted (TLS or TCP), whatever protocol they then spoke. */
  readonly connections: () => number
  /** HTTP/2 sessions opened. */
  readonly sessions: () => number
  /** Destroys every connection's socket at once: no GOAWAY, the way a crashed server or a reset drops it. */
  readonly drop: () => void
}

export type Offer = "h2" | "h2 and http/1.1" | "h2c"

/**
 * A node:http2 server. `onStream` answers HTTP/2 streams; HTTP/1.1 requests, when offered, get the compat
 * handler's answer: the protocol and path as JSON.
 */
export const h2Server = (
  offer: Offer,
  onStream: (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => void = answerVersion,
  settings: http2.Settings = {},
  onSession: (session: http2.ServerHttp2Session) => void = () => undefined,
) =>
  Effect.gen(function* () {
    const server =
      offer === "h2c"
        ? http2.createServer({ settings })
        : http2.createSecureServer({
            key: fixture("server.key"),
            cert: fixture("server.crt"),
            allowHTTP1: offer === "h2 and http/1.1",
            settings,
          })
    let connections = 0
    let sessions = 0
    const sockets = new Set<net.Socket>()
    server.on(offer === "h2c" ? "connection" : "secureConnection", (s: net.Socket) => {
      connections++
      sockets.add(s)
      s.on("close", () => sockets.delete(s))
    })
    const live = new Set<http2.ServerHttp2Session>()
    server.on("session", (s: http2.ServerHttp2Session) => {
      sessions++
      live.add(s)
      onSession(s)
      s.on("close", () => live.delete(s))
    })
    server.on("stream", (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => {
      // A stream the test resets or the client cancels reports it as an error; the test looks at rstCode.
      stream.on("error", () => undefined)
      onStream(stream, headers)
    })
    // Only where HTTP/1.1 is offered: node's compat layer also wraps every HTTP/2 stream once this is set.
    if (offer === "h2 and http/1.1") {
      server.on("request", (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => {
        if (req.httpVersion === "2.0") return
        res.setHeader("content-type", "application/json")
        res.end(JSON.stringify({ version: req.httpVersion, path: req.url }))
      })
    }
    const port = yield* listen(server)
    // Registered after `listen`, so it runs first: `close` waits for every connection to end.
    yield* Effect.addFinalizer(() =>
      Effect.sync(() => {
        for (const s of live) s.destroy()
        for (const s of sockets) s.destroy()
      }),
    )
    const url = offer === "h2c" ? `http://127.0.0.1:${port}` : `https://localhost:${port}`
    const drop = () => {
      for (const s of sockets) s.destroy()
    }
    return { port, url, connections: () => connections, sessions: () => sessions, drop } satisfies H2Running
  })

/** Answers every stream 200 with the protocol, path and method as JSON. */
export function answerVersion(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): void {
  stream.respond({ ":status": 200, "content-type": "application/json" })
  stream.end(JSON.stringify({ version: "2.0", path: headers[":path"], method: headers[":method"] }))
}

/** An HTTPS server that offers only HTTP/1.1 by ALPN, answering like `h2Server`'s HTTP/1.1 handler. */
export const http1OnlyServer = Effect.gen(function* () {
  let connections = 0
  const server = https.createServer(
    { key: fixture("server.key"), cert: fixture("server.crt"), ALPNProtocols: ["http/1.1"] },
    (req, res) => {
      res.setHeader("content-type", "application/json")
      res.end(JSON.stringify({ version: req.httpVersion, path: req.url }))
    },
  )
  server.on("secureConnection", (_s: tls.TLSSocket) => {
    connections++
  })
  const port = yield* listen(server)
  yield* Effect.addFinalizer(() => Effect.sync(() => server.closeAllConnections()))
  return {
    port,
    url: `https://localhost:${port}`,
    connections: () => connections,
    sessions: () => 0,
    drop: () => server.closeAllConnections(),
  } satisfies H2Running
})
