// What a middleware can do with bodies, over real sockets on 127.0.0.1: sign a request's body whatever its
// kind (text, a stream that runs once, a file, a multipart upload) and still send it, digest a large file
// without holding it, and rewrite a streamed response's status and headers without reading its body.
import * as crypto from "node:crypto"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Body, Client, Request, Response, Retry } from "@courier/core"
import { NodeTransport } from "@courier/node-transport"
import { describe, expect } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Schedule from "effect/Schedule"
import * as Stream from "effect/Stream"
import { scoped } from "../../core/test/edition.js"
import { httpServer } from "./servers.js"

const hmac = (bytes: Uint8Array) => crypto.createHmac("sha256", "shared").update(bytes).digest("hex")

/** Answers 401 once to the first request it sees of each path when `flaky`, then whether X-Signature is the HMAC of the body it received. */
const verifier = (flaky: boolean) =>
  Effect.gen(function* () {
    const seen = new Set<string>()
    const server = yield* httpServer((req, res) => {
      const chunks: Array<Buffer> = []
      req.on("data", (d: Buffer) => chunks.push(d))
      req.on("end", () => {
        const body = Buffer.concat(chunks)
        if (flaky && !seen.has(req.url ?? "")) {
          seen.add(req.url ?? "")
          res.writeHead(503, { "Retry-After": "0" })
          return res.end()
        }
        const ok = req.headers["x-signature"] === hmac(body)
        res.writeHead(ok ? 200 : 403, { "Content-Type": "application/json" })
        res.end(JSON.stringify({ ok, length: body.length, type: req.headers["content-type"] ?? null }))
      })
    })
    return server
  })

/** Signs each request's body into X-Signature, leaving a body that can still be sent. */
const signed = Client.mapRequestEffect((request) =>
  Effect.map(Request.readBody(request), ({ bytes, request }) => Request.setHeader(request, "X-Signature", hmac(bytes))),
)

const tmpFile = (bytes: Uint8Array) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "courier-sign-"))
  const file = path.join(dir, "upload.bin")
  fs.writeFileSync(file, bytes)
  return file
}

describe("a signer reads the body and the request still sends it", () => {
  scoped("text, a stream that runs once, a file and a multipart upload: signed, sent whole, and sent again", () =>
    Effect.gen(function* () {
      const server = yield* verifier(true)
      const payload = crypto.randomBytes(200_000)
      const file = tmpFile(payload)
      // The retry sits below the signer: it sees the signed request, whose body can be sent again.
      const client = (yield* Client.Client).pipe(
        Client.retry(Retry.make({ schedule: Schedule.recurs(1), methods: "all" })),
        signed,
      )
      const bodies = {
        text: Body.text("hello"),
        once: Body.stream(Stream.make(payload.subarray(0, 1000), payload.subarray(1000)), { length: payload.length }),
        file: Body.file(file),
        multipart: Body.multipart({ fields: { a: "1" }, files: { doc: { path: file } } }),
      }
      for (const [name, body] of Object.entries(bodies)) {
        // Each path is refused once with a 503 and retried: the signed body must be sent a second time.
        const r = yield* client.fetch(Request.post(`${server.url}/${name}`, { body }))
        const seen = (yield* Response.json(r)) as { ok: boolean; length: number; type: string }
        expect([name, r.status, seen.ok]).toEqual([name, 200, true])
        if (name === "once" || name === "file") expect(seen.length).toBe(payload.length)
        if (name === "multipart") expect(seen.type).toMatch(/^multipart\/form-data; boundary=/)
      }
    }).pipe(Effect.provide(NodeTransport.client())),
  )

  scoped("a stream past the limit is an EncodeError before anything is sent", () =>
    Effect.gen(function* () {
      const server = yield* verifier(false)
      const client = (yield* Client.Client).pipe(
        Client.mapRequestEffect((request) =>
          Effect.map(Request.readBody(request, { maxBytes: 1000 }), (r) => r.request),
        ),
      )
      const body = Body.stream(Stream.make(new Uint8Array(600), new Uint8Array(600)))
      const error = yield* Effect.flip(client.fetch(Request.post(`${server.url}/big`, { body })))
      expect(error._tag).toBe("EncodeError")
      expect(error.message).toContain("larger than 1000 bytes")
      expect(server.connections()).toBe(0)
    }).pipe(Effect.provide(NodeTransport.client())),
  )

  scoped("a file's SHA-256 digest is computed as it streams, and the file is sent as it is", () =>
    Effect.gen(function* () {
      const payload = crypto.randomBytes(3 * 1024 * 1024)
      const file = tmpFile(payload)
      let received = ""
      const server = yield* httpServer((req, res) => {
        const h = crypto.createHash("sha256")
        req.on("data", (d: Buffer) => h.update(d))
        req.on("end", () => {
          received = h.digest("base64")
          res.end()
        })
      })
      const client = (yield* Client.Client).pipe(
        Client.mapRequestEffect((request) =>
          Effect.map(Request.digestBody(request, "SHA-256", { maxBytes: 1024 }), ({ digest, request }) =>
            Request.setHeader(request, "Content-Digest", `sha-256=:${Buffer.from(digest).toString("base64")}:`),
          ),
        ),
      )
      // maxBytes is far below the file: it is never held, only hashed, and still sent whole.
      const r = yield* client.fetch(Request.post(`${server.url}/digest`, { body: Body.file(file) }))
      expect(r.status).toBe(200)
      expect(received).toBe(crypto.createHash("sha256").update(payload).digest("base64"))
    }).pipe(Effect.provide(NodeTransport.client())),
  )
})

describe("a transform rewrites a response without reading it", () => {
  scoped("410 becomes 404 with its streamed body and trailers intact; the original reads as already read", () =>
    Effect.gen(function* () {
      // The rest of the body and the trailers wait until the client has the head: the body is on the wire.
      let finish: () => void = () => undefined
      const server = yield* httpServer((_req, res) => {
        res.writeHead(410, "Gone", { "Content-Type": "text/plain", Trailer: "X-Sum", "X-Old": "1" })
        res.write("gone ")
        finish = () => {
          res.addTrailers({ "X-Sum": "abc" })
          res.end("for good")
        }
      })
      let original: Response.Response | undefined
      const client = (yield* Client.Client).pipe(
        Client.mapResponse((response) => {
          original = response
          return response.status === 410
            ? response.pipe(Response.setStatus(404, "Not Found"), Response.removeHeader("X-Old"))
            : response
        }),
      )
      const r = yield* client.execute(Request.get(`${server.url}/old`))
      expect([r.status, r.reason, Response.getHeader(r, "x-old")]).toEqual([404, "Not Found", undefined])
      finish()
      expect(yield* Response.text(r)).toBe("gone for good")
      expect((yield* Response.trailers(r)).entries).toEqual([["X-Sum", "abc"]])
      const again = original === undefined ? undefined : yield* Effect.flip(Response.text(original))
      expect(again?._tag).toBe("BodyAlreadyRead")
    }).pipe(Effect.scoped, Effect.provide(NodeTransport.client())),
  )
})
