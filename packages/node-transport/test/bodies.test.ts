// Request and response bodies over real sockets: multipart, file upload, decompression, progress, pieces.
import * as crypto from "node:crypto"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as zlib from "node:zlib"
import { Body, Client, Request, Response } from "@courier/core"
import { NodeDecoding, NodeFiles, NodeTransport } from "@courier/node-transport"
import { describe, expect } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { fold, scoped } from "../../core/test/edition.js"
import { httpServer } from "./servers.js"

/** Echoes what it received: method, headers, and the body parsed as a form when it is multipart. */
const echo = httpServer((req, res) => {
  const chunks: Array<Buffer> = []
  req.on("data", (d: Buffer) => chunks.push(d))
  req.on("end", async () => {
    const body = Buffer.concat(chunks)
    const type = req.headers["content-type"] ?? ""
    let form: Record<string, unknown> | undefined
    if (type.startsWith("multipart/form-data")) {
      // The platform's own multipart parser checks our framing.
      const parsed = await new globalThis.Request("http://x/", {
        method: "POST",
        body,
        headers: { "content-type": type },
      }).formData()
      form = {}
      for (const [k, v] of parsed)
        form[k] = typeof v === "string" ? v : { name: v.name, type: v.type, text: await v.text() }
    }
    res.writeHead(200, { "Content-Type": "application/json" })
    res.end(
      JSON.stringify({ method: req.method, headers: req.headers, length: body.length, text: body.toString(), form }),
    )
  })
})

interface Echo {
  readonly method: string
  readonly headers: Record<string, string>
  readonly length: number
  readonly text: string
  readonly form?: Record<string, unknown>
}
const asEcho = (r: Response.Response) => Effect.map(Response.json(r), (j) => j as Echo)

const tmpFile = (content: string | Buffer) => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "courier-body-")), "report.txt")
  fs.writeFileSync(file, content)
  return file
}

const client = NodeTransport.client()

/** Opens `file` for the test's scope, as requests' `open(path, "rb")` would. */
const opened = (file: string) =>
  Effect.acquireRelease(
    Effect.promise(() => fs.promises.open(file, "r")),
    (handle) => Effect.promise(() => handle.close()),
  )

describe("requests' files= and Zerynth's upload with an open file", () => {
  scoped("files= sends multipart/form-data: a part from a path and one from an open file, with data's fields", () =>
    Effect.gen(function* () {
      const server = yield* echo
      const onDisk = tmpFile('{"red": "#f00"}')
      const handle = yield* opened(tmpFile('{"blue": "#00f"}'))
      const file = yield* NodeFiles.fromHandle(handle)
      const e = yield* Effect.flatMap(
        Client.post(`${server.url}/colors`, {
          data: { palette: "primary" },
          files: {
            first: { path: onDisk, filename: "colors1.json", contentType: "application/json" },
            second: { file, filename: "colors2.json", contentType: "application/json" },
          },
        }),
        asEcho,
      )
      expect(Number(e.headers["content-length"])).toBe(e.length)
      expect(e.form).toEqual({
        palette: "primary",
        first: { name: "colors1.json", type: "application/json", text: '{"red": "#f00"}' },
        second: { name: "colors2.json", type: "application/json", text: '{"blue": "#00f"}' },
      })
    }).pipe(Effect.provide(client)),
  )

  scoped("upload takes an open file as well as a path, sent whole with its size, again on a second call", () =>
    Effect.gen(function* () {
      const server = yield* echo
      const handle = yield* opened(tmpFile(Buffer.alloc(200_000, "q")))
      const file = yield* NodeFiles.fromHandle(handle)
      for (let i = 0; i < 2; i++) {
        const e = yield* Effect.flatMap(Client.upload(`${server.url}/up`, file, { mimeType: "text/plain" }), asEcho)
        expect([e.method, e.headers["content-length"], e.headers["content-type"], e.length]).toEqual([
          "POST",
          "200000",
          "text/plain",
          200_000,
        ])
      }
    }).pipe(Effect.provide(client)),
  )
})

describe("NodeFiles.writeBody", () => {
  scoped("writes a streamed body to a file as it arrives, and says how many bytes", () =>
    Effect.gen(function* () {
      const piece = Buffer.alloc(64 * 1024, "w")
      const server = yield* httpServer((_req, res) => {
        for (let i = 0; i < 48; i++) res.write(piece)
        res.end("end")
      })
      const target = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "courier-save-")), "body.bin")
      const written = yield* Effect.scoped(
        Effect.flatMap(Client.execute(Request.get(server.url)), NodeFiles.writeBody(target)),
      )
      expect(written).toBe(48 * 64 * 1024 + 3)
      const saved = fs.readFileSync(target)
      expect([saved.length, saved.subarray(-3).toString()]).toEqual([written, "end"])
    }).pipe(Effect.provide(client)),
  )

  scoped("a file that cannot be written is a WriteError naming the path", () =>
    Effect.gen(function* () {
      const server = yield* httpServer((_req, res) => res.end("x"))
      const error = yield* Effect.flip(
        Effect.scoped(
          Effect.flatMap(Client.execute(Request.get(server.url)), NodeFiles.writeBody("/nonexistent/dir/f")),
        ),
      )
      expect(error._tag === "WriteError" && error.path).toBe("/nonexistent/dir/f")
    }).pipe(Effect.provide(client)),
  )
})

describe("request bodies", () => {
  scoped("multipart: fields, text content, a stream and a file path, with a computed Content-Length", () =>
    Effect.gen(function* () {
      const server = yield* echo
      const file = tmpFile("file on disk")
      const body = Body.multipart({
        fields: { title: "Quarterly", 'a "quoted" name': "v" },
        files: {
          report: { path: file, contentType: "text/plain" },
          inline: { filename: "inline.json", content: '{"a":1}', contentType: "application/json" },
          streamed: { filename: "s.bin", stream: Stream.make(new TextEncoder().encode("from a stream")), length: 13 },
        },
      })
      const e = yield* Effect.flatMap(
        Client.fetch(Request.post(`${server.url}/upload`).pipe(Request.setBody(body))),
        asEcho,
      )
      expect(e.headers["content-type"]).toMatch(/^multipart\/form-data; boundary=/)
      expect(Number(e.headers["content-length"])).toBe(e.length)
      expect(e.headers["transfer-encoding"]).toBeUndefined()
      expect(e.form).toEqual({
        title: "Quarterly",
        // Escaped as %22 on the wire (WHATWG), and unescaped by the parser: the name round-trips.
        'a "quoted" name': "v",
        report: { name: "report.txt", type: "text/plain", text: "file on disk" },
        inline: { name: "inline.json", type: "application/json", text: '{"a":1}' },
        streamed: { name: "s.bin", type: "application/octet-stream", text: "from a stream" },
      })
    }).pipe(Effect.provide(client)),
  )

  scoped("a stream part of unknown length makes the whole body chunked", () =>
    Effect.gen(function* () {
      const server = yield* echo
      const body = Body.multipart({ files: { s: { filename: "s", stream: Stream.make(new Uint8Array([65, 66])) } } })
      const e = yield* Effect.flatMap(Client.post(`${server.url}/`, { body }), asEcho)
      expect(e.headers["transfer-encoding"]).toBe("chunked")
      expect(e.form).toEqual({ s: { name: "s", type: "application/octet-stream", text: "AB" } })
    }).pipe(Effect.provide(client)),
  )

  scoped("small writes batched per event-loop turn keep their order around large ones", () =>
    Effect.gen(function* () {
      const server = yield* echo
      const big = new Uint8Array(100_000).fill(66)
      const parts = [new TextEncoder().encode("head-"), big, new TextEncoder().encode("-tail")]
      const e = yield* Effect.flatMap(
        Client.post(`${server.url}/order`, { body: Body.stream(Stream.fromIterable(parts)) }),
        asEcho,
      )
      expect(e.length).toBe(100_010)
      expect(e.text.startsWith("head-B")).toBe(true)
      expect(e.text.endsWith("B-tail")).toBe(true)
      const sized = yield* Effect.flatMap(
        Client.post(`${server.url}/order`, { body: Body.stream(Stream.fromIterable(parts), { length: 100_010 }) }),
        asEcho,
      )
      expect(sized.text).toBe(e.text)
    }).pipe(Effect.provide(client)),
  )

  scoped("upload streams a file from disk with its Content-Length, by POST or PUT, with its MIME type", () =>
    Effect.gen(function* () {
      const server = yield* echo
      const content = Buffer.alloc(300_000, "z")
      const file = tmpFile(content)
      const post = yield* Effect.flatMap(Client.upload(`${server.url}/up`, file, { mimeType: "text/csv" }), asEcho)
      expect([post.method, post.headers["content-type"], post.headers["content-length"], post.length]).toEqual([
        "POST",
        "text/csv",
        "300000",
        300_000,
      ])
      const put = yield* Effect.flatMap(Client.upload(`${server.url}/up`, file, { method: "PUT" }), asEcho)
      expect([put.method, put.headers["content-type"]]).toEqual(["PUT", "application/octet-stream"])
    }).pipe(Effect.provide(client)),
  )

  scoped("a missing file is an EncodeError before anything is sent", () =>
    Effect.gen(function* () {
      const server = yield* echo
      const error = yield* Effect.flip(Client.upload(`${server.url}/up`, "/nonexistent/file.bin"))
      expect(error._tag).toBe("EncodeError")
      expect(error.message).toContain("/nonexistent/file.bin")
      expect(server.connections()).toBe(0)
    }).pipe(Effect.provide(client)),
  )

  scoped("a body in memory past 1 MiB goes out piece by piece as the socket takes it, whole and in order", () =>
    Effect.gen(function* () {
      const payload = crypto.randomBytes(3 * 1024 * 1024 + 17)
      const server = yield* httpServer((req, res) => {
        const h = crypto.createHash("sha256")
        let n = 0
        req.on("data", (d: Buffer) => {
          n += d.length
          h.update(d)
        })
        req.on("end", () => res.end(`${n} ${h.digest("hex")}`))
      })
      const r = yield* Client.post(`${server.url}/big`, { body: Body.bytes(payload) })
      const expected = `${payload.length} ${crypto.createHash("sha256").update(payload).digest("hex")}`
      expect(yield* Response.text(r)).toBe(expected)
    }).pipe(Effect.provide(client)),
  )

  scoped("upload progress reports bytes written against the total", () =>
    Effect.gen(function* () {
      const server = yield* echo
      const seen: Array<[number, number | undefined]> = []
      yield* Client.post(`${server.url}/p`, {
        body: Body.bytes(new Uint8Array(200_000)),
        onUploadProgress: (p) => Effect.sync(() => seen.push([p.transferred, p.total])),
      })
      expect(seen.length).toBeGreaterThan(2)
      expect(seen.at(-1)).toEqual([200_000, 200_000])
      expect(seen.every(([, total]) => total === 200_000)).toBe(true)
    }).pipe(Effect.provide(client)),
  )
})

const big = "courier ".repeat(20_000)
const compressed = httpServer((req, res) => {
  const coding = req.url?.slice(1) ?? ""
  const encode: Record<string, () => Buffer> = {
    gzip: () => zlib.gzipSync(big),
    deflate: () => zlib.deflateSync(big),
    "raw-deflate": () => zlib.deflateRawSync(big),
    br: () => zlib.brotliCompressSync(big),
    "gzip-twice": () => zlib.gzipSync(zlib.gzipSync(big)),
    bomb: () => zlib.gzipSync(Buffer.alloc(50 * 1024 * 1024)),
    six: () => Buffer.from(big),
    corrupt: () => Buffer.from("definitely not gzip"),
  }
  const names: Record<string, string> = {
    "raw-deflate": "deflate",
    "gzip-twice": "gzip, gzip",
    bomb: "gzip",
    six: "identity, gzip, gzip, gzip, gzip, gzip, gzip",
    corrupt: "gzip",
  }
  const body = encode[coding]?.() ?? Buffer.from(big)
  res.writeHead(200, {
    "Content-Encoding": names[coding] ?? coding,
    "Content-Length": body.length,
    "X-Accept-Encoding": String(req.headers["accept-encoding"] ?? ""),
  })
  res.end(body)
})

/** What the Client offers: zstd too where node:zlib decodes it (Node ≥ 22.15). */
const offered = NodeDecoding.decodesZstd ? "gzip, deflate, br, zstd" : "gzip, deflate, br"

/** A zstd frame (RFC 8878 §3.1.1) holding `data` as one raw block, its size in a one-byte header field. */
const zstdRaw = (data: Buffer): Buffer => {
  const block = 1 | (data.length << 3) // Last_Block, Raw_Block, Block_Size
  return Buffer.concat([
    Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x20, data.length]),
    Buffer.from([block & 0xff, (block >> 8) & 0xff, (block >> 16) & 0xff]),
    data,
  ])
}

/**
 * A zstd frame of `blocks` RLE blocks of 128 KiB of zeros each (4 bytes of input per block), with a window
 * of 2^`windowLog`: 8192 blocks make 1 GiB.
 */
const zstdRle = (blocks: number, windowLog = 17): Buffer => {
  const header = Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, (windowLog - 10) << 3])
  const rle = (last: boolean) => {
    const value = (last ? 1 : 0) | (1 << 1) | ((128 * 1024) << 3)
    return Buffer.from([value & 0xff, (value >> 8) & 0xff, (value >> 16) & 0xff, 0])
  }
  return Buffer.concat([header, ...Array.from({ length: blocks }, (_, i) => rle(i === blocks - 1))])
}

describe("zstd (RFC 8878): offered where node:zlib has it", () => {
  const frames: Record<string, Buffer> = { small: zstdRaw(Buffer.from("zstd says hello")) }
  const zstdServer = httpServer((req, res) => {
    const frame = frames[req.url?.slice(1) ?? ""] ?? Buffer.alloc(0)
    res.writeHead(200, { "Content-Encoding": "zstd", "X-Accept-Encoding": String(req.headers["accept-encoding"]) })
    res.end(frame)
  })

  scoped("zstd is offered and decoded where the runtime can, and is a DecodeError, not raw bytes, where not", () =>
    Effect.gen(function* () {
      const server = yield* zstdServer
      const r = yield* Client.execute(Request.get(`${server.url}/small`))
      expect(Response.getHeader(r, "x-accept-encoding")).toBe(offered)
      if (NodeDecoding.decodesZstd) {
        expect(yield* Response.text(r)).toBe("zstd says hello")
      } else {
        const error = yield* Effect.flip(Response.text(r))
        expect(error).toMatchObject({ _tag: "DecodeError", expected: "zstd data" })
        expect(error.message).toContain("Node 22.15")
      }
    }).pipe(Effect.provide(client)),
  )
})

describe.runIf(NodeDecoding.decodesZstd)("zstd under the decoding bounds (Node ≥ 22.15)", () => {
  const zstdServer = httpServer((req, res) => {
    const frames: Record<string, Buffer> = {
      bomb: zstdRle(8192),
      "wide-window": zstdRle(1, 27),
      corrupt: Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x28, 0x05, 0x29, 0, 0, 1, 2, 3, 4, 5]),
      // A whole frame less its last four bytes: Node 22's decoder alone would end it without an error.
      cut: zstdRaw(Buffer.from("this body is cut short")).subarray(0, -4),
    }
    res.writeHead(200, { "Content-Encoding": "zstd" })
    res.end(frames[req.url?.slice(1) ?? ""] ?? Buffer.alloc(0))
  })

  scoped(
    "a 1 GiB zstd bomb stops at maxDecodedBytes; a window past 8 MiB, a corrupt frame and a cut one are DecodeErrors",
    () =>
      Effect.gen(function* () {
        const server = yield* zstdServer
        const limited = NodeTransport.client({ maxDecodedBytes: 10 * 1024 * 1024 })
        const bomb = yield* Effect.flip(Client.get(`${server.url}/bomb`).pipe(Effect.provide(limited)))
        expect(bomb).toMatchObject({ _tag: "BodyTooLarge", decoded: true, limit: 10 * 1024 * 1024 })
        for (const path of ["wide-window", "corrupt", "cut"]) {
          const error = yield* Effect.flip(Client.get(`${server.url}/${path}`).pipe(Effect.provide(client)))
          expect([path, error._tag]).toEqual([path, "DecodeError"])
        }
      }),
  )
})

describe("decompression", () => {
  for (const coding of ["gzip", "deflate", "raw-deflate", "br", "gzip-twice"]) {
    scoped(`${coding} is decoded`, () =>
      Effect.gen(function* () {
        const server = yield* compressed
        const r = yield* Client.get(`${server.url}/${coding}`)
        expect(yield* Response.text(r)).toBe(big)
        expect(Response.getHeader(r, "x-accept-encoding")).toBe(offered)
      }).pipe(Effect.provide(client)),
    )
  }

  scoped("streamed responses are decoded as they stream", () =>
    Effect.gen(function* () {
      const server = yield* compressed
      const text = yield* Effect.scoped(
        Effect.flatMap(Client.execute(Request.get(`${server.url}/gzip`)), (r) =>
          fold(Response.stream(r), "", (acc, c) => acc + new TextDecoder().decode(c)),
        ),
      )
      expect(text).toBe(big)
    }).pipe(Effect.provide(client)),
  )

  scoped("the decoded size is limited, chunk by chunk: a gzip bomb is BodyTooLarge", () =>
    Effect.gen(function* () {
      const server = yield* compressed
      const error = yield* Effect.flip(Client.get(`${server.url}/bomb`))
      expect(error).toMatchObject({ _tag: "BodyTooLarge", limit: 1024 * 1024 })
    }).pipe(Effect.provide(NodeTransport.client({ maxDecodedBytes: 1024 * 1024 }))),
  )

  scoped("more than five codings, or corrupt data, is a DecodeError", () =>
    Effect.gen(function* () {
      const server = yield* compressed
      expect(yield* Effect.flip(Client.get(`${server.url}/six`))).toMatchObject({ _tag: "DecodeError" })
      expect(yield* Effect.flip(Client.get(`${server.url}/corrupt`))).toMatchObject({
        _tag: "DecodeError",
        expected: "gzip data",
      })
    }).pipe(Effect.provide(client)),
  )

  scoped("Accept-Encoding can be replaced per request, and decompression turned off", () =>
    Effect.gen(function* () {
      const server = yield* compressed
      const own = yield* Client.get(`${server.url}/plain`, { headers: { "Accept-Encoding": "identity" } })
      expect(Response.getHeader(own, "x-accept-encoding")).toBe("identity")
      const raw = yield* Client.get(`${server.url}/gzip`).pipe(
        Effect.provide(NodeTransport.client({ decompress: false })),
      )
      expect(Response.getHeader(raw, "x-accept-encoding")).toBe("")
      expect(zlib.gunzipSync(yield* Response.bytes(raw)).toString()).toBe(big)
    }).pipe(Effect.provide(client)),
  )
})

describe("reading responses in pieces", () => {
  scoped("onChunk gets the body 512 bytes at a time by default, and the response keeps the last piece", () =>
    Effect.gen(function* () {
      const server = yield* compressed
      const sizes: Array<number> = []
      const r = yield* Client.get(`${server.url}/plain`, { onChunk: (c) => Effect.sync(() => sizes.push(c.length)) })
      expect(sizes.reduce((a, b) => a + b, 0)).toBe(big.length)
      expect(sizes.slice(0, -1).every((n) => n === 512)).toBe(true)
      expect((yield* Response.bytes(r)).length).toBe(sizes.at(-1))
      const custom: Array<number> = []
      yield* Client.get(`${server.url}/plain`, {
        onChunk: (c) => Effect.sync(() => custom.push(c.length)),
        chunkSize: 10_000,
      })
      expect(custom.slice(0, -1).every((n) => n === 10_000)).toBe(true)
    }).pipe(Effect.provide(client)),
  )

  scoped("download progress reports as pieces arrive, when the body is read into memory as when streamed", () =>
    Effect.gen(function* () {
      const body = Buffer.alloc(300_000, 7)
      const server = yield* httpServer((_req, res) => {
        res.writeHead(200, { "Content-Length": body.length })
        res.end(body)
      })
      const reports = (how: "one call" | "fetch" | "execute") =>
        Effect.gen(function* () {
          const seen: Array<readonly [number, number | undefined]> = []
          const onDownloadProgress = (p: Request.Progress) => Effect.sync(() => seen.push([p.transferred, p.total]))
          const request = Request.get(`${server.url}/big`, { onDownloadProgress })
          const r =
            how === "one call"
              ? yield* Client.get(`${server.url}/big`, { onDownloadProgress })
              : how === "fetch"
                ? yield* Client.fetch(request)
                : yield* Effect.scoped(Effect.flatMap(Client.execute(request), Response.buffered))
          expect((yield* Response.bytes(r)).length).toBe(body.length)
          return seen
        })
      for (const how of ["one call", "fetch", "execute"] as const) {
        const seen = yield* reports(how)
        // Node reads a socket 64 KiB at a time at most: 300 kB is five reads or more, each one reported.
        expect(seen.length).toBeGreaterThanOrEqual(5)
        expect(seen.every(([n], i) => i === 0 || n > (seen[i - 1]?.[0] ?? 0))).toBe(true)
        expect(seen.at(-1)).toEqual([body.length, body.length])
      }
      // A body read into memory keeps its limit while it is reported.
      const error = yield* Effect.flip(
        Client.get(`${server.url}/big`, { onDownloadProgress: () => Effect.void, maxResponseBytes: 100_000 }),
      )
      expect(error).toMatchObject({ _tag: "BodyTooLarge", limit: 100_000 })
    }).pipe(Effect.provide(client)),
  )

  scoped("download progress reports bytes read against Content-Length", () =>
    Effect.gen(function* () {
      const server = yield* compressed
      const seen: Array<[number, number | undefined]> = []
      yield* Client.get(`${server.url}/plain`, {
        headers: { "Accept-Encoding": "identity" },
        onDownloadProgress: (p) => Effect.sync(() => seen.push([p.transferred, p.total])),
      })
      expect(seen.at(-1)).toEqual([big.length, big.length])
    }).pipe(Effect.provide(client)),
  )
})
