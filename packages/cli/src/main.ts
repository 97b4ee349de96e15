#!/usr/bin/env node
/** The `courier` command: runs the CLI over Node's sockets, prints what it gives and exits with its code. */
import * as Effect from "effect/Effect"
import { run } from "./cli.js"

// Events (--sse) are written as they arrive; the rest when the request is done.
Effect.runPromise(run(process.argv.slice(2), undefined, (text) => process.stdout.write(text))).then((out) => {
  process.stdout.write(out.stdout)
  process.stderr.write(out.stderr)
  process.exitCode = out.exitCode
})
