// TLS through the node connector, against an HTTPS server on 127.0.0.1 whose certificate comes from
// the committed test CA in fixtures/tls (regenerate with fixtures/tls/make.sh).

import * as fs from "node:fs"
import * as https from "node:https"
import type * as net from "node:net"
import { Client, Response, Url } from "@courier/core"
import { callback } from "@courier/core/internal/edition"
import { NodeConnector, NodeTransport } from "@courier/node-transport"
import { describe, expect } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { scoped } from "../../core/test/edition.js"
import { getOrThrow } from "../../core/test/results.js"

const fixture = (name: string) => fs.readFileSync(new URL(`./fixtures/tls/${name}`, import.meta.url))

const httpsServerWith = (options: https.ServerOptions, host = "127.0.0.1") =>
  Effect.acquireRelease(
    callback<{ server: https.Server; port: number }>((resume) => {
      const server = https.createServer(
        { key: fixture("server.key"), cert: fixture("server.crt"), ...options },
        (req, res) => {
          const socket = req.socket as import("node:tls").TLSSocket
          const peer = socket.getPeerCertificate()
          const who = peer?.subject?.CN === undefined ? "" : ` for ${peer.subject.CN}`
          res.end(`secure ${req.url}${who}`)
        },
      )
      server.listen(0, host, () => resume(Effect.succeed({ server, port: (server.address() as net.AddressInfo).port })))
    }),
    ({ server }) =>
      callback<void>((resume) => {
        server.closeAllConnections()
        server.close(() => resume(Effect.void))
      }),
  )

const httpsServer = httpsServerWith({})

describe("NodeTransport over TLS", () => {
  scoped("a server certificate from a trusted CA is accepted", () =>
    Effect.gen(function* () {
      const { port } = yield* httpsServer
      const r = yield* Client.get(`https://localhost:${port}/hello`).pipe(
        Effect.provide(NodeTransport.client({ tls: { ca: fixture("ca.crt") } })),
      )
      expect(r.status).toBe(200)
      expect(yield* Response.text(r)).toBe("secure /hello")
    }),
  )

  scoped("verification is on by default: an unknown CA is an HTTPConnectionError that says why", () =>
    Effect.gen(function* () {
      const { port } = yield* httpsServer
      const error = yield* Effect.flip(
        Client.get(`https://localhost:${port}/`).pipe(Effect.provide(NodeTransport.client())),
      )
      expect(error._tag).toBe("HTTPConnectionError")
      expect(error).toMatchObject({ code: "UNABLE_TO_VERIFY_LEAF_SIGNATURE" })
      expect(error.message).toContain("unable to verify")
    }),
  )

  scoped("a client certificate is presented when the server asks for one", () =>
    Effect.gen(function* () {
      const { port } = yield* httpsServerWith({ requestCert: true, rejectUnauthorized: true, ca: fixture("ca.crt") })
      const withCert = NodeTransport.client({
        tls: { ca: fixture("ca.crt"), cert: fixture("client.crt"), key: fixture("client.key") },
      })
      const r = yield* Client.get(`https://localhost:${port}/mtls`).pipe(Effect.provide(withCert))
      expect(yield* Response.text(r)).toBe("secure /mtls for courier-test-client")
      const without = yield* Effect.flip(
        Client.get(`https://localhost:${port}/mtls`).pipe(
          Effect.provide(NodeTransport.client({ tls: { ca: fixture("ca.crt") } })),
        ),
      )
      expect(["IOError", "BadStatusLine", "HTTPConnectionError"]).toContain(without._tag)
    }),
  )

  scoped("servername names the certificate to expect when the URL's host differs", () =>
    Effect.gen(function* () {
      // Linux routes all of 127/8 to loopback; 127.0.0.2 is not in the certificate, so the servername says
      // which name to check instead.
      const { port } = yield* httpsServerWith({}, "127.0.0.2")
      const wrong = yield* Effect.flip(
        Client.get(`https://127.0.0.2:${port}/`).pipe(
          Effect.provide(NodeTransport.client({ tls: { ca: fixture("ca.crt") } })),
        ),
      )
      expect(wrong).toMatchObject({ _tag: "HTTPConnectionError", code: "ERR_TLS_CERT_ALTNAME_INVALID" })
      const named = yield* Client.get(`https://127.0.0.2:${port}/named`).pipe(
        Effect.provide(NodeTransport.client({ tls: { ca: fixture("ca.crt"), servername: "localhost" } })),
      )
      expect(yield* Response.text(named)).toBe("secure /named")
    }),
  )

  scoped("an IP literal is checked against the certificate's IP names", () =>
    Effect.gen(function* () {
      const { port } = yield* httpsServer
      const r = yield* Client.get(`https://127.0.0.1:${port}/ip`).pipe(
        Effect.provide(NodeTransport.client({ tls: { ca: fixture("ca.crt") } })),
      )
      expect(yield* Response.text(r)).toBe("secure /ip")
    }),
  )
})

describe("the node Connector over TLS", () => {
  scoped("reports the protocol ALPN negotiated", () =>
    Effect.gen(function* () {
      const { port } = yield* httpsServerWith({ ALPNProtocols: ["http/1.1"] })
      const url = getOrThrow(Url.parse(`https://localhost:${port}/`))
      const socket = yield* NodeConnector.make({ tls: { ca: fixture("ca.crt") } }).connect(url.origin, {})
      expect(socket.protocol).toBe("http/1.1")
    }),
  )
})
