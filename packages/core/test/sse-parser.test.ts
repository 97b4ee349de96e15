// The event stream parser against the WHATWG rules, table-driven; every case fed whole, one character at a
// time, and split at every offset, with the same events, reconnection time and size verdict.
import { describe, expect, it } from "@effect/vitest"
import { SseParser } from "../src/internal/client/sse-parser.js"

interface Case {
  readonly name: string
  readonly input: string
  readonly events: ReadonlyArray<readonly [type: string, data: string, lastEventId: string]>
  readonly retry?: number
}

const cases: ReadonlyArray<Case> = [
  { name: "data lines are joined with LF", input: "data: a\ndata: b\n\n", events: [["message", "a\nb", ""]] },
  {
    name: "CRLF, LF and CR all end lines",
    input: "data: a\r\ndata: b\rdata: c\n\r\n",
    events: [["message", "a\nb\nc", ""]],
  },
  { name: "a BOM at the start is dropped", input: "\ufeffdata: x\n\n", events: [["message", "x", ""]] },
  { name: "comments are skipped", input: ": keep-alive\ndata: x\n: more\n\n", events: [["message", "x", ""]] },
  {
    name: "the event field types the event, then resets",
    input: "event: add\ndata: 1\n\ndata: 2\n\n",
    events: [
      ["add", "1", ""],
      ["message", "2", ""],
    ],
  },
  {
    name: "one space after the colon is dropped, no more",
    input: "data:x\ndata:  y\n\n",
    events: [["message", "x\n y", ""]],
  },
  { name: "a field with no colon has an empty value", input: "data\n\n", events: [["message", "", ""]] },
  {
    name: "an event with no data is not dispatched, and its type is dropped",
    input: "event: ping\n\ndata: x\n\n",
    events: [["message", "x", ""]],
  },
  {
    name: "id persists until set again; an empty id clears it; one with NUL is ignored",
    input: "id: 7\ndata: a\n\ndata: b\n\nid: 8\u0000\ndata: c\n\nid\ndata: d\n\n",
    events: [
      ["message", "a", "7"],
      ["message", "b", "7"],
      ["message", "c", "7"],
      ["message", "d", ""],
    ],
  },
  {
    name: "retry with digits only sets the reconnection time",
    input: "retry: 2500\nretry: 5s\ndata: x\n\n",
    events: [["message", "x", ""]],
    retry: 2500,
  },
  { name: "an unknown field is ignored", input: "foo: bar\ndata: x\n\n", events: [["message", "x", ""]] },
  {
    name: "a last event with no blank line after it is dropped",
    input: "data: a\n\ndata: b\n",
    events: [["message", "a", ""]],
  },
]

/** Feeds `input` cut at `cuts` and gathers what came out. */
const run = (input: string, cuts: ReadonlyArray<number>, limit = 1000) => {
  const parser = new SseParser(limit)
  const events: Array<readonly [string, string, string]> = []
  let retry: number | undefined
  let tooLarge = false
  let from = 0
  for (const cut of [...cuts, input.length]) {
    const fed = parser.feed(input.slice(from, cut))
    from = cut
    events.push(...fed.events.map((e) => [e.type, e.data, e.lastEventId] as const))
    if (fed.retry !== undefined) retry = fed.retry
    tooLarge ||= fed.tooLarge
  }
  return { events, retry, tooLarge }
}

describe("the event stream parser (WHATWG server-sent events)", () => {
  describe.each(cases)("$name", (c) => {
    it("is the same whole, one character at a time, and split at every offset", () => {
      const expected = { events: c.events, retry: c.retry, tooLarge: false }
      expect(run(c.input, [])).toEqual(expected)
      expect(
        run(
          c.input,
          [...c.input].map((_, i) => i),
        ),
      ).toEqual(expected)
      for (let at = 1; at < c.input.length; at++) expect(run(c.input, [at])).toEqual(expected)
    })
  })

  it("an event past the limit is refused, whether its data or a line with no end grows", () => {
    expect(run(`data: ${"x".repeat(200)}\ndata: ${"y".repeat(200)}\n`, [], 300).tooLarge).toBe(true)
    expect(run(`data: ${"x".repeat(400)}`, [], 300).tooLarge).toBe(true)
    expect(run(`data: ${"x".repeat(200)}\n\ndata: ${"y".repeat(200)}\n\n`, [], 300).tooLarge).toBe(false)
  })
})
