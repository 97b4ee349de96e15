// A cookie jar kept in a file across runs: a login over a real server on 127.0.0.1 survives into a new
// session; the file is written atomically and for its owner only; bad files are typed errors; cookies
// past their expiry (on the Effect Clock) are not kept.
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Client, Cookies, Response, Session } from "@courier/core"
import { NodeCookies, NodeTransport } from "@courier/node-transport"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { scoped, TestClock } from "../../core/test/edition.js"
import { getOrThrow, Result } from "../../core/test/results.js"
import { httpServer } from "./servers.js"

const folder = Effect.acquireRelease(
  Effect.sync(() => fs.mkdtempSync(path.join(os.tmpdir(), "courier-jar-"))),
  (dir) => Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true })),
)

describe("a cookie jar that persists", () => {
  scoped("a login kept in a file is still there for the next session", () =>
    Effect.gen(function* () {
      const dir = yield* folder
      const file = path.join(dir, "cookies.json")
      const server = yield* httpServer((req, res) => {
        if (req.url === "/login") {
          res.writeHead(204, { "Set-Cookie": "sid=s3cr3t; Path=/; HttpOnly; Max-Age=3600" })
          return res.end()
        }
        res.end(req.headers.cookie === "sid=s3cr3t" ? "welcome back" : "who are you?")
      })
      const first = yield* NodeCookies.load(file)
      yield* Client.post(`${server.url}/login`).pipe(Effect.provide(NodeTransport.session({ cookies: first })))
      yield* NodeCookies.save(first, file)
      expect(fs.statSync(file).mode & 0o777).toBe(0o600)
      expect(fs.readdirSync(dir)).toEqual(["cookies.json"])
      const next = yield* NodeCookies.load(file)
      const r = yield* Client.get(`${server.url}/me`).pipe(Effect.provide(NodeTransport.session({ cookies: next })))
      expect(yield* Response.text(r)).toBe("welcome back")
    }),
  )

  scoped("a file that is not a jar is a typed error; no file yet is an empty jar", () =>
    Effect.gen(function* () {
      const dir = yield* folder
      const missing = yield* NodeCookies.load(path.join(dir, "none.json"))
      expect(yield* Cookies.list(missing)).toEqual([])
      fs.writeFileSync(path.join(dir, "bad.json"), "{not json")
      fs.writeFileSync(path.join(dir, "wrong.json"), JSON.stringify({ cookies: "nope" }))
      for (const name of ["bad.json", "wrong.json"]) {
        const error = yield* Effect.flip(NodeCookies.load(path.join(dir, name)))
        expect([error._tag, error.path]).toEqual(["CookieFileError", path.join(dir, name)])
      }
      const unwritable = yield* Effect.flip(NodeCookies.save(Cookies.make(), path.join(dir, "no", "such", "dir.json")))
      expect(unwritable).toMatchObject({ _tag: "CookieFileError", reason: "ENOENT" })
      expect(fs.readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual([])
    }),
  )

  it.effect(
    "a session's jar serializes without the cookies that expired on the Effect Clock, and restores strict",
    () =>
      Effect.gen(function* () {
        yield* Session.setCookie("https://app.test/", "short=1; Max-Age=10")
        yield* Session.setCookie("https://app.test/", "long=2; Max-Age=1000")
        yield* TestClock.adjust("11 seconds")
        const json = yield* Session.serialize
        expect(json.cookies.map((c) => c.key)).toEqual(["long"])
        const restored = getOrThrow(Cookies.fromJSON({ ...json, prefixSecurity: "silent" }))
        expect((yield* Cookies.list(restored, "https://app.test/")).map((c) => c.name)).toEqual(["long"])
        // Strict prefix rules whatever the JSON said: a __Host- cookie with a Domain is refused.
        expect(
          (yield* Effect.flip(Cookies.set(restored, "https://app.test/", "__Host-x=1; Domain=app.test; Path=/")))._tag,
        ).toBe("CookieError")
        expect(Result.isFailure(Cookies.fromJSON("nope"))).toBe(true)
      }).pipe(Effect.provide(NodeTransport.session())),
  )
})
