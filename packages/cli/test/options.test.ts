// The courier command's options as curl names them, over real servers on loopback: help, -v, --compressed,
// --unix-socket, --proxy, --resolve, the line end after a text body, the hint for h2c against HTTP/1.1, and
// curl's exit codes.
import * as fs from "node:fs"
import * as http from "node:http"
import * as os from "node:os"
import * as path from "node:path"
import * as zlib from "node:zlib"
import { HttpError } from "@courier/core"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { httpServer } from "../../node-transport/test/servers.js"
import { exitCodeOf, run } from "../src/cli.js"

/** Echoes what it got as text (no line end), or gzips it on /gz. */
const echo = httpServer((req, res) => {
  const what = `${req.method} ${req.url} host=${req.headers.host} accept-encoding=${req.headers["accept-encoding"] ?? "-"}`
  if (req.url === "/gz") {
    res.writeHead(200, { "Content-Type": "text/plain", "Content-Encoding": "gzip" })
    return res.end(zlib.gzipSync(what))
  }
  if (req.url === "/bin") {
    res.writeHead(200, { "Content-Type": "application/octet-stream" })
    return res.end("raw")
  }
  res.writeHead(200, { "Content-Type": "text/plain" })
  res.end(what)
})

const bodyOf = (stdout: string) => stdout.slice(stdout.indexOf("\n\n") + 2)

describe("courier options", () => {
  it.effect("--help and -h print the options and exit 0", () =>
    Effect.gen(function* () {
      for (const flag of ["--help", "-h"]) {
        const out = yield* run([flag])
        expect(out.exitCode).toBe(0)
        for (const option of [
          "--unix-socket",
          "--proxy",
          "--resolve",
          "--compressed",
          "--verbose",
          "--sse",
          "Exit codes",
        ]) {
          expect(out.stdout).toContain(option)
        }
      }
      const bad = yield* run(["GET", "http://x/", "--bogus"])
      expect([bad.exitCode, bad.stderr]).toEqual([2, expect.stringContaining("unknown option --bogus")])
    }),
  )

  it.scoped("a text body ends its line; a binary one is left as it came", () =>
    Effect.gen(function* () {
      const server = yield* echo
      expect(bodyOf((yield* run(["GET", `${server.url}/t`])).stdout)).toMatch(/accept-encoding=-\n$/)
      expect(bodyOf((yield* run(["GET", `${server.url}/bin`])).stdout)).toBe("raw")
    }),
  )

  it.scoped("without --compressed no encoding is asked for and a body is left as sent; with it, it is decoded", () =>
    Effect.gen(function* () {
      const server = yield* echo
      const plain = yield* run(["GET", `${server.url}/gz`, "--json"])
      const raw = Buffer.from((JSON.parse(plain.stdout) as { body_b64: string }).body_b64, "base64")
      expect(zlib.gunzipSync(raw).toString()).toContain("accept-encoding=-")
      const decoded = yield* run(["GET", `${server.url}/gz`, "--compressed"])
      expect(bodyOf(decoded.stdout)).toMatch(/^GET \/gz host=127\.0\.0\.1:\d+ accept-encoding=gzip, deflate, br/)
    }),
  )

  it.scoped("-v prints the client's debug log on stderr", () =>
    Effect.gen(function* () {
      const server = yield* echo
      const out = yield* run(["GET", `${server.url}/v`, "-v"])
      expect(out.stderr).toContain(`courier: send GET ${server.url}/v`)
      expect(out.stderr).toMatch(/courier: got 200 OK \(HTTP\/1\.1, connection \d+ new to 127\.0\.0\.1:\d+\)/)
      expect(out.exitCode).toBe(0)
    }),
  )

  it.scoped("--resolve pins a host and port to an address; the URL's host is still the Host", () =>
    Effect.gen(function* () {
      const server = yield* echo
      const out = yield* run([
        "GET",
        `http://api.test:${server.port}/r`,
        "--resolve",
        `api.test:${server.port}:127.0.0.1`,
      ])
      expect(bodyOf(out.stdout)).toContain(`host=api.test:${server.port}`)
    }),
  )

  it.scoped("--proxy sends the request through the proxy, loopback included", () =>
    Effect.gen(function* () {
      const proxy = yield* httpServer((req, res) => res.end(`proxied ${req.url}`))
      const out = yield* run(["GET", "http://127.0.0.1:9/p", "--proxy", proxy.url])
      expect(bodyOf(out.stdout)).toBe("proxied http://127.0.0.1:9/p")
    }),
  )

  it.scoped("--unix-socket connects to a socket file", () =>
    Effect.gen(function* () {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "courier-cli-"))
      yield* Effect.addFinalizer(() => Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true })))
      const file = path.join(dir, "docker.sock")
      const server = http.createServer((req, res) => res.end(`${req.headers.host} ${req.url}`))
      yield* Effect.acquireRelease(
        Effect.async<void>((resume) => {
          server.listen(file, () => resume(Effect.void))
        }),
        () =>
          Effect.async<void>((resume) => {
            server.closeAllConnections()
            server.close(() => resume(Effect.void))
          }),
      )
      const out = yield* run(["GET", "http://docker/_ping", "--unix-socket", file])
      expect(bodyOf(out.stdout)).toBe("docker /_ping")
    }),
  )

  it.scoped("--sse prints each event as it arrives, in event-stream form or as JSON lines", () =>
    Effect.gen(function* () {
      let connections = 0
      const server = yield* httpServer((_req, res) => {
        connections++
        // A retry of 0 reconnects at once, and the reconnection's 204 ends the stream.
        if (connections % 2 === 0) return res.writeHead(204).end()
        res.writeHead(200, { "Content-Type": "text/event-stream" })
        res.end("retry: 0\nid: 1\nevent: price\ndata: 42\n\ndata: two\ndata: lines\n\n")
      })
      const written: Array<string> = []
      const out = yield* run(["GET", `${server.url}/prices`, "--sse"], undefined, (text) => written.push(text))
      expect([out.exitCode, out.stdout]).toEqual([0, ""])
      expect(written).toEqual(["event: price\ndata: 42\nid: 1\n\n", "data: two\ndata: lines\nid: 1\n\n"])
      const json = yield* run(["GET", `${server.url}/prices`, "--sse", "--json"])
      expect(
        json.stdout
          .trim()
          .split("\n")
          .map((l) => JSON.parse(l)),
      ).toEqual([
        { type: "price", data: "42", id: "1" },
        { type: "message", data: "two\nlines", id: "1" },
      ])
    }),
  )

  it.scoped("--http2-prior-knowledge against an HTTP/1.1 server says what happened and which flag to drop", () =>
    Effect.gen(function* () {
      const server = yield* echo
      const out = yield* run(["GET", `${server.url}/`, "--http2-prior-knowledge"])
      expect(out.exitCode).toBe(7)
      expect(out.stderr).toContain("did not answer in HTTP/2")
      expect(out.stderr).toContain("try again without --http2-prior-knowledge")
    }),
  )

  it("exit codes are curl's where the two overlap", () => {
    const request = { method: "GET", url: "http://x/" }
    const connect = (code: string) =>
      new HttpError.HTTPConnectionError({ request, host: "x", port: 80, code, reason: "" })
    expect(
      [
        new HttpError.UnknownProtocol({ request, protocol: "ftp:" }),
        new HttpError.InvalidURL({ request, input: "", reason: "" }),
        connect("ENOTFOUND"),
        connect("ECONNREFUSED"),
        new HttpError.BadStatusLine({ request, line: "garbage" }),
        new HttpError.IncompleteRead({ request, received: 1, expected: 2 }),
        new HttpError.Timeout({ request, phase: "head", millis: 1 }),
        connect("ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED"),
        new HttpError.TooManyRedirects({ request, chain: [] }),
        new HttpError.BadStatusLine({ request, line: "" }),
        new HttpError.IOError({ request, code: "ECONNRESET", reason: "" }),
        connect("UNABLE_TO_VERIFY_LEAF_SIGNATURE"),
        new HttpError.BodyTooLarge({ request, limit: 1, received: 2, decoded: false }),
        connect("SOCKS_5"),
      ].map(exitCodeOf),
    ).toEqual([1, 3, 6, 7, 8, 18, 28, 35, 47, 52, 56, 60, 63, 97])
  })
})
