// framingOf and persistsAfter (RFC 9112 §6.3 and §9.3) as pure functions of a head and its request.
import { describe, expect, it } from "@effect/vitest"
import { delimitersOf, type Framing, framingOf, persistsAfter } from "../src/internal/http1/framing.js"

const framing = (status: number, headers: Array<readonly [string, string]>, method = "GET"): Framing =>
  framingOf({ status, delimiters: delimitersOf(headers) }, { method })

describe("framingOf", () => {
  const cases: ReadonlyArray<readonly [string, Framing, number, Array<readonly [string, string]>, string?]> = [
    [
      "a response to HEAD has no body, whatever its length says",
      { _tag: "None" },
      200,
      [["Content-Length", "5"]],
      "HEAD",
    ],
    ["a 204 has no body", { _tag: "None" }, 204, []],
    ["a 304 has no body", { _tag: "None" }, 304, [["Transfer-Encoding", "chunked"]]],
    ["chunked, in any case", { _tag: "Chunked" }, 200, [["transfer-encoding", "Chunked"]]],
    ["a length", { _tag: "Length", length: 12 }, 200, [["Content-Length", "12"]]],
    [
      "repeated lengths that agree",
      { _tag: "Length", length: 3 },
      200,
      [
        ["Content-Length", "3, 3"],
        ["content-length", "3"],
      ],
    ],
    ["no length and no coding: until the close", { _tag: "UntilClose" }, 200, []],
    [
      "both a coding and a length are refused (smuggling)",
      { _tag: "Refused", reason: "Smuggling", value: "chunked" },
      200,
      [
        ["Transfer-Encoding", "chunked"],
        ["Content-Length", "3"],
      ],
    ],
    [
      "a coding other than a single chunked is refused",
      { _tag: "Refused", reason: "UnknownCoding", value: "gzip, chunked" },
      200,
      [["Transfer-Encoding", "gzip, chunked"]],
    ],
    [
      "lengths that disagree are refused",
      { _tag: "Refused", reason: "BadLength", value: "3, 4" },
      200,
      [["Content-Length", "3, 4"]],
    ],
    [
      "a length that is not digits is refused",
      { _tag: "Refused", reason: "BadLength", value: "+3" },
      200,
      [["Content-Length", "+3"]],
    ],
  ]
  for (const [name, expected, status, headers, method] of cases) {
    it(name, () => expect(framing(status, headers, method)).toEqual(expected))
  }
})

describe("persistsAfter", () => {
  const cases: ReadonlyArray<readonly [string, boolean, 10 | 11, Array<readonly [string, string]>]> = [
    ["HTTP/1.1 persists by default", true, 11, []],
    ["HTTP/1.1 with Connection: close does not", false, 11, [["Connection", "Keep-Alive, Close"]]],
    ["HTTP/1.0 does not by default", false, 10, []],
    ["HTTP/1.0 with Connection: keep-alive does", true, 10, [["connection", "keep-alive"]]],
  ]
  for (const [name, expected, version, headers] of cases) {
    it(name, () => expect(persistsAfter(version, delimitersOf(headers))).toBe(expected))
  }

  it("reads the server's Keep-Alive timeout hint", () => {
    expect(delimitersOf([["Keep-Alive", "max=5, timeout=7"]]).keepAliveTimeout).toBe(7)
  })
})
