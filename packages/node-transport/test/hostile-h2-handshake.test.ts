// HTTP/2 handshakes that fail, over real sockets: each is a typed connect error as soon as the peer says
// so, never an uncaught error and never a wait for the connect deadline (the tests run on TestClock, where
// that deadline never passes, so a hang is a test timeout and an uncaught error fails the run).
import * as http2 from "node:http2"
import type * as net from "node:net"
import * as tls from "node:tls"
import { Client } from "@courier/core"
import { NodeTransport } from "@courier/node-transport"
import { describe, expect } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { scoped } from "../../core/test/edition.js"
import { fixture, trust } from "./h2servers.js"
import { listenDestroying, rawServer } from "./servers.js"

/** A GOAWAY frame (RFC 9113 §6.8) on stream 0: last stream 0, error code `code`. */
const goaway = (code: number) => {
  const frame = Buffer.alloc(17)
  frame.writeUIntBE(8, 0, 3)
  frame[3] = 0x7
  frame.writeUInt32BE(0, 5)
  frame.writeUInt32BE(0, 9)
  frame.writeUInt32BE(code, 13)
  return frame
}

/** What a peer does once the connection is up (after the TLS handshake, or at once for h2c). */
type Misdeed = "reset" | "close" | "goaway first"

const misbehave = (raw: net.Socket, wire: net.Socket, misdeed: Misdeed) => {
  switch (misdeed) {
    case "reset":
      return raw.resetAndDestroy()
    case "close":
      return wire.end()
    case "goaway first":
      // Waits for the client's preface, then refuses before any SETTINGS of its own.
      return wire.once("data", () => wire.write(goaway(0xb)))
  }
}

/** A server that negotiates h2 by ALPN (or speaks h2c), then misbehaves. */
const hostileH2 = (misdeed: Misdeed, secure: boolean) =>
  rawServer((raw) => {
    raw.on("error", () => undefined)
    if (!secure) return misbehave(raw, raw, misdeed)
    const context = tls.createSecureContext({ key: fixture("server.key"), cert: fixture("server.crt") })
    const wire = new tls.TLSSocket(raw, { isServer: true, secureContext: context, ALPNProtocols: ["h2"] })
    wire.on("error", () => undefined)
    wire.once("secure", () => misbehave(raw, wire, misdeed))
  })

/** An HTTP/2 server that requires a client certificate, over TLS 1.3 (the alert comes after the handshake) or 1.2. */
const certificateRequired = (maxVersion: tls.SecureVersion) =>
  Effect.gen(function* () {
    const server = http2.createSecureServer({
      key: fixture("server.key"),
      cert: fixture("server.crt"),
      ca: fixture("ca.crt"),
      requestCert: true,
      rejectUnauthorized: true,
      maxVersion,
    })
    server.on("stream", (stream) => {
      stream.respond({ ":status": 200 })
      stream.end()
    })
    return yield* listenDestroying(server)
  })

const refusedOver = (url: string, httpVersion: "auto" | "2") =>
  Effect.flip(Client.get(url).pipe(Effect.provide(NodeTransport.client({ ...trust, httpVersion }))))

describe("HTTP/2 handshakes that fail end in a typed error at once", () => {
  scoped.each(["TLSv1.3", "TLSv1.2"] as const)(
    "a server that requires a client certificate, over %s: HTTPConnectionError naming the alert",
    (version) =>
      Effect.gen(function* () {
        const port = yield* certificateRequired(version)
        for (const httpVersion of ["auto", "2"] as const) {
          const error = yield* refusedOver(`https://localhost:${port}/`, httpVersion)
          expect(error._tag).toBe("HTTPConnectionError")
          expect(error).toMatchObject({ code: expect.stringMatching(/^ERR_SSL_/) })
        }
      }),
    10_000,
  )

  const cases: ReadonlyArray<readonly [Misdeed, boolean]> = [
    ["reset", true],
    ["close", true],
    ["goaway first", true],
    ["reset", false],
    ["close", false],
    ["goaway first", false],
  ]
  scoped.each(cases)(
    "a peer that does %s (TLS: %s) before its SETTINGS: a connect error, the server's code where it sent one",
    ([misdeed, secure]) =>
      Effect.gen(function* () {
        const server = yield* hostileH2(misdeed, secure)
        const url = secure ? `https://localhost:${server.port}/` : `http://127.0.0.1:${server.port}/`
        const error = yield* refusedOver(url, "2")
        expect(error._tag).toBe("HTTPConnectionError")
        if (misdeed === "goaway first") expect(error.message).toMatch(/GOAWAY|HTTP2/)
      }),
    10_000,
  )
})
