/**
 * Seed 001 — the Python Cookbook's HTTP client recipes — in Courier, one function per recipe. Each takes
 * the base URL of an httpbin-like server and returns what the recipe printed, so the demo can show it and
 * the tests can check it.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Client, Request, Response, Session, Url } from "@courier/core"
import { NodeFiles } from "@courier/node-transport"
import * as Effect from "effect/Effect"
import type * as Redacted from "effect/Redacted"

interface Echo {
  readonly args: Record<string, string>
  readonly form: Record<string, string>
  readonly files: Record<string, string>
  readonly headers: Record<string, string>
}
const echo = (r: Response.Response) => Effect.map(Response.json(r), (j) => j as Echo)

const parms = { name1: "value1", name2: "value2" }

/** A basic GET request with query parameters (urllib.request.urlopen(url + "?" + querystring)). */
export const getWithParams = (base: string) =>
  Effect.gen(function* () {
    const querystring = Url.encodeQuery(Url.paramsToPairs(parms))
    const r = yield* Client.get(`${base}/get?${querystring}`)
    return { querystring, args: (yield* echo(r)).args }
  })

/** A basic POST request with the parameters form-encoded in the body. */
export const postForm = (base: string) =>
  Effect.map(Effect.flatMap(Client.post(`${base}/post`, { data: parms }), echo), (e) => ({
    form: e.form,
    contentType: e.headers["Content-Type"],
    contentLength: e.headers["Content-Length"],
  }))

/** A POST with custom headers, as urllib.request.Request(url, data, headers=headers). */
export const postWithHeaders = (base: string) =>
  Effect.map(
    Effect.flatMap(
      Client.fetch(
        Request.post(`${base}/post`, { data: parms, headers: { "User-agent": "none/ofyourbusiness", Spam: "Eggs" } }),
      ),
      echo,
    ),
    (e) => ({ userAgent: e.headers["User-Agent"], spam: e.headers.Spam }),
  )

/** requests.post(url, data=parms, headers=headers): the body as text, as bytes, and as JSON. */
export const postTextContentJson = (base: string) =>
  Effect.gen(function* () {
    const resp = yield* Client.post(`${base}/post`, {
      data: parms,
      headers: { "User-agent": "none/ofyourbusiness", Spam: "Eggs" },
    })
    const text = yield* Response.text(resp)
    const content = yield* Response.bytes(resp)
    const json = (yield* Response.json(resp)) as Echo
    return { status: resp.status, textLength: text.length, contentLength: content.length, form: json.form }
  })

/** A HEAD request; header access is case-insensitive. */
export const head = (base: string) =>
  Effect.map(Client.head(`${base}/`), (resp) => ({
    status: resp.status,
    contentType: Response.getHeader(resp, "content-type"),
    contentLength: Response.getHeader(resp, "content-length"),
    server: Response.getHeader(resp, "server"),
  }))

/** A login with Basic auth held by a session (the Cookbook logs into PyPI; the demo server plays it). */
export const basicAuthSession = (base: string, user: string, password: Redacted.Redacted<string>) =>
  Effect.gen(function* () {
    const auth = yield* Client.post(`${base}/pypi?:action=login`)
    const resp = yield* Client.get(`${base}/pypi?:action=login`)
    const text = yield* Response.text(resp)
    return { login: auth.status, page: resp.status, welcome: /Welcome (\w+)/.exec(text)?.[1] }
  }).pipe(Effect.provide(Session.layer({ auth: { basic: { username: user, password } } })))

/** Cookies persisted across requests by a session. */
export const persistCookies = (base: string) =>
  Effect.gen(function* () {
    const resp1 = yield* Client.get(`${base}/cookies/set/sessioncookie/123456789`)
    const resp2 = yield* Client.get(`${base}/cookies`)
    return { first: resp1.status, cookies: (yield* Response.json(resp2)) as { cookies: Record<string, string> } }
  })

/** Default data on a session: its headers are merged with each request's. */
export const sessionDefaultHeaders = (base: string) =>
  Effect.map(Effect.flatMap(Client.get(`${base}/headers`, { headers: { "x-test2": "true" } }), Response.json), (j) => {
    const headers = (j as { headers: Record<string, string> }).headers
    return { "X-Test": headers["X-Test"], "X-Test2": headers["X-Test2"] }
  })

/** The session's pool keeps the connection alive: several requests, one connection. */
export const keepAlive = (base: string) =>
  Effect.gen(function* () {
    const ids: Array<number | undefined> = []
    for (let i = 0; i < 3; i++) ids.push((yield* Client.get(`${base}/get`)).connection?.id)
    return { requests: ids.length, connections: new Set(ids).size }
  })

/** Uploading a JSON file with requests.post(url, files={"file": ("colors1.json", open(...))}). */
export const uploadFile = (base: string) =>
  Effect.scoped(
    Effect.gen(function* () {
      const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "courier-cookbook-")), "colors1.json")
      fs.writeFileSync(
        file,
        `${JSON.stringify({ aliceblue: "#f0f8ff", antiquewhite: "#faebd7", aqua: "#00ffff" }, null, 2)}\n`,
      )
      // open('colors1.json', 'rb'): a file handle, closed when the recipe's scope ends.
      const handle = yield* Effect.acquireRelease(
        Effect.promise(() => fs.promises.open(file, "r")),
        (h) => Effect.promise(() => h.close()),
      )
      const opened = yield* NodeFiles.fromHandle(handle)
      const resp = yield* Client.post(`${base}/post`, { files: { file: { filename: "colors1.json", file: opened } } })
      const e = yield* echo(resp)
      return {
        status: resp.status,
        uploaded: JSON.parse(e.files.file ?? "null") as unknown,
        contentType: e.headers["Content-Type"],
      }
    }),
  )
