// One head reader: the same bytes give the same outcome — events, and an error's tag and fields — however the
// network cuts them. Generated responses (a seeded generator of valid and broken status lines, field lines,
// line ends, bodies and small limits) are decoded whole, byte by byte and cut at random points, and every
// outcome must equal the whole one.
import { describe, expect, it } from "vitest"
import { decodeChunks, latin1, type Outcome } from "./decode.js"

/** mulberry32: a small seeded generator, so a failure names the case that shows it. */
const generator = (seed: number) => {
  let a = seed >>> 0
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const int = (n: number) => Math.floor(next() * n)
  const pick = <A>(xs: ReadonlyArray<A>): A => xs[int(xs.length)] as A
  return { next, int, pick }
}

const STATUS_LINES = [
  "HTTP/1.1 200 OK",
  "HTTP/1.0 204 No Content",
  "HTTP/1.1 100 Continue",
  "HTTP/1.1 103 Early Hints",
  "HTTX/1.1 200 OK",
  "HTTP/1.1 20 OK",
  "http/1.1 200 OK",
  "HTTP/2.0 200 OK",
  "HTTP/1.1 001 Odd",
  "SSH-2.0-OpenSSH_9.2",
  "",
  "HTTP",
  "HTTP/1.1 200 O\u0000K",
  "HTTP/1.1 200\rOK",
  "\u0015\u0003\u0003\u0000\u0002\u0002\u0050",
  `HTTP/1.1 200 ${"r".repeat(300)}`,
  `${"x".repeat(250)}`,
]

const FIELD_LINES = [
  "Content-Type: text/plain",
  "Content-Length: 3",
  "Transfer-Encoding: chunked",
  "X-Ok:  spaced  ",
  "Bad Name: v",
  "NoColon",
  " folded continuation",
  "X-Cr: a\rb",
  "X-Nul: a\u0000b",
  `X-Long: ${"v".repeat(120)}`,
  `X-Longer: ${"w".repeat(400)}`,
  ": no name",
  "X-Empty:",
]

/** A response: a head or two (a 1xx first, sometimes), a body, cut off sometimes. */
const generate = (seed: number) => {
  const g = generator(seed)
  const eol = () => (g.next() < 0.8 ? "\r\n" : "\n")
  const headOf = (status: string) => {
    let s = status + eol()
    for (let i = g.int(6); i > 0; i--) s += g.pick(FIELD_LINES) + eol()
    return s + eol()
  }
  let wire = g.next() < 0.15 ? headOf("HTTP/1.1 100 Continue") : ""
  wire +=
    headOf(g.pick(STATUS_LINES)) +
    g.pick(["", "abc", "3\r\nabc\r\n0\r\n\r\n", "3\r\nabc\r\n0\r\nX-T: 1\r\nBad T\r\n\r\n", "junk"])
  if (g.next() < 0.2) wire = wire.slice(0, g.int(wire.length + 1))
  const limits = {
    maxHeadBytes: g.pick([64, 128, 256, 512, 65536]),
    maxLineBytes: g.pick([16, 40, 100, 300, 8192]),
    maxHeaderCount: g.pick([2, 4, 100]),
  }
  const cuts = Array.from({ length: 3 }, () => g.int(wire.length + 1)).sort((a, b) => a - b)
  return { wire, limits, eof: g.next() < 0.5, cuts }
}

const cutAt = (bytes: Uint8Array, cuts: ReadonlyArray<number>): Array<Uint8Array> => {
  const out: Array<Uint8Array> = []
  let from = 0
  for (const c of [...cuts, bytes.length]) {
    out.push(bytes.subarray(from, c))
    from = c
  }
  return out
}

describe("one head reader", () => {
  it("gives the same outcome whole, byte by byte and cut anywhere, for 5,000 generated responses", () => {
    const differing: Array<string> = []
    for (let seed = 1; seed <= 5000; seed++) {
      const { wire, limits, eof, cuts } = generate(seed)
      const bytes = latin1(wire)
      const whole: Outcome = decodeChunks("GET", [bytes], eof, limits)
      const ways = [
        Array.from(bytes, (_, i) => bytes.subarray(i, i + 1)),
        cutAt(bytes, cuts),
        cutAt(bytes, [cuts[0] ?? 0]),
      ]
      for (const chunks of ways) {
        const split = decodeChunks("GET", chunks, eof, limits)
        if (JSON.stringify(split) !== JSON.stringify(whole)) {
          differing.push(`seed ${seed}: whole ${JSON.stringify(whole.error)} split ${JSON.stringify(split.error)}`)
          break
        }
      }
    }
    expect(differing.slice(0, 5)).toEqual([])
    expect(differing.length).toBe(0)
  })
})
