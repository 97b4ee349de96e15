// RFC 9111's rules as a table, one row per rule, each naming the section it checks. The same rows run over a
// node:http server on 127.0.0.1 (node-transport/test/cache.test.ts) and on the mock transport
// (mock-transport/test/Cache.test.ts), under TestClock, with bodies read into memory and streamed. The origin
// of a row answers from the count of requests it has had and the clock; each step says what the caller
// gets and what the origin saw, and the row how many requests reached the origin in all.
import { Cache, Client, Request, Response } from "@courier/core"
import { expect } from "@effect/vitest"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import { TestClock } from "./edition.js"

/** A request as the origin saw it: field names lower-cased, repeated lines joined with ", ". */
export interface Seen {
  readonly method: string
  readonly path: string
  readonly headers: Readonly<Record<string, string>>
}

/** What the origin answers; `Date` is the clock's time unless the reply sets its own. */
export interface Reply {
  readonly status?: number
  readonly headers?: ReadonlyArray<readonly [string, string]>
  readonly body?: string
}

export interface Step {
  /** Seconds the clock moves before the step. */
  readonly after?: number
  readonly method?: string
  readonly path?: string
  readonly headers?: Readonly<Record<string, string>>
  /** The status the caller gets. @default 200 */
  readonly status?: number
  readonly cache: Cache.Status
  readonly body?: string
  /** Response fields the caller gets (`undefined`: absent). */
  readonly fields?: Readonly<Record<string, string | undefined>>
  /** Request fields the origin saw in the step's last request (`undefined`: absent); implies it was asked. */
  readonly asked?: Readonly<Record<string, string | undefined>>
}

export interface CacheCase {
  /** The RFC and section the row checks. */
  readonly section: string
  readonly rule: string
  readonly options?: Cache.Options
  /** The origin's answer to its `n`th request (from 1), at `now` (ms of the clock). */
  readonly origin: (n: number, seen: Seen, now: number) => Reply
  readonly steps: ReadonlyArray<Step>
  /** Requests that reached the origin in all. */
  readonly originCalls: number
}

/** An IMF-fixdate `seconds` from `now`. */
export const date = (now: number, seconds = 0): string => new Date(now + seconds * 1000).toUTCString()

const DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]
const pad = (n: number) => String(n).padStart(2, "0")

/** The obsolete rfc850-date form of the same instant: `Thursday, 01-Jan-70 00:00:30 GMT`. */
export const rfc850 = (now: number, seconds = 0): string => {
  const d = new Date(now + seconds * 1000)
  const [, day, month, year] = d.toUTCString().split(" ")
  return `${DAYS[d.getUTCDay()]}, ${day}-${month}-${year?.slice(2)} ${d.toISOString().slice(11, 19)} GMT`
}

/** The asctime-date form of the same instant: `Thu Jan  1 00:00:30 1970`. */
export const asctime = (now: number, seconds = 0): string => {
  const d = new Date(now + seconds * 1000)
  const [name, , month] = d.toUTCString().split(" ")
  const day = String(d.getUTCDate()).padStart(2, " ")
  const time = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`
  return `${name?.slice(0, 3)} ${month} ${day} ${time} ${d.getUTCFullYear()}`
}

/** An origin that answers every request alike. */
const always =
  (...headers: ReadonlyArray<readonly [string, string]>) =>
  (n: number): Reply => ({ headers, body: `body ${n}` })

const GET_MISS: Step = { cache: "miss" }
const GET_HIT: Step = { cache: "hit" }

export const cacheCases: ReadonlyArray<CacheCase> = [
  {
    section: "RFC 9111 §3, §5.2.2.5",
    rule: "a response with no-store is not stored",
    origin: always(["Cache-Control", "max-age=60, no-store"]),
    steps: [GET_MISS, GET_MISS],
    originCalls: 2,
  },
  {
    section: "RFC 9111 §3, §5.2.1.5",
    rule: "a request with no-store has its response passed on and not stored",
    origin: always(["Cache-Control", "max-age=60"]),
    steps: [{ cache: "miss", headers: { "Cache-Control": "no-store" } }, GET_MISS, GET_HIT],
    originCalls: 2,
  },
  {
    section: "RFC 9111 §3, §4.1",
    rule: "a response with Vary: * is not stored",
    origin: always(["Cache-Control", "max-age=60"], ["Vary", "*"]),
    steps: [GET_MISS, GET_MISS],
    originCalls: 2,
  },
  {
    section: "RFC 9111 §3",
    rule: "a status that is not heuristically cacheable is stored only with explicit freshness",
    origin: (n) => ({ status: 500, headers: [["ETag", '"e"']], body: `body ${n}` }),
    steps: [
      { cache: "miss", status: 500 },
      { cache: "miss", status: 500, asked: { "if-none-match": undefined } },
    ],
    originCalls: 2,
  },
  {
    section: "RFC 9111 §3.1",
    rule: "hop-by-hop fields and those Connection names are not stored",
    origin: always(["Cache-Control", "max-age=60"], ["Connection", "x-hop"], ["X-Hop", "1"], ["X-Kept", "1"]),
    steps: [GET_MISS, { cache: "hit", fields: { "x-hop": undefined, "x-kept": "1" } }],
    originCalls: 1,
  },
  {
    section: "RFC 9111 §3.2, §4.3.3, §4.3.4",
    rule: "a 304 updates the stored fields (not Content-Length) and the stored body answers",
    origin: (n) =>
      n === 1
        ? {
            headers: [
              ["ETag", '"v1"'],
              ["Cache-Control", "max-age=1"],
              ["X-Version", "1"],
              ["Content-Length", "3"],
            ],
            body: "one",
          }
        : {
            status: 304,
            // A Content-Length of 0 on a 304, as some servers send: the stored one stays.
            headers: [
              ["ETag", '"v1"'],
              ["Cache-Control", "max-age=100"],
              ["X-Version", String(n)],
              ["Content-Length", "0"],
            ],
          },
    steps: [
      { cache: "miss", body: "one" },
      { after: 2, cache: "revalidated", body: "one", fields: { "x-version": "2" }, asked: { "if-none-match": '"v1"' } },
      { after: 50, cache: "hit", body: "one", fields: { "x-version": "2", "content-length": "3" } },
    ],
    originCalls: 2,
  },
  {
    section: "RFC 9111 §3.5",
    rule: "a shared cache does not store a response to a request with Authorization",
    options: { shared: true },
    origin: always(["Cache-Control", "max-age=60"]),
    steps: [
      { cache: "miss", headers: { Authorization: "Bearer t" } },
      { cache: "miss", headers: { Authorization: "Bearer t" } },
    ],
    originCalls: 2,
  },
  {
    section: "RFC 9111 §3.5",
    rule: "a shared cache stores a response to a request with Authorization when it says public",
    options: { shared: true },
    origin: always(["Cache-Control", "public, max-age=60"]),
    steps: [
      { cache: "miss", headers: { Authorization: "Bearer t" } },
      { cache: "hit", headers: { Authorization: "Bearer t" } },
    ],
    originCalls: 1,
  },
  {
    section: "RFC 9111 §3.5, §4.1",
    rule: "a private cache stores a response to a request with credentials, for requests with the same only",
    origin: always(["Cache-Control", "max-age=60"]),
    steps: [
      { cache: "miss", headers: { Authorization: "Bearer t" }, body: "body 1" },
      { cache: "hit", headers: { Authorization: "Bearer t" }, body: "body 1" },
      // Another caller's credentials, or none: never the first caller's response.
      { cache: "miss", headers: { Authorization: "Bearer u" }, body: "body 2" },
      { cache: "miss", body: "body 3" },
      { cache: "hit", headers: { Authorization: "Bearer t" }, body: "body 1" },
      { cache: "miss", headers: { Cookie: "sid=a" }, body: "body 4" },
      { cache: "hit", headers: { Cookie: "sid=a" }, body: "body 4" },
      { cache: "miss", headers: { Cookie: "sid=b" }, body: "body 5" },
    ],
    originCalls: 5,
  },
  {
    section: "RFC 9111 §4.1",
    rule: "Vary selects the variant by the request's field, with whitespace and field lines normalized",
    origin: (_n, seen) => ({
      headers: [
        ["Cache-Control", "max-age=60"],
        ["Vary", "Accept-Language"],
      ],
      body: seen.headers["accept-language"] ?? "none",
    }),
    steps: [
      { cache: "miss", headers: { "Accept-Language": "en, fr" }, body: "en, fr" },
      { cache: "hit", headers: { "Accept-Language": "en,fr" }, body: "en, fr" },
      { cache: "miss", headers: { "Accept-Language": "fr" }, body: "fr" },
      { cache: "hit", headers: { "Accept-Language": "en ,  fr" }, body: "en, fr" },
      { cache: "hit", headers: { "Accept-Language": "fr" }, body: "fr" },
      { cache: "miss", body: "none" },
    ],
    originCalls: 3,
  },
  {
    section: "RFC 9111 §4.1",
    rule: "Vary names compare without case, and Accept-Encoding's values too",
    origin: always(["Cache-Control", "max-age=60"], ["Vary", "ACCEPT-ENCODING, accept-encoding"]),
    steps: [
      { cache: "miss", headers: { "Accept-Encoding": "gzip" } },
      { cache: "hit", headers: { "Accept-Encoding": "GZIP" } },
      { cache: "miss", headers: { "Accept-Encoding": "br" } },
    ],
    originCalls: 2,
  },
  {
    section: "RFC 9111 §4.2.1, §5.2.2.1",
    rule: "max-age: fresh until it has passed, then fetched again",
    origin: always(["Cache-Control", "max-age=60"]),
    steps: [GET_MISS, { after: 59, cache: "hit", body: "body 1" }, { after: 2, cache: "miss", body: "body 2" }],
    originCalls: 2,
  },
  {
    section: "RFC 9111 §4.2.1, §5.3",
    rule: "Expires less Date is the freshness lifetime",
    origin: (n, _seen, now) => ({ headers: [["Expires", date(now, 30)]], body: `body ${n}` }),
    steps: [GET_MISS, { after: 29, cache: "hit" }, { after: 2, cache: "miss" }],
    originCalls: 2,
  },
  {
    section: "RFC 9111 §5.3, RFC 9110 §5.6.7",
    rule: "an Expires in the obsolete rfc850-date form is read",
    origin: (n, _seen, now) => ({ headers: [["Expires", rfc850(now, 30)]], body: `body ${n}` }),
    steps: [GET_MISS, { after: 29, cache: "hit" }, { after: 2, cache: "miss" }],
    originCalls: 2,
  },
  {
    section: "RFC 9111 §5.3, RFC 9110 §5.6.7",
    rule: "an Expires in the asctime-date form is read, as UTC",
    origin: (n, _seen, now) => ({ headers: [["Expires", asctime(now, 30)]], body: `body ${n}` }),
    steps: [GET_MISS, { after: 29, cache: "hit" }, { after: 2, cache: "miss" }],
    originCalls: 2,
  },
  {
    section: "RFC 9111 §5.3",
    rule: "an invalid Expires means already expired",
    origin: always(["Expires", "0"]),
    steps: [GET_MISS, GET_MISS],
    originCalls: 2,
  },
  {
    section: "RFC 9111 §4.2.1",
    rule: "max-age wins over Expires",
    origin: (n, _seen, now) => ({
      headers: [
        ["Cache-Control", "max-age=10"],
        ["Expires", date(now, 100)],
      ],
      body: `body ${n}`,
    }),
    steps: [GET_MISS, { after: 11, cache: "miss" }],
    originCalls: 2,
  },
  {
    section: "RFC 9111 §4.2.1, §5.2.2.10",
    rule: "s-maxage does not count in a private cache",
    origin: always(["Cache-Control", "max-age=10, s-maxage=100"]),
    steps: [GET_MISS, { after: 11, cache: "miss" }],
    originCalls: 2,
  },
  {
    section: "RFC 9111 §4.2.1, §5.2.2.10",
    rule: "s-maxage wins over max-age in a shared cache",
    options: { shared: true },
    origin: always(["Cache-Control", "max-age=10, s-maxage=100"]),
    steps: [GET_MISS, { after: 11, cache: "hit" }],
    originCalls: 1,
  },
  {
    section: "RFC 9111 §4.2.2, §4.3.1",
    rule: "heuristic freshness is a tenth of the time since Last-Modified, then If-Modified-Since validates",
    origin: (n, _seen, now) =>
      n === 1
        ? { headers: [["Last-Modified", date(now, -1000)]], body: "one" }
        : { status: 304, headers: [["Last-Modified", date(0, -1000)]] },
    steps: [
      GET_MISS,
      { after: 99, cache: "hit", body: "one" },
      {
        after: 2,
        cache: "revalidated",
        body: "one",
        asked: { "if-modified-since": date(0, -1000), "if-none-match": undefined },
      },
    ],
    originCalls: 2,
  },
  {
    section: "RFC 9111 §4.2.2",
    rule: "a status that is not heuristically cacheable gets no heuristic freshness",
    origin: (n, _seen, now) => ({ status: 202, headers: [["Last-Modified", date(now, -1000)]], body: `body ${n}` }),
    steps: [
      { cache: "miss", status: 202 },
      { cache: "miss", status: 202 },
    ],
    originCalls: 2,
  },
  {
    section: "RFC 9111 §4.2.3",
    rule: "an Age from upstream counts against max-age",
    origin: always(["Cache-Control", "max-age=60"], ["Age", "50"]),
    steps: [GET_MISS, { after: 9, cache: "hit", fields: { age: "59" } }, { after: 2, cache: "miss" }],
    originCalls: 2,
  },
  {
    section: "RFC 9111 §4.2.3",
    rule: "the apparent age from a Date in the past counts against max-age",
    origin: (n, _seen, now) => ({
      headers: [
        ["Cache-Control", "max-age=60"],
        ["Date", date(now, -30)],
      ],
      body: `body ${n}`,
    }),
    steps: [GET_MISS, { after: 29, cache: "hit" }, { after: 2, cache: "miss" }],
    originCalls: 2,
  },
  {
    section: "RFC 9111 §4.2.3, §5.1",
    rule: "a stored response is served with Age its current age",
    origin: always(["Cache-Control", "max-age=60"]),
    steps: [GET_MISS, { after: 20, cache: "hit", fields: { age: "20" } }],
    originCalls: 1,
  },
  {
    section: "RFC 9111 §5.1",
    rule: "a malformed Age is ignored, not taken as stale",
    origin: always(["Cache-Control", "max-age=60"], ["Age", "-5x"]),
    steps: [GET_MISS, { after: 30, cache: "hit", fields: { age: "30" } }],
    originCalls: 1,
  },
  {
    section: "RFC 9111 §5.1",
    rule: "of repeated Age field lines the first counts",
    origin: always(["Cache-Control", "max-age=60"], ["Age", "10"], ["Age", "50"]),
    steps: [GET_MISS, { after: 45, cache: "hit", fields: { age: "55" } }, { after: 6, cache: "miss" }],
    originCalls: 2,
  },
  {
    section: "RFC 9111 §5.1",
    rule: "of an Age list the first member counts",
    origin: always(["Cache-Control", "max-age=60"], ["Age", "10, 50"]),
    steps: [GET_MISS, { after: 45, cache: "hit" }, { after: 6, cache: "miss" }],
    originCalls: 2,
  },
  {
    section: "RFC 9111 §4.2.4, §5.2.2.2",
    rule: "must-revalidate: a stale response is not served when the origin fails",
    origin: (n) =>
      n === 1
        ? { headers: [["Cache-Control", "max-age=1, must-revalidate, stale-if-error=100"]], body: "one" }
        : { status: 503, body: "down" },
    steps: [GET_MISS, { after: 2, cache: "miss", status: 503, body: "down" }],
    originCalls: 2,
  },
  {
    section: "RFC 5861 §4",
    rule: "stale-if-error: a stale response answers a 5xx within its window, and not past it",
    origin: (n) =>
      n === 1
        ? { headers: [["Cache-Control", "max-age=1, stale-if-error=60"]], body: "one" }
        : { status: 503, body: "down" },
    steps: [
      GET_MISS,
      { after: 2, cache: "stale", body: "one" },
      { after: 100, cache: "miss", status: 503, body: "down" },
    ],
    originCalls: 3,
  },
  {
    section: "RFC 9111 §4.3.4",
    rule: "a 304 for another entity tag is not merged: the request is sent again without conditions",
    origin: (n) =>
      n === 1
        ? {
            headers: [
              ["ETag", '"a"'],
              ["Cache-Control", "max-age=1"],
            ],
            body: "one",
          }
        : n === 2
          ? { status: 304, headers: [["ETag", '"b"']] }
          : {
              headers: [
                ["ETag", '"b"'],
                ["Cache-Control", "max-age=60"],
              ],
              body: "two",
            },
    steps: [
      GET_MISS,
      { after: 2, cache: "miss", body: "two", asked: { "if-none-match": undefined } },
      { cache: "hit", body: "two" },
    ],
    originCalls: 3,
  },
  {
    section: "RFC 9111 §4.3.2",
    rule: "a fresh response answers the caller's If-None-Match with a 304, weakly compared",
    origin: always(["Cache-Control", "max-age=60"], ["ETag", '"v1"'], ["Content-Type", "text/plain"]),
    steps: [
      GET_MISS,
      {
        cache: "hit",
        headers: { "If-None-Match": '"v1"' },
        status: 304,
        fields: { etag: '"v1"', "content-type": undefined },
      },
      { cache: "hit", headers: { "If-None-Match": 'W/"v0", W/"v1"' }, status: 304 },
      { cache: "hit", headers: { "If-None-Match": '"v2"' }, status: 200, body: "body 1" },
    ],
    originCalls: 1,
  },
  {
    section: "RFC 9111 §4.3.2",
    rule: "a fresh response answers the caller's If-Modified-Since with a 304 when not modified since",
    origin: always(["Cache-Control", "max-age=60"], ["Last-Modified", date(0, -100)]),
    steps: [
      GET_MISS,
      { cache: "hit", headers: { "If-Modified-Since": date(0) }, status: 304 },
      { cache: "hit", headers: { "If-Modified-Since": date(0, -200) }, status: 200, body: "body 1" },
    ],
    originCalls: 1,
  },
  {
    section: "RFC 9111 §4.4",
    rule: "a successful POST invalidates the stored response for its URL",
    origin: always(["Cache-Control", "max-age=60"]),
    steps: [GET_MISS, GET_HIT, { method: "POST", cache: "miss" }, { cache: "miss", body: "body 3" }],
    originCalls: 3,
  },
  {
    section: "RFC 9111 §4.4",
    rule: "an unsafe request invalidates its Location and Content-Location on the same origin",
    origin: (n, seen) =>
      seen.method === "PUT"
        ? {
            status: 201,
            headers: [
              ["Location", "/a"],
              ["Content-Location", "/b"],
            ],
          }
        : { headers: [["Cache-Control", "max-age=60"]], body: `body ${n}` },
    steps: [
      { path: "/a", cache: "miss" },
      { path: "/b", cache: "miss" },
      { path: "/a", cache: "hit" },
      { path: "/x", method: "PUT", status: 201, cache: "miss" },
      { path: "/a", cache: "miss" },
      { path: "/b", cache: "miss" },
    ],
    originCalls: 5,
  },
  {
    section: "RFC 9111 §4.4",
    rule: "a failed unsafe request invalidates nothing",
    origin: (n, seen) =>
      seen.method === "POST" ? { status: 500 } : { headers: [["Cache-Control", "max-age=60"]], body: `body ${n}` },
    steps: [GET_MISS, { method: "POST", status: 500, cache: "miss" }, { cache: "hit", body: "body 1" }],
    originCalls: 2,
  },
  {
    section: "RFC 9111 §5.2.1.1",
    rule: "a request's max-age refuses an older stored response",
    origin: always(["Cache-Control", "max-age=60"]),
    steps: [
      GET_MISS,
      { after: 20, cache: "hit", headers: { "Cache-Control": "max-age=30" } },
      { cache: "miss", headers: { "Cache-Control": "max-age=10" }, body: "body 2" },
    ],
    originCalls: 2,
  },
  {
    section: "RFC 9111 §5.2.1.2",
    rule: "a request's max-stale accepts a response stale by no more than it",
    origin: always(["Cache-Control", "max-age=10"]),
    steps: [
      GET_MISS,
      { after: 20, cache: "hit", headers: { "Cache-Control": "max-stale=30" }, body: "body 1" },
      { cache: "hit", headers: { "Cache-Control": "max-stale" }, body: "body 1" },
      { cache: "miss", headers: { "Cache-Control": "max-stale=5" }, body: "body 2" },
    ],
    originCalls: 2,
  },
  {
    section: "RFC 9111 §5.2.1.3",
    rule: "a request's min-fresh refuses a response that will not stay fresh that long",
    origin: always(["Cache-Control", "max-age=60"]),
    steps: [
      GET_MISS,
      { after: 30, cache: "hit", headers: { "Cache-Control": "min-fresh=20" } },
      { cache: "miss", headers: { "Cache-Control": "min-fresh=40" } },
    ],
    originCalls: 2,
  },
  {
    section: "RFC 9111 §5.2.1.4",
    rule: "a request's no-cache validates the stored response first",
    origin: (n) =>
      n === 1
        ? {
            headers: [
              ["Cache-Control", "max-age=60"],
              ["ETag", '"v1"'],
            ],
            body: "one",
          }
        : { status: 304, headers: [["ETag", '"v1"']] },
    steps: [
      GET_MISS,
      {
        cache: "revalidated",
        headers: { "Cache-Control": "no-cache" },
        body: "one",
        asked: { "if-none-match": '"v1"' },
      },
    ],
    originCalls: 2,
  },
  {
    section: "RFC 9111 §5.4",
    rule: "Pragma: no-cache in a request without Cache-Control is no-cache",
    origin: (n) =>
      n === 1
        ? {
            headers: [
              ["Cache-Control", "max-age=60"],
              ["ETag", '"v1"'],
            ],
            body: "one",
          }
        : { status: 304, headers: [["ETag", '"v1"']] },
    steps: [GET_MISS, { cache: "revalidated", headers: { Pragma: "no-cache" }, body: "one" }],
    originCalls: 2,
  },
  {
    section: "RFC 9111 §5.2.1.7",
    rule: "only-if-cached with nothing stored is a 504 and asks nobody",
    origin: always(["Cache-Control", "max-age=60"]),
    steps: [{ cache: "miss", status: 504, headers: { "Cache-Control": "only-if-cached" } }],
    originCalls: 0,
  },
  {
    section: "RFC 9111 §5.2.2.4",
    rule: "a response with no-cache is stored and validated on every use",
    origin: (n) =>
      n === 1
        ? {
            headers: [
              ["Cache-Control", "no-cache, max-age=60"],
              ["ETag", '"v1"'],
            ],
            body: "one",
          }
        : { status: 304, headers: [["ETag", '"v1"']] },
    steps: [GET_MISS, { cache: "revalidated", body: "one" }, { cache: "revalidated", body: "one" }],
    originCalls: 3,
  },
  {
    section: "RFC 9111 §5.2.2.7",
    rule: "private: a shared cache does not store it",
    options: { shared: true },
    origin: always(["Cache-Control", "private, max-age=60"]),
    steps: [GET_MISS, GET_MISS],
    originCalls: 2,
  },
  {
    section: "RFC 9111 §5.2.2.7",
    rule: "private: a private cache stores it",
    origin: always(["Cache-Control", "private, max-age=60"]),
    steps: [GET_MISS, GET_HIT],
    originCalls: 1,
  },
  {
    section: "RFC 9111 §7.3, RFC 6265 §8",
    rule: "a shared cache does not store a response that sets a cookie",
    options: { shared: true },
    origin: always(["Cache-Control", "max-age=60"], ["Set-Cookie", "sid=1"]),
    steps: [GET_MISS, GET_MISS],
    originCalls: 2,
  },
  {
    section: "RFC 9111 §3, RFC 6265 §8",
    rule: "a private cache does not store a response that sets a cookie either: it would hand it to the next caller",
    origin: always(["Cache-Control", "max-age=60"], ["Set-Cookie", "sid=1"]),
    steps: [GET_MISS, GET_MISS],
    originCalls: 2,
  },
  {
    section: "RFC 9111 §5.2.2.4",
    rule: 'a qualified no-cache="Set-Cookie" lets the response be stored without the cookie, and reused',
    origin: always(["Cache-Control", 'max-age=60, no-cache="Set-Cookie"'], ["Set-Cookie", "sid=1"]),
    steps: [
      { cache: "miss", fields: { "set-cookie": "sid=1" } },
      { cache: "hit", fields: { "set-cookie": undefined } },
    ],
    originCalls: 1,
  },
  {
    section: "RFC 9111 §5.2.2.4",
    rule: "a qualified no-cache keeps the response without the fields it names, and needs no validation",
    origin: always(["Cache-Control", 'max-age=60, no-cache="X-Secret"'], ["X-Secret", "s"], ["ETag", '"e"']),
    steps: [
      { cache: "miss", fields: { "x-secret": "s" } },
      { cache: "hit", fields: { "x-secret": undefined, etag: '"e"' } },
    ],
    originCalls: 1,
  },
]

/** How a step reads its response: into memory (`Client.fetch`), or streamed from the transport and read. */
export type Mode = "fetch" | "execute"

const send = (request: Request.Request, mode: Mode) =>
  mode === "fetch"
    ? Effect.flatMap(Client.fetch(request), (response) =>
        Effect.map(Response.text(response), (body) => [response, body] as const),
      )
    : Effect.scoped(
        Effect.flatMap(Client.execute(request), (response) =>
          Effect.map(Response.text(response), (body) => [response, body] as const),
        ),
      )

/**
 * Runs a row's steps against an origin at `base` whose requests are logged in `seen`, checking each;
 * `onTime` hears the clock's time whenever it moves (an origin outside Effect answers by it).
 */
export const runCase = (
  row: CacheCase,
  base: string,
  seen: ReadonlyArray<Seen>,
  mode: Mode,
  onTime: (now: number) => void = () => undefined,
) =>
  Effect.gen(function* () {
    for (const [i, step] of row.steps.entries()) {
      if (step.after !== undefined) {
        yield* TestClock.adjust(`${step.after} seconds`)
        onTime(yield* Clock.currentTimeMillis)
      }
      const before = seen.length
      const request = Request.make(step.method ?? "GET", `${base}${step.path ?? "/r"}`, {
        headers: step.headers ?? {},
      })
      const [response, body] = yield* send(request, mode)
      const at = `step ${i + 1}`
      expect({ at, status: response.status, cache: Cache.status(response) }).toEqual({
        at,
        status: step.status ?? 200,
        cache: step.cache,
      })
      if (step.body !== undefined) expect(body, at).toBe(step.body)
      for (const [name, value] of Object.entries(step.fields ?? {})) {
        expect(Response.getHeader(response, name), `${at}: ${name}`).toBe(value)
      }
      if (step.asked !== undefined) {
        expect(seen.length, `${at}: the origin is asked`).toBeGreaterThan(before)
        const last = seen[seen.length - 1]
        for (const [name, value] of Object.entries(step.asked))
          expect(last?.headers[name], `${at}: ${name}`).toBe(value)
      }
    }
    expect(seen.length, "requests that reached the origin").toBe(row.originCalls)
  })
