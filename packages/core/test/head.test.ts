// The one-pass request encoder must agree with the careful path (Http1.invalidHead, then Http1.encodeHead
// and the body appended) on every head: the same bytes when the head is valid, and giving up when not.
import { describe, expect, it } from "@effect/vitest"
import { Http1 } from "../src/index.js"
import { encodeRequest } from "../src/internal/http1/head.js"
import { concat } from "../src/internal/shared/bytes.js"
import { FastCheck } from "./edition.js"

const careful = (head: Http1.RequestHead, body: Uint8Array): Uint8Array | undefined =>
  Http1.invalidHead(head) === undefined ? concat(Http1.encodeHead(head), body) : undefined

const body = new TextEncoder().encode('{"a":1}')

const cases: ReadonlyArray<readonly [string, Http1.RequestHead]> = [
  ["a plain GET", { method: "GET", target: "/a?b=c", host: "example.com", headers: [["Accept", "*/*"]] }],
  ["a Host field that replaces the default", { method: "GET", target: "/", host: "x", headers: [["host", "y"]] }],
  ["obs-text in a value", { method: "GET", target: "/", host: "h", headers: [["X-Name", "café"]] }],
  ["a tab in a value", { method: "GET", target: "/", host: "h", headers: [["X", "a\tb"]] }],
  ["an empty value", { method: "GET", target: "/", host: "h", headers: [["X", ""]] }],
  ["CR LF in a value", { method: "GET", target: "/", host: "h", headers: [["X", "a\r\nInjected: 1"]] }],
  ["a char beyond latin1", { method: "GET", target: "/", host: "h", headers: [["X", "€"]] }],
  ["a space in the target", { method: "GET", target: "/a b", host: "h", headers: [] }],
  ["an empty target", { method: "GET", target: "", host: "h", headers: [] }],
  ["a method that is not a token", { method: "G ET", target: "/", host: "h", headers: [] }],
  ["a field name that is not a token", { method: "GET", target: "/", host: "h", headers: [["X:Y", "1"]] }],
  ["a bad Host value", { method: "GET", target: "/", host: "h\n", headers: [] }],
  ["a bad Host value under a Host field", { method: "GET", target: "/", host: "h\n", headers: [["Host", "ok"]] }],
]

describe("encodeRequest", () => {
  it.each(cases)("%s: same bytes as the careful path, or gives up as it does", (_, head) => {
    expect(encodeRequest(head, body)).toEqual(careful(head, body))
  })

  it("agrees with the careful path on arbitrary heads", () => {
    const text = FastCheck.string({
      unit: FastCheck.oneof(
        FastCheck.char(),
        FastCheck.integer({ min: 0, max: 0x2ff }).map((c) => String.fromCharCode(c)),
      ),
      maxLength: 12,
    })
    FastCheck.assert(
      FastCheck.property(
        FastCheck.record({
          method: FastCheck.oneof(FastCheck.constantFrom("GET", "POST"), text),
          target: FastCheck.oneof(FastCheck.constant("/path?q=1"), text),
          host: FastCheck.oneof(FastCheck.constant("example.com:8080"), text),
          headers: FastCheck.array(FastCheck.tuple(FastCheck.oneof(FastCheck.constant("X-A"), text), text), {
            maxLength: 4,
          }),
        }),
        FastCheck.uint8Array({ maxLength: 8 }),
        (head, bytes) => {
          expect(encodeRequest(head, bytes)).toEqual(careful(head, bytes))
        },
      ),
      { numRuns: 2000 },
    )
  })
})
