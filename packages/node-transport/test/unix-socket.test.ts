// Requests over a Unix domain socket (a Docker daemon's, a local agent's): the URL gives Host and path,
// the socket file is where the connection goes, over HTTP/1.1, h2c and TLS with ALPN alike.

import * as fs from "node:fs"
import * as http from "node:http"
import * as http2 from "node:http2"
import type * as net from "node:net"
import * as os from "node:os"
import * as path from "node:path"
import { Client, Response } from "@courier/core"
import { callback } from "@courier/core/internal/edition"
import { NodeTransport } from "@courier/node-transport"
import { describe, expect } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { scoped } from "../../core/test/edition.js"
import { fixture, trust } from "./h2servers.js"

/** A fresh socket file path in a temporary folder, removed with the scope. */
const socketFile = Effect.acquireRelease(
  Effect.sync(() => fs.mkdtempSync(path.join(os.tmpdir(), "courier-uds-"))),
  (dir) => Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true })),
).pipe(Effect.map((dir) => path.join(dir, "server.sock")))

/** Listens on the socket file at `file` until the scope closes, closing every connection. */
const listenOn = (server: net.Server, file: string) =>
  Effect.acquireRelease(
    callback<void>((resume) => {
      server.listen(file, () => resume(Effect.void))
    }),
    () =>
      callback<void>((resume) => {
        const s = server as net.Server & { closeAllConnections?: () => void }
        s.closeAllConnections?.()
        server.close(() => resume(Effect.void))
      }),
  )

/** What the server saw: protocol, Host (or :authority), path. */
const seen = (version: string, host: string | undefined, url: string | undefined) =>
  JSON.stringify({ version, host: host ?? null, path: url ?? null })

describe("Unix domain sockets", () => {
  scoped("HTTP/1.1 over a socket file: the URL gives Host and path; connections are pooled and reused", () =>
    Effect.gen(function* () {
      const file = yield* socketFile
      yield* listenOn(
        http.createServer((req, res) => res.end(seen(req.httpVersion, req.headers.host, req.url))),
        file,
      )
      // A proxy in the environment is not used for a socket.
      const client = NodeTransport.client({
        socketPath: file,
        proxy: { http: "http://127.0.0.1:1", proxyLoopback: true },
      })
      const [a, b] = yield* Effect.forEach(["/v1.43/containers/json?all=1", "/_ping"], (p) =>
        Effect.flatMap(Client.get(`http://docker${p}`), (r) =>
          Effect.map(Response.json(r), (body) => ({ body, reused: r.connection?.reused })),
        ),
      ).pipe(Effect.provide(client))
      expect(a).toEqual({
        body: { version: "1.1", host: "docker", path: "/v1.43/containers/json?all=1" },
        reused: false,
      })
      expect(b).toEqual({ body: { version: "1.1", host: "docker", path: "/_ping" }, reused: true })
    }),
  )

  scoped("h2c with prior knowledge over a socket file", () =>
    Effect.gen(function* () {
      const file = yield* socketFile
      const server = http2.createServer()
      server.on("stream", (stream, headers) => {
        stream.respond({ ":status": 200 })
        stream.end(seen("2.0", headers[":authority"], headers[":path"]))
      })
      yield* listenOn(server, file)
      const r = yield* Client.get("http://agent.local/metrics").pipe(
        Effect.provide(NodeTransport.client({ socketPath: file, httpVersion: "2" })),
      )
      expect([r.version, yield* Response.json(r)]).toEqual([
        "HTTP/2",
        { version: "2.0", host: "agent.local", path: "/metrics" },
      ])
    }),
  )

  scoped("TLS over a socket file verifies the URL's host and negotiates HTTP/2 or HTTP/1.1 by ALPN", () =>
    Effect.gen(function* () {
      const file = yield* socketFile
      const server = http2.createSecureServer({
        key: fixture("server.key"),
        cert: fixture("server.crt"),
        allowHTTP1: true,
      })
      server.on("request", (req, res) =>
        res.end(seen(req.httpVersion, req.headers[":authority"] ?? req.headers.host, req.url)),
      )
      yield* listenOn(server, file)
      for (const httpVersion of ["auto", "1.1"] as const) {
        const r = yield* Client.get("https://localhost/secure").pipe(
          Effect.provide(NodeTransport.client({ ...trust, socketPath: file, httpVersion })),
        )
        expect([httpVersion, r.version, (yield* Response.json(r)) as unknown]).toEqual([
          httpVersion,
          httpVersion === "auto" ? "HTTP/2" : "HTTP/1.1",
          { version: httpVersion === "auto" ? "2.0" : "1.1", host: "localhost", path: "/secure" },
        ])
      }
    }),
  )

  scoped("a socket file that is not there is an HTTPConnectionError naming its path", () =>
    Effect.gen(function* () {
      const file = yield* socketFile
      for (const httpVersion of ["1.1", "2"] as const) {
        const error = yield* Effect.flip(
          Client.get("http://docker/_ping").pipe(
            Effect.provide(NodeTransport.client({ socketPath: file, httpVersion })),
          ),
        )
        expect(error).toMatchObject({ _tag: "HTTPConnectionError", code: "ENOENT" })
        expect(error.message).toContain(file)
      }
    }),
  )
})
