// Interop against a real httpbin (Debian's python3-httpbin under gunicorn, on 127.0.0.1): the server the
// Cookbook seed's recipes were written against.
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Body, Client, HttpError, Request, Response, Session } from "@courier/core"
import { NodeDecoding, NodeTransport } from "@courier/node-transport"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"
import { httpbinForSuite } from "./external.js"

const bin = httpbinForSuite()

type Json = Record<string, unknown> & {
  readonly args: Record<string, string>
  readonly headers: Record<string, string>
  readonly form: Record<string, string>
  readonly files: Record<string, string>
  readonly json: unknown
  readonly cookies: Record<string, string>
}
const json = (r: Response.Response) => Effect.map(Response.json(r), (j) => j as Json)
const client = NodeTransport.client()

describe.runIf(bin.run)("httpbin interop", () => {
  it.effect("GET /get with query args", () =>
    Effect.gen(function* () {
      const body = yield* Effect.flatMap(
        Client.get(`${bin.base}/get`, { params: { name1: "value1", name2: "value 2" } }),
        json,
      )
      expect(body.args).toEqual({ name1: "value1", name2: "value 2" })
      expect(body.headers["User-Agent"]).toMatch(/^courier\//)
    }).pipe(Effect.provide(client)),
  )

  it.effect("POST /post with a form, and with JSON; custom headers", () =>
    Effect.gen(function* () {
      const form = yield* Effect.flatMap(
        Client.post(`${bin.base}/post`, {
          data: { name1: "value1", name2: "value2" },
          headers: { "User-agent": "none/ofyourbusiness", Spam: "Eggs" },
        }),
        json,
      )
      expect(form.form).toEqual({ name1: "value1", name2: "value2" })
      expect(form.headers["Content-Length"]).toBe("25")
      expect([form.headers["User-Agent"], form.headers.Spam]).toEqual(["none/ofyourbusiness", "Eggs"])
      const sent = yield* Effect.flatMap(Client.post(`${bin.base}/post`, { json: { a: [1, 2], b: null } }), json)
      expect(sent.json).toEqual({ a: [1, 2], b: null })
    }).pipe(Effect.provide(client)),
  )

  it.effect("GET /headers shows what was sent", () =>
    Effect.gen(function* () {
      const body = yield* Effect.flatMap(Client.get(`${bin.base}/headers`, { headers: { "X-Courier": "yes" } }), json)
      expect(body.headers["X-Courier"]).toBe("yes")
      expect(body.headers["Accept-Encoding"]).toBe(
        NodeDecoding.decodesZstd ? "gzip, deflate, br, zstd" : "gzip, deflate, br",
      )
    }).pipe(Effect.provide(client)),
  )

  it.effect("/cookies/set then /cookies through a session", () =>
    Effect.gen(function* () {
      const r1 = yield* Client.get(`${bin.base}/cookies/set/sessioncookie/123456789`)
      expect(r1.status).toBe(200)
      const r2 = yield* Effect.flatMap(Client.get(`${bin.base}/cookies`), json)
      expect(r2.cookies).toEqual({ sessioncookie: "123456789" })
      expect((yield* Session.cookies()).map((c) => c.name)).toEqual(["sessioncookie"])
    }).pipe(Effect.provide(NodeTransport.session())),
  )

  it.effect("/basic-auth with session credentials; wrong ones are 401", () =>
    Effect.gen(function* () {
      const ok = yield* Client.get(`${bin.base}/basic-auth/user/passwd`).pipe(
        Effect.provide(
          NodeTransport.session({ auth: { basic: { username: "user", password: Redacted.make("passwd") } } }),
        ),
      )
      expect(yield* json(ok)).toMatchObject({ authenticated: true, user: "user" })
      const denied = yield* Client.get(`${bin.base}/basic-auth/user/passwd`).pipe(
        Effect.provide(NodeTransport.session({ auth: { basic: { username: "user", password: "wrong" } } })),
      )
      expect(denied.status).toBe(401)
    }),
  )

  it.effect("POST /post with files", () =>
    Effect.gen(function* () {
      const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "courier-httpbin-")), "report.csv")
      fs.writeFileSync(file, "a,b\n1,2\n")
      const body = yield* Effect.flatMap(
        Client.post(`${bin.base}/post`, {
          body: Body.multipart({
            fields: { kind: "csv" },
            files: { report: { path: file, contentType: "text/csv" }, note: { filename: "n.txt", content: "hello" } },
          }),
        }),
        json,
      )
      expect(body.form).toEqual({ kind: "csv" })
      expect(body.files).toEqual({ report: "a,b\n1,2\n", note: "hello" })
    }).pipe(Effect.provide(client)),
  )

  it.effect("HEAD has headers and no body; header names are case-insensitive", () =>
    Effect.gen(function* () {
      const r = yield* Client.head(`${bin.base}/get`)
      expect(r.status).toBe(200)
      expect(Response.getHeader(r, "content-type")).toBe("application/json")
      expect(Response.getHeader(r, "CONTENT-TYPE")).toBe("application/json")
      expect((yield* Response.bytes(r)).length).toBe(0)
    }).pipe(Effect.provide(client)),
  )

  for (const coding of ["gzip", "deflate", "brotli"]) {
    it.effect(`/${coding} is decompressed`, () =>
      Effect.gen(function* () {
        const body = yield* Effect.flatMap(Client.get(`${bin.base}/${coding}`), json)
        expect(body[coding === "brotli" ? "brotli" : coding === "gzip" ? "gzipped" : "deflated"]).toBe(true)
      }).pipe(Effect.provide(client)),
    )
  }

  it.effect("/stream/N streams N JSON lines", () =>
    Effect.gen(function* () {
      const lines = yield* Effect.scoped(
        Effect.flatMap(Client.execute(Request.get(`${bin.base}/stream/5`)), (r) =>
          Stream.runCollect(Stream.splitLines(Stream.decodeText(Response.stream(r)))),
        ),
      )
      const parsed = [...lines].filter((l) => l !== "").map((l) => JSON.parse(l) as { id: number })
      expect(parsed.map((p) => p.id)).toEqual([0, 1, 2, 3, 4])
    }).pipe(Effect.provide(client)),
  )

  it.effect("/redirect/N and /absolute-redirect/N are followed to /get", () =>
    Effect.gen(function* () {
      const rel = yield* Client.get(`${bin.base}/redirect/3`)
      expect([rel.status, rel.request.url]).toEqual([200, `${bin.base}/get`])
      const abs = yield* Client.get(`${bin.base}/absolute-redirect/3`)
      expect([abs.status, abs.request.url]).toEqual([200, `${bin.base}/get`])
      const limited = yield* Effect.flip(
        Client.get(`${bin.base}/redirect/3`).pipe(Effect.provide(NodeTransport.client({ redirects: 2 }))),
      )
      expect(limited).toBeInstanceOf(HttpError.TooManyRedirects)
    }).pipe(Effect.provide(client)),
  )

  it.effect("/redirect-to another origin drops Authorization; the same origin keeps it", () =>
    Effect.gen(function* () {
      const other = bin.base.replace("127.0.0.1", "localhost")
      const auth = { headers: { Authorization: "Bearer secret" } }
      const cross = yield* Effect.flatMap(
        Client.get(`${bin.base}/redirect-to`, { ...auth, params: { url: `${other}/headers` } }),
        json,
      )
      expect(cross.headers.Authorization).toBeUndefined()
      const same = yield* Effect.flatMap(
        Client.get(`${bin.base}/redirect-to`, { ...auth, params: { url: "/headers" } }),
        json,
      )
      expect(same.headers.Authorization).toBe("Bearer secret")
    }).pipe(Effect.provide(client)),
  )

  it.effect("/status/N gives that status; filterStatusOk turns it into a StatusError", () =>
    Effect.gen(function* () {
      expect((yield* Client.get(`${bin.base}/status/418`)).status).toBe(418)
      const error = yield* Effect.flip(Effect.flatMap(Client.get(`${bin.base}/status/503`), Response.filterStatusOk))
      expect(error).toMatchObject({ _tag: "StatusError", status: 503 })
    }).pipe(Effect.provide(client)),
  )

  it.live("/delay/N with a shorter timeout is a Timeout", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(Client.get(`${bin.base}/delay/3`, { timeout: "300 millis" }))
      expect(error).toMatchObject({ _tag: "Timeout", phase: "total" })
    }).pipe(Effect.provide(client)),
  )

  it.effect("/bytes/N gives N bytes", () =>
    Effect.gen(function* () {
      expect((yield* Effect.flatMap(Client.get(`${bin.base}/bytes/4096`), Response.bytes)).length).toBe(4096)
    }).pipe(Effect.provide(client)),
  )
})
