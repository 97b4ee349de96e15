/**
 * Seed 004 — Zerynth's `requests` module — in Courier, one function per function: get with params, post,
 * put and patch with data and json (data wins), delete, head, options, upload, streaming with a chunk
 * callback, a kept-alive connection reused across requests, and the errors when no server is there.
 * Each returns what a Zerynth program would look at on the Response: status, content, headers, connection.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Client, Request, Response } from "@courier/core"
import { NodeFiles } from "@courier/node-transport"
import * as Effect from "effect/Effect"

interface Echo {
  readonly args: Record<string, string>
  readonly form: Record<string, string>
  readonly json: unknown
  readonly method: string
  readonly headers: Record<string, string>
  readonly sha256: string
  readonly length: number
}
const echo = (r: Response.Response) => Effect.map(Response.json(r), (j) => j as Echo)

/** get(url, params=…, headers=…): Host comes from the URL, params are encoded into it. */
export const get = (base: string) =>
  Effect.gen(function* () {
    const r = yield* Client.get(`${base}/get`, {
      params: { city: "Pisa", units: "metric" },
      headers: { Accept: "application/json" },
    })
    const e = yield* echo(r)
    return { status: r.status, args: e.args, host: e.headers.Host }
  })

/** post/put/patch(url, data=…, json=…): when both are given the form is sent and the JSON ignored. */
export const send = (base: string) =>
  Effect.gen(function* () {
    const post = yield* Effect.flatMap(
      Client.post(`${base}/post`, { data: { temp: "21" }, json: { ignored: true } }),
      echo,
    )
    const put = yield* Effect.flatMap(Client.put(`${base}/put`, { json: { temp: 22 } }), echo)
    const patch = yield* Effect.flatMap(Client.patch(`${base}/patch`, { data: { temp: "23" } }), echo)
    return {
      post: { form: post.form, json: post.json, type: post.headers["Content-Type"] },
      put: { json: put.json, type: put.headers["Content-Type"] },
      patch: { form: patch.form },
    }
  })

/** delete, head and options. */
export const others = (base: string) =>
  Effect.gen(function* () {
    const del = yield* Effect.flatMap(Client.del(`${base}/delete`), echo)
    const head = yield* Client.head(`${base}/`)
    const options = yield* Client.options(`${base}/anything/x`)
    return {
      delete: del.method,
      head: {
        status: head.status,
        contentLength: Response.getHeader(head, "content-length"),
        body: (yield* Response.bytes(head)).length,
      },
      options: { status: options.status, allow: Response.getHeader(options, "allow") },
    }
  })

/** upload(url, fd, mime_type, method): an open file streamed with its Content-Length (a path works too). */
export const upload = (base: string) =>
  Effect.gen(function* () {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "courier-zerynth-")), "firmware.bin")
    fs.writeFileSync(file, Buffer.alloc(100_000, 7))
    const fd = yield* Effect.acquireRelease(
      Effect.promise(() => fs.promises.open(file, "r")),
      (h) => Effect.promise(() => h.close()),
    )
    const opened = yield* NodeFiles.fromHandle(fd)
    const r = yield* Client.upload(`${base}/put`, opened, { mimeType: "application/x-firmware", method: "PUT" })
    const e = yield* echo(r)
    return {
      status: r.status,
      method: e.method,
      length: e.length,
      type: e.headers["Content-Type"],
      sent: e.headers["Content-Length"],
    }
  })

/** get(url, stream_callback=f, stream_chunk=512): the body in pieces; the Response content is the last one. */
export const stream = (base: string) =>
  Effect.gen(function* () {
    let chunks = 0
    let bytes = 0
    const r = yield* Client.get(`${base}/stream-bytes/10000`, {
      onChunk: (c) =>
        Effect.sync(() => {
          chunks++
          bytes += c.length
        }),
    })
    return { chunks, bytes, lastChunk: (yield* Response.bytes(r)).length }
  })

/** connection=: requests carried one after another by one kept-alive connection. */
export const keepAlive = (base: string) =>
  Effect.scoped(
    Effect.gen(function* () {
      const connection = yield* Client.pinned(base)
      const seen: Array<{ readonly id: number | undefined; readonly reused: boolean | undefined }> = []
      for (const route of ["/get", "/headers", "/get"]) {
        const r = yield* connection.fetch(Request.get(`${base}${route}`))
        seen.push({ id: r.connection?.id, reused: r.connection?.reused })
      }
      return { connections: new Set(seen.map((s) => s.id)).size, reused: seen.map((s) => s.reused) }
    }),
  )

/** HTTPConnectionError when the server can't be contacted. */
export const unreachable = Effect.map(Effect.flip(Client.get("http://127.0.0.1:1/")), (e) => ({
  error: e._tag,
  message: e.message,
}))
