/** `pnpm courier …`: runs the CLI over the node transport with the library's defaults (redirects followed, bodies decompressed) and exits with its code. */
import { NodeTransport } from "@courier/node-transport"
import * as Effect from "effect/Effect"
import { run } from "./cli.js"

// A session: one cookie jar for the invocation, so cookies set on a redirect hop go with the next hop.
Effect.runPromise(run(process.argv.slice(2)).pipe(Effect.provide(NodeTransport.session()))).then((out) => {
  process.stdout.write(out.stdout)
  process.stderr.write(out.stderr)
  process.exitCode = out.exitCode
})
