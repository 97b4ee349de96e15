/**
 * The demo: every seed scenario against the embedded local server, printing what each step did.
 * Run with `pnpm demo`.
 */
import * as Effect from "effect/Effect"
import { cookbook } from "./cookbook/main.js"
import { httplib } from "./httplib/main.js"
import { liveEvent } from "./live-event/main.js"
import { overview } from "./overview/main.js"
import { zerynth } from "./zerynth/main.js"

const program = Effect.gen(function* () {
  yield* liveEvent
  yield* cookbook
  yield* httplib
  yield* zerynth
  yield* overview
})

Effect.runPromise(program).then(
  () => {
    console.log("\nAll seed scenarios ran.")
  },
  (error: unknown) => {
    console.error("Demo failed:", error)
    process.exitCode = 1
  },
)
