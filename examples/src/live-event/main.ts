/** Runs seed 000 against the embedded demo server over the node transport, printing each step. */
import { NodeTransport } from "@courier/node-transport"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import { DEMO_API_KEY, DEMO_USER, demoServer } from "../demo-server.js"
import * as App from "./app.js"

const say = (line: string) => Console.log(`  ${line}`)

export const liveEvent = Effect.gen(function* () {
  yield* Console.log("== seed 000: live-event REST client ==")
  const server = yield* demoServer
  const api = NodeTransport.client({ baseUrl: `${server.url}/api/`, headers: { "X-API-KEY": DEMO_API_KEY } })
  yield* App.run({ userinfo: DEMO_USER, title: "Test", afterMinutes: 1, countdownSeconds: 3, interval: 20, say }).pipe(
    Effect.provide(api),
  )
  yield* Console.log("  -- the same client against a server that answers HTML instead of JSON:")
  const broken = NodeTransport.client({ baseUrl: `${server.url}/maintenance/`, headers: { "X-API-KEY": DEMO_API_KEY } })
  const error = yield* Effect.flip(App.authenticate(DEMO_USER).pipe(Effect.provide(broken)))
  yield* say(`${error._tag}: ${error.message}`)
}).pipe(Effect.scoped)
