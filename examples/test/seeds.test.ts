// Seeds 001 (Cookbook) and 004 (Zerynth) against the embedded demo server, and seed 003 (the overview)
// against an HTTPS server with a CA made at start, over real sockets: every recipe and every function, checked.
import { NodeTransport } from "@courier/node-transport"
import { describe, expect } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import { scoped } from "../../packages/core/test/edition.js"
import * as R from "../src/cookbook/recipes.js"
import { demoServer } from "../src/demo-server.js"
import * as O from "../src/overview/main.js"
import { secureServer } from "../src/overview/secure-server.js"
import * as Z from "../src/zerynth/functions.js"

const client = NodeTransport.client()

describe("cookbook recipes (seed 001)", () => {
  scoped("each recipe does what the Cookbook shows", () =>
    Effect.gen(function* () {
      const { url } = yield* demoServer
      expect(yield* R.getWithParams(url)).toEqual({
        querystring: "name1=value1&name2=value2",
        args: { name1: "value1", name2: "value2" },
      })
      expect(yield* R.postForm(url)).toEqual({
        form: { name1: "value1", name2: "value2" },
        contentType: "application/x-www-form-urlencoded",
        contentLength: "25",
      })
      expect(yield* R.postWithHeaders(url)).toEqual({ userAgent: "none/ofyourbusiness", spam: "Eggs" })
      const tcj = yield* R.postTextContentJson(url)
      expect(tcj.status).toBe(200)
      expect(tcj.textLength).toBe(tcj.contentLength)
      expect(tcj.form).toEqual({ name1: "value1", name2: "value2" })
      expect(yield* R.head(url)).toEqual({
        status: 200,
        contentType: "text/html; charset=utf-8",
        contentLength: "88",
        server: "courier-demo",
      })
      expect(yield* R.uploadFile(url)).toMatchObject({
        status: 200,
        uploaded: { aliceblue: "#f0f8ff", antiquewhite: "#faebd7", aqua: "#00ffff" },
      })
    }).pipe(Effect.provide(client)),
  )

  scoped("session recipes: Basic auth, cookies, default headers, keep-alive", () =>
    Effect.gen(function* () {
      const { url } = yield* demoServer
      const platform = Layer.merge(NodeTransport.layer(), NodeTransport.platform)
      expect(
        yield* R.basicAuthSession(url, "joseamaita", Redacted.make("demo-password")).pipe(Effect.provide(platform)),
      ).toEqual({
        login: 200,
        page: 200,
        welcome: "joseamaita",
      })
      const wrong = yield* R.basicAuthSession(url, "joseamaita", Redacted.make("nope")).pipe(Effect.provide(platform))
      expect(wrong.page).toBe(401)
      expect(yield* Effect.provide(R.persistCookies(url), NodeTransport.session())).toEqual({
        first: 200,
        cookies: { cookies: { sessioncookie: "123456789" } },
      })
      expect(
        yield* Effect.provide(R.sessionDefaultHeaders(url), NodeTransport.session({ headers: { "x-test": "true" } })),
      ).toEqual({
        "X-Test": "true",
        "X-Test2": "true",
      })
      expect(yield* Effect.provide(R.keepAlive(url), NodeTransport.session())).toEqual({ requests: 3, connections: 1 })
    }),
  )
})

describe("Zerynth functions (seed 004)", () => {
  scoped("get, post/put/patch (data wins), delete, head, options", () =>
    Effect.gen(function* () {
      const { url } = yield* demoServer
      expect(yield* Z.get(url)).toEqual({
        status: 200,
        args: { city: "Pisa", units: "metric" },
        host: url.replace("http://", ""),
      })
      expect(yield* Z.send(url)).toEqual({
        post: { form: { temp: "21" }, json: null, type: "application/x-www-form-urlencoded" },
        put: { json: { temp: 22 }, type: "application/json" },
        patch: { form: { temp: "23" } },
      })
      expect(yield* Z.others(url)).toEqual({
        delete: "DELETE",
        head: { status: 200, contentLength: "88", body: 0 },
        options: { status: 204, allow: "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS" },
      })
    }).pipe(Effect.provide(client)),
  )

  scoped("upload, streaming with a chunk callback, a kept-alive connection, and no server", () =>
    Effect.gen(function* () {
      const { url } = yield* demoServer
      expect(yield* Z.upload(url)).toEqual({
        status: 200,
        method: "PUT",
        length: 100_000,
        type: "application/x-firmware",
        sent: "100000",
      })
      expect(yield* Z.stream(url)).toEqual({ chunks: 20, bytes: 10_000, lastChunk: 10_000 - 19 * 512 })
      expect(yield* Z.keepAlive(url)).toEqual({ connections: 1, reused: [false, true, true] })
      expect(yield* Z.unreachable).toMatchObject({ error: "HTTPConnectionError" })
    }).pipe(Effect.provide(client)),
  )
})

describe("the overview of requests, http.client and urllib (seed 003), over HTTPS", () => {
  scoped("each of the three ways GETs /users from a server whose CA was made at start", () =>
    Effect.gen(function* () {
      const { ca, port, origin } = yield* secureServer
      const users = [
        { id: 1, name: "Ada Lovelace" },
        { id: 2, name: "Grace Hopper" },
      ]
      // The server offers HTTP/2 and HTTP/1.1: the Client negotiates HTTP/2, httplib's Connection speaks 1.1.
      expect(yield* O.viaRequests(origin, ca)).toEqual({ status: 200, version: "HTTP/2", users })
      expect(yield* O.viaHttpClient(port, ca)).toEqual({ status: 200, users })
      expect(yield* O.viaUrllib(origin, ca)).toEqual({ status: 200, version: "HTTP/2", users })
      // The certificate is checked: without the CA the same request fails to connect.
      const untrusted = yield* Effect.flip(
        O.viaRequests(origin, "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----"),
      )
      expect(untrusted._tag).toBe("HTTPConnectionError")
    }),
  )
})
