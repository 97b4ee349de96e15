// HTTP-date (RFC 9110 §5.6.7): the three forms a recipient must accept, read as UTC, and what is not one.
import { Retry } from "@courier/core"
import { describe, expect, it } from "vitest"
import { parseHttpDate } from "../src/internal/http1/grammar.js"

const at = Date.UTC(1994, 10, 6, 8, 49, 37)

describe("parseHttpDate", () => {
  it.each([
    ["IMF-fixdate", "Sun, 06 Nov 1994 08:49:37 GMT"],
    ["rfc850-date", "Sunday, 06-Nov-94 08:49:37 GMT"],
    ["asctime-date, read as UTC", "Sun Nov  6 08:49:37 1994"],
    ["surrounding whitespace", "  Sun, 06 Nov 1994 08:49:37 GMT "],
  ])("reads %s", (_, value) => {
    expect(parseHttpDate(value, Date.UTC(2026, 0, 1))).toBe(at)
  })

  it.each([
    ["a zone other than GMT", "Sun, 06 Nov 1994 08:49:37 EST"],
    ["a day that does not exist", "Thu, 31 Feb 1994 08:49:37 GMT"],
    ["an hour past 23", "Sun, 06 Nov 1994 24:49:37 GMT"],
    ["an ISO 8601 date", "1994-11-06T08:49:37Z"],
    ["a number", "0"],
    ["an unknown month", "Sun, 06 Foo 1994 08:49:37 GMT"],
    ["an unknown day name", "Xyz, 06 Nov 1994 08:49:37 GMT"],
    ["the empty string", ""],
  ])("refuses %s", (_, value) => {
    expect(parseHttpDate(value)).toBeUndefined()
  })

  it("reads a two-digit year more than 50 years ahead as the latest past year with those digits", () => {
    const now = Date.UTC(2026, 0, 1)
    expect(new Date(parseHttpDate("Monday, 01-Jan-70 00:00:00 GMT", now) ?? 0).getUTCFullYear()).toBe(2070)
    expect(new Date(parseHttpDate("Friday, 01-Jan-77 00:00:00 GMT", now) ?? 0).getUTCFullYear()).toBe(1977)
  })

  it("Retry-After reads every HTTP-date form, and nothing else as a date", () => {
    const now = at - 30_000
    expect(Retry.parseRetryAfter("Sun Nov  6 08:49:37 1994", now)).toBe(30_000)
    expect(Retry.parseRetryAfter("Sunday, 06-Nov-94 08:49:37 GMT", now)).toBe(30_000)
    expect(Retry.parseRetryAfter("1994-11-06T08:49:37Z", now)).toBeUndefined()
  })
})
