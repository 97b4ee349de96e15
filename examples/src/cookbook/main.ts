/** Runs every recipe of seed 001 against the embedded demo server, printing what each did. */
import { NodeTransport } from "@courier/node-transport"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import { demoServer } from "../demo-server.js"
import * as R from "./recipes.js"

const show = (title: string, value: unknown) => Console.log(`  ${title}: ${JSON.stringify(value)}`)

export const cookbook = Effect.gen(function* () {
  yield* Console.log("== seed 001: Python Cookbook recipes ==")
  const { url } = yield* demoServer
  const client = NodeTransport.client()
  yield* show("GET with query params", yield* Effect.provide(R.getWithParams(url), client))
  yield* show("POST form", yield* Effect.provide(R.postForm(url), client))
  yield* show("POST with custom headers", yield* Effect.provide(R.postWithHeaders(url), client))
  yield* show(".text, .content and .json()", yield* Effect.provide(R.postTextContentJson(url), client))
  yield* show("HEAD, headers case-insensitive", yield* Effect.provide(R.head(url), client))
  const platform = Layer.merge(NodeTransport.layer(), NodeTransport.platform)
  yield* show(
    "Basic auth in a session",
    yield* R.basicAuthSession(url, "joseamaita", Redacted.make("demo-password")).pipe(Effect.provide(platform)),
  )
  yield* show("cookies persisted by a session", yield* Effect.provide(R.persistCookies(url), NodeTransport.session()))
  yield* show(
    "session default headers merged",
    yield* Effect.provide(R.sessionDefaultHeaders(url), NodeTransport.session({ headers: { "x-test": "true" } })),
  )
  yield* show("keep-alive reuse", yield* Effect.provide(R.keepAlive(url), NodeTransport.session()))
  yield* show("upload a JSON file", yield* Effect.provide(R.uploadFile(url), client))
}).pipe(Effect.scoped)
