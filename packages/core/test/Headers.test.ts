import { Headers } from "@courier/core"
import { describe, expect, it } from "@effect/vitest"
import * as Equal from "effect/Equal"
import * as Option from "effect/Option"

describe("Headers", () => {
  const h = Headers.fromInput([
    ["Set-Cookie", "a=1"],
    ["Content-Type", "text/plain"],
    ["set-cookie", "b=2"],
  ])

  it("looks names up without regard to case and joins duplicates", () => {
    expect(Headers.get(h, "content-type")).toEqual(Option.some("text/plain"))
    expect(Headers.get(h, "SET-COOKIE")).toEqual(Option.some("a=1, b=2"))
    expect(Headers.getAll(h, "set-cookie")).toEqual(["a=1", "b=2"])
    expect(Headers.get(h, "missing")).toEqual(Option.none())
    expect(Headers.has(h, "Content-type")).toBe(true)
  })

  it("keeps arrival order and the names as given", () => {
    expect(h.entries.map(([k]) => k)).toEqual(["Set-Cookie", "Content-Type", "set-cookie"])
  })

  it("set replaces every value in place of the first; append adds; remove drops all", () => {
    expect(Headers.set(h, "SET-COOKIE", "c=3").entries).toEqual([
      ["SET-COOKIE", "c=3"],
      ["Content-Type", "text/plain"],
    ])
    expect(Headers.append(h, "X-A", "1").entries.at(-1)).toEqual(["X-A", "1"])
    expect(Headers.remove(h, "set-cookie").entries).toEqual([["Content-Type", "text/plain"]])
  })

  it("is immutable", () => {
    Headers.set(h, "Content-Type", "x")
    expect(Headers.get(h, "content-type")).toEqual(Option.some("text/plain"))
  })

  it("merge lets the right side win per name", () => {
    const merged = Headers.merge(Headers.fromInput({ "User-Agent": "a", Accept: "*/*" }), { "user-agent": "b" })
    expect(merged.entries).toEqual([
      ["Accept", "*/*"],
      ["user-agent", "b"],
    ])
  })

  it("builds from records with array values", () => {
    expect(Headers.fromInput({ A: ["1", "2"], B: 3 }).entries).toEqual([
      ["A", "1"],
      ["A", "2"],
      ["B", "3"],
    ])
  })

  it("compares by value, names without case", () => {
    expect(Equal.equals(Headers.fromInput({ A: "1" }), Headers.fromInput({ a: "1" }))).toBe(true)
    expect(Equal.equals(Headers.fromInput({ A: "1" }), Headers.fromInput({ A: "2" }))).toBe(false)
  })

  it("hides credentials in toJSON", () => {
    const json = Headers.fromInput({
      Authorization: "Basic x",
      "X-API-KEY": "k",
      "X-Session-Token": "t",
      Accept: "a",
    }).toJSON()
    expect(json).toEqual([
      ["Authorization", "<redacted>"],
      ["X-API-KEY", "<redacted>"],
      ["X-Session-Token", "<redacted>"],
      ["Accept", "a"],
    ])
  })

  it("validates names as tokens and values without CR, LF or NUL", () => {
    expect(Headers.isToken("X-Good_1")).toBe(true)
    expect(Headers.isToken("Bad Name")).toBe(false)
    expect(Headers.isToken("")).toBe(false)
    expect(Headers.invalidValueReason("fine\tvalue")).toBeUndefined()
    expect(Headers.invalidValueReason("a\r\nInjected: 1")).toBe("value contains CR or LF")
    expect(Headers.invalidValueReason("a\0")).toBe("value contains NUL")
  })
})
