/** `pnpm courier …`: runs the CLI over the node transport and exits with its code. */
import { NodeTransport } from "@courier/node-transport"
import * as Effect from "effect/Effect"
import { run } from "./cli.js"

Effect.runPromise(run(process.argv.slice(2)).pipe(Effect.provide(NodeTransport.client()))).then((out) => {
  process.stdout.write(out.stdout)
  process.stderr.write(out.stderr)
  process.exitCode = out.exitCode
})
