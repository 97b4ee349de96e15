/** Runs every function of seed 004 against the embedded demo server, printing what each did. */
import { NodeTransport } from "@courier/node-transport"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import { demoServer } from "../demo-server.js"
import * as Z from "./functions.js"

const show = (title: string, value: unknown) => Console.log(`  ${title}: ${JSON.stringify(value)}`)

export const zerynth = Effect.gen(function* () {
  yield* Console.log("== seed 004: Zerynth's requests module ==")
  const { url } = yield* demoServer
  yield* show("get with params and headers", yield* Z.get(url))
  yield* show("post/put/patch with data and json (data wins)", yield* Z.send(url))
  yield* show("delete, head, options", yield* Z.others(url))
  yield* show("upload a file (PUT)", yield* Z.upload(url))
  yield* show("streaming with a chunk callback (512-byte chunks)", yield* Z.stream(url))
  yield* show("one kept-alive connection for several requests", yield* Z.keepAlive(url))
  yield* show("no server there", yield* Z.unreachable)
}).pipe(Effect.scoped, Effect.provide(NodeTransport.client()))
