// The courier CLI: in-process over a real node:http server, and once as a real process for stdout and exit code.
import { execFile } from "node:child_process"
import * as zlib from "node:zlib"
import { NodeTransport } from "@courier/node-transport"
import { describe, expect, it } from "@effect/vitest"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as TestClock from "effect/TestClock"
import { demoServer } from "../../../examples/src/demo-server.js"
import { loopback } from "../../../examples/test/loopback.js"
import { fixturePath, h2Server } from "../../node-transport/test/h2servers.js"
import { run } from "../src/cli.js"

/** Told when a request for /slow has arrived (it is never answered). */
const slowArrived: Array<() => void> = []

const server = loopback((req, res) => {
  let body = ""
  req.on("data", (d: Buffer) => {
    body += d.toString()
  })
  req.on("end", () => {
    if (req.url === "/slow") {
      for (const told of slowArrived.splice(0)) told()
      return
    }
    res.writeHead(201, "Made", [
      ["X-First", "1"],
      ["content-type", "application/json"],
      ["X-First", "2"],
    ])
    res.end(JSON.stringify({ method: req.method, headers: req.headers, body }))
  })
})

const cli = (argv: ReadonlyArray<string>) => run(argv, () => NodeTransport.client())

/** Gzips what it says, and redirects /hop to the same server under another host name (another origin). */
const hops = loopback((req, res) => {
  const port = req.socket.localPort
  if (req.url === "/hop") {
    res.writeHead(302, { Location: `http://localhost:${port}/seen` })
    return res.end()
  }
  const body = zlib.gzipSync(JSON.stringify({ authorization: req.headers.authorization ?? null }))
  res.writeHead(200, { "Content-Encoding": "gzip", "Content-Type": "application/json" })
  res.end(body)
})

describe("courier CLI", () => {
  it.scoped("with --compressed decompresses bodies, and drops credentials when a redirect leaves the origin", () =>
    Effect.gen(function* () {
      const { url } = yield* hops
      const cli = (argv: ReadonlyArray<string>) => run([...argv, "--compressed"])
      const body = (out: { stdout: string }) =>
        JSON.parse(Buffer.from((JSON.parse(out.stdout) as { body_b64: string }).body_b64, "base64").toString())
      expect(body(yield* cli(["GET", `${url}/seen`, "-H", "Authorization: Bearer t", "--json"]))).toEqual({
        authorization: "Bearer t",
      })
      expect(body(yield* cli(["GET", `${url}/hop`, "-H", "Authorization: Bearer t", "--json"]))).toEqual({
        authorization: null,
      })
    }),
  )

  it.scoped(
    "follows redirects with one cookie jar: a cookie set on a hop is sent on the next; bodies are decompressed",
    () =>
      Effect.gen(function* () {
        const { url } = yield* demoServer
        const out = yield* run(["GET", `${url}/cookies/set/flavour/oatmeal`, "--json", "--compressed"])
        const parsed = JSON.parse(out.stdout) as { status: number; body_b64: string }
        expect(parsed.status).toBe(200)
        expect(JSON.parse(Buffer.from(parsed.body_b64, "base64").toString())).toEqual({
          cookies: { flavour: "oatmeal" },
        })
      }),
  )

  it.scoped("--json prints one object with status, reason, version, headers in order and the body in base64", () =>
    Effect.gen(function* () {
      const { url } = yield* server
      const out = yield* cli(["POST", `${url}/p`, "-H", "X-Trace: t1", "--data", "a=1", "--data", "b=2", "--json"])
      expect(out.exitCode).toBe(0)
      expect(out.stdout.trim().split("\n")).toHaveLength(1)
      const parsed = JSON.parse(out.stdout) as {
        ok: boolean
        status: number
        reason: string
        version: string
        headers: Array<[string, string]>
        body_b64: string
      }
      expect(parsed).toMatchObject({ ok: true, status: 201, reason: "Made", version: "HTTP/1.1" })
      expect(parsed.headers.slice(0, 3)).toEqual([
        ["X-First", "1"],
        ["content-type", "application/json"],
        ["X-First", "2"],
      ])
      const echoed = JSON.parse(Buffer.from(parsed.body_b64, "base64").toString()) as {
        method: string
        headers: Record<string, string>
        body: string
      }
      expect(echoed.method).toBe("POST")
      expect(echoed.body).toBe("a=1&b=2")
      expect(echoed.headers["x-trace"]).toBe("t1")
    }),
  )

  it.scoped("--json-body sends JSON; --data wins when both are given", () =>
    Effect.gen(function* () {
      const { url } = yield* server
      const json = JSON.parse((yield* cli(["PUT", url, "--json-body", '{"x":1}', "--json"])).stdout) as {
        body_b64: string
      }
      expect(JSON.parse(Buffer.from(json.body_b64, "base64").toString()).body).toBe('{"x":1}')
      const both = JSON.parse(
        (yield* cli(["PATCH", url, "--json-body", '{"x":1}', "--data", "k=v", "--json"])).stdout,
      ) as {
        body_b64: string
      }
      expect(JSON.parse(Buffer.from(both.body_b64, "base64").toString()).body).toBe("k=v")
    }),
  )

  it.scoped("a typed error is one JSON object with the error's tag, and curl's exit code", () =>
    Effect.gen(function* () {
      const refused = yield* cli(["GET", "http://127.0.0.1:1/", "--json"])
      expect(refused.exitCode).toBe(7)
      expect(JSON.parse(refused.stdout)).toMatchObject({ ok: false, error: "HTTPConnectionError" })
      const { url } = yield* server
      // The deadline runs on TestClock, moved once the server has the request it will never answer.
      const arrived = yield* Deferred.make<void>()
      slowArrived.push(() => Deferred.unsafeDone(arrived, Exit.void))
      const fiber = yield* Effect.fork(cli(["GET", `${url}/slow`, "--timeout", "100", "--json"]))
      yield* Deferred.await(arrived)
      yield* TestClock.adjust("100 millis")
      const slow = yield* Fiber.join(fiber)
      expect(JSON.parse(slow.stdout)).toMatchObject({ ok: false, error: "Timeout" })
      expect(slow.exitCode).toBe(28)
      const bad = yield* cli(["GET", "ftp://x/", "--json"])
      expect(JSON.parse(bad.stdout)).toMatchObject({ ok: false, error: "UnknownProtocol" })
      expect(bad.exitCode).toBe(1)
      const malformed = yield* cli(["GET", "http://[::1", "--json"])
      expect([malformed.exitCode, JSON.parse(malformed.stdout).error]).toEqual([3, "InvalidURL"])
    }),
  )

  it.scoped("people get a status line, headers and the body; mistakes in the arguments get the usage", () =>
    Effect.gen(function* () {
      const { url } = yield* server
      const out = yield* cli(["GET", url])
      expect(out.stdout.split("\n").slice(0, 2)).toEqual(["HTTP/1.1 201 Made", "X-First: 1"])
      expect(out.stdout).toContain('"method":"GET"')
      const usage = yield* cli(["GET"])
      expect(usage.exitCode).toBe(2)
      expect(usage.stderr).toContain("usage: courier [options...] METHOD URL")
    }),
  )

  it.scoped("as a process: one JSON line on stdout and the exit code", () =>
    Effect.gen(function* () {
      const { url } = yield* server
      const result = yield* Effect.async<{ code: number; stdout: string }>((resume) => {
        execFile(
          process.execPath,
          ["--import", "tsx", "src/main.ts", "GET", "http://127.0.0.1:1/", "--json"],
          { cwd: new URL("..", import.meta.url).pathname },
          (error, stdout) =>
            resume(Effect.succeed({ code: error?.code === undefined ? 0 : Number(error.code), stdout })),
        )
      })
      expect(result.code).toBe(7)
      expect(JSON.parse(result.stdout)).toMatchObject({ ok: false, error: "HTTPConnectionError" })
      expect(url).toContain("127.0.0.1")
    }),
  )

  /** Runs the CLI as a process with `args`; NODE_EXTRA_CA_CERTS trusts the test CA. */
  const courier = (args: ReadonlyArray<string>) =>
    Effect.async<{ code: number; stdout: string }>((resume) => {
      execFile(
        process.execPath,
        ["--import", "tsx", "src/main.ts", ...args],
        {
          cwd: new URL("..", import.meta.url).pathname,
          env: { ...process.env, NODE_EXTRA_CA_CERTS: fixturePath("ca.crt") },
        },
        (error, stdout) => resume(Effect.succeed({ code: error?.code === undefined ? 0 : Number(error.code), stdout })),
      )
    })

  const overHttp2: ReadonlyArray<{ readonly offer: "h2 and http/1.1" | "h2c"; readonly flags: ReadonlyArray<string> }> =
    [
      { offer: "h2 and http/1.1", flags: [] },
      { offer: "h2c", flags: ["--http2-prior-knowledge"] },
    ]
  for (const c of overHttp2) {
    it.scoped(`as a process, to a server offering ${c.offer}: --json says HTTP/2`, () =>
      Effect.gen(function* () {
        const server = yield* h2Server(c.offer)
        const result = yield* courier(["GET", `${server.url}/cli`, "--json", ...c.flags])
        expect(result.code).toBe(0)
        expect(JSON.parse(result.stdout)).toMatchObject({ ok: true, status: 200, version: "HTTP/2" })
      }),
    )
  }

  it.scoped("--http1.1 keeps a server offering both on HTTP/1.1", () =>
    Effect.gen(function* () {
      const server = yield* h2Server("h2 and http/1.1")
      const result = yield* courier(["GET", `${server.url}/cli`, "--json", "--http1.1"])
      expect(JSON.parse(result.stdout)).toMatchObject({ ok: true, version: "HTTP/1.1" })
    }),
  )
})
