import { Http1 } from "@courier/core"
import { describe, expect, it } from "@effect/vitest"
import { decodeChunks, latin1, type Outcome, splits } from "./decode.js"
import { FastCheck } from "./edition.js"
import { type WireCase, wireCases } from "./wire-cases.js"

const check = (c: WireCase, outcome: Outcome) => {
  if ("error" in c.expect) {
    expect(outcome.error?._tag).toBe(c.expect.error)
    if (c.expect.detail) expect(outcome.error).toMatchObject(c.expect.detail)
    return
  }
  const e = c.expect
  expect(outcome.error).toBeUndefined()
  expect(outcome.ended).toBe(true)
  expect(outcome.status).toBe(e.status)
  expect(outcome.body).toBe(e.body)
  if (e.version !== undefined) expect(outcome.version).toBe(e.version)
  if (e.reason !== undefined) expect(outcome.reason).toBe(e.reason)
  if (e.headers !== undefined) expect(outcome.headers).toEqual(e.headers)
  if (e.trailers !== undefined) expect(outcome.trailers).toEqual(e.trailers)
  if (e.keepAlive !== undefined) expect(outcome.keepAlive).toBe(e.keepAlive)
  expect(outcome.informational).toEqual(e.informational ?? [])
}

describe("Http1 response decoder: wire cases", () => {
  for (const c of wireCases) {
    describe(c.name, () => {
      const bytes = latin1(c.wire)
      it("decodes the same at every split point", () => {
        for (const { label, chunks } of splits(bytes)) {
          try {
            check(c, decodeChunks(c.method ?? "GET", chunks, c.eof ?? false))
          } catch (e) {
            throw new Error(`${label}: ${e instanceof Error ? e.message : String(e)}`)
          }
        }
      })
      if (!("error" in c.expect) && c.eof !== true) {
        it("keeps bytes after the message as leftover", () => {
          const outcome = decodeChunks(c.method ?? "GET", [latin1(`${c.wire}HTTP/1.1 200 OK\r\n`)], false)
          check(c, outcome)
          expect(outcome.leftover).toBe("HTTP/1.1 200 OK\r\n")
        })
      }
    })
  }
})

describe("Http1 response decoder: behaviour", () => {
  it("refuses further input after an error", () => {
    const decoder = Http1.makeDecoder("GET")
    const first = decoder.feed(latin1("NOPE 200 OK\r\n\r\n"))
    expect(first.at(-1)?._tag).toBe("Error")
    expect(decoder.feed(latin1("HTTP/1.1 200 OK\r\n\r\n"))).toEqual([first.at(-1)])
    expect(decoder.eof()).toEqual([first.at(-1)])
  })

  it("ends every feed with NeedData, End or Error", () => {
    const decoder = Http1.makeDecoder("GET")
    expect(decoder.feed(latin1("HTTP/1.1 200 OK\r\n")).at(-1)?._tag).toBe("NeedData")
    expect(decoder.feed(latin1("Content-Length: 1\r\n\r\n")).at(-1)?._tag).toBe("NeedData")
    expect(decoder.feed(latin1("x")).at(-1)?._tag).toBe("End")
  })

  it("fails fast on a status line that cannot be HTTP, once the line the error shows is known", () => {
    // Known at the first byte that cannot be in a status line (a CR, a control: a TLS alert, a binary
    // greeting), or at the 200th character; before that, the same bytes whole would show more of the line.
    expect(decodeChunks("GET", [latin1("garbage\r")], false).error).toEqual({ _tag: "BadStatusLine", line: "garbage" })
    expect(decodeChunks("GET", [latin1("\x15\x03\x03")], false).error).toEqual({ _tag: "BadStatusLine", line: "\x15" })
    expect(decodeChunks("GET", [latin1("x".repeat(250))], false).error).toEqual({
      _tag: "BadStatusLine",
      line: "x".repeat(200),
    })
    const waiting = decodeChunks("GET", [latin1("garbage")], false)
    expect([waiting.error, decodeChunks("GET", [latin1("garbage")], true).error]).toEqual([
      undefined,
      { _tag: "BadStatusLine", line: "garbage" },
    ])
  })

  it("reports where a protocol error happened", () => {
    const outcome = decodeChunks("GET", [latin1("HTTP/1.1 200 OK\r\nGood: 1\r\nBad : 2\r\n\r\n")], false)
    expect(outcome.error).toEqual({ _tag: "ProtocolError", reason: "whitespace before the colon", offset: 26 })
  })

  it("is reusable only after a complete keep-alive message with nothing trailing", () => {
    const decoder = Http1.makeDecoder("GET")
    decoder.feed(latin1("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\no"))
    expect(decoder.reusable).toBe(false)
    decoder.feed(latin1("k"))
    expect(decoder.reusable).toBe(true)
    decoder.feed(latin1("stray"))
    expect(decoder.reusable).toBe(false)
  })

  it("hands out body bytes without copying them", () => {
    const chunk = latin1("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc")
    const data = Http1.makeDecoder("GET")
      .feed(chunk)
      .find((e) => e._tag === "Data")
    expect(data?._tag === "Data" && data.chunk.buffer).toBe(chunk.buffer)
  })
})

describe("Http1 response decoder: limits, at the limit and one past it", () => {
  const cases: ReadonlyArray<{
    readonly limit: string
    readonly constant: number
    readonly build: (n: number) => string
    readonly chunked?: boolean
  }> = [
    {
      limit: "head size",
      constant: Http1.MAX_HEAD_BYTES,
      // Status line (17 bytes) + field lines of 1000 bytes + a last line that fills up + the blank line = n.
      build: (n) => {
        const fill = n - 17 - 2
        const full = Math.floor(fill / 1000) - 1
        const line = `X: ${"a".repeat(995)}\r\n`
        return `HTTP/1.1 200 OK\r\n${line.repeat(full)}Y: ${"b".repeat(fill - full * 1000 - 5)}\r\n\r\n`
      },
    },
    {
      limit: "line length",
      constant: Http1.MAX_LINE_BYTES,
      build: (n) => `HTTP/1.1 200 OK\r\nX: ${"a".repeat(n - 3)}\r\nContent-Length: 0\r\n\r\n`,
    },
    {
      limit: "header count",
      constant: Http1.MAX_HEADER_COUNT,
      build: (n) => `HTTP/1.1 200 OK\r\n${"X: 1\r\n".repeat(n - 1)}Content-Length: 0\r\n\r\n`,
    },
    {
      limit: "chunk line",
      constant: Http1.MAX_CHUNK_LINE_BYTES,
      build: (n) => `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1;${"e".repeat(n - 2)}\r\na\r\n0\r\n\r\n`,
    },
    {
      limit: "chunk extensions",
      constant: Http1.MAX_CHUNK_EXTENSION_BYTES,
      // Eight chunks, each "1" + ";" + extension name, adding up to n extension bytes.
      build: (n) => {
        const chunk = `1;${"e".repeat(n / 8 - 1)}\r\na\r\n`
        return `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${chunk.repeat(8)}0\r\n\r\n`
      },
    },
    {
      limit: "informational heads",
      constant: Http1.MAX_HEAD_BYTES,
      // Four 103 heads adding up to n bytes (each is 33 bytes + its field value), then the final response.
      build: (n) => {
        const early = (k: number) => `HTTP/1.1 103 Early Hints\r\nL: ${"a".repeat(k)}\r\n\r\n`
        const each = Math.floor(n / 4)
        return `${early(each - 33).repeat(3)}${early(n - 3 * each - 33)}HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n`
      },
    },
  ]
  for (const c of cases) {
    it(`${c.limit}: ${c.constant} passes, ${c.constant + (c.limit === "chunk extensions" ? 8 : 1)} fails`, () => {
      const over = c.limit === "chunk extensions" ? 8 : 1
      for (const chunks of [
        [latin1(c.build(c.constant))],
        [latin1(c.build(c.constant)).subarray(0, 5), latin1(c.build(c.constant)).subarray(5)],
      ]) {
        const ok = decodeChunks("GET", chunks, true)
        expect(ok.error).toBeUndefined()
        expect(ok.ended).toBe(true)
      }
      const bad = decodeChunks("GET", [latin1(c.build(c.constant + over))], false)
      expect(bad.error).toEqual({ _tag: "HeaderOverflow", limit: c.limit, max: c.constant })
      const badBytes = latin1(c.build(c.constant + over))
      const slow = decodeChunks(
        "GET",
        Array.from(badBytes, (_, i) => badBytes.subarray(i, i + 1)),
        false,
      )
      expect(slow.error).toEqual({ _tag: "HeaderOverflow", limit: c.limit, max: c.constant })
    })
  }

  it("limits are configurable", () => {
    const outcome = decodeChunks("GET", [latin1("HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\n\r\n")], false, {
      maxHeaderCount: 1,
    })
    expect(outcome.error).toEqual({ _tag: "HeaderOverflow", limit: "header count", max: 1 })
  })
})

describe("Http1 response decoder: properties", () => {
  const valid = wireCases.filter((c) => !("error" in c.expect))
  it("any split of a valid response decodes to the same result", () => {
    FastCheck.assert(
      FastCheck.property(
        FastCheck.constantFrom(...valid),
        FastCheck.array(FastCheck.nat(), { maxLength: 12 }),
        (c, cuts) => {
          const bytes = latin1(c.wire)
          const points = [...new Set(cuts.map((n) => n % (bytes.length + 1)))].sort((a, b) => a - b)
          const chunks: Array<Uint8Array> = []
          let from = 0
          for (const p of points) {
            chunks.push(bytes.subarray(from, p))
            from = p
          }
          chunks.push(bytes.subarray(from))
          const whole = decodeChunks(c.method ?? "GET", [bytes], c.eof ?? false)
          const pieces = decodeChunks(c.method ?? "GET", chunks, c.eof ?? false)
          expect(pieces).toEqual(whole)
        },
      ),
      { numRuns: 500 },
    )
  })
})

describe("Http1 response decoder: latin1", () => {
  it("decodes every byte 0x80-0xFF in a field value as the same code point", () => {
    const bytes = Array.from({ length: 128 }, (_, i) => 0x80 + i)
    const value = String.fromCharCode(...bytes)
    const outcome = decodeChunks("GET", [latin1(`HTTP/1.1 200 OK\r\nX: a${value}\r\nContent-Length: 0\r\n\r\n`)], false)
    expect(outcome.headers?.[0]).toEqual(["X", `a${value}`])
  })
})
