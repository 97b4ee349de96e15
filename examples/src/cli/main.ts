/** `pnpm courier …`: runs the CLI over the node transport with the library's defaults (redirects followed, bodies decompressed) and exits with its code. */
import { NodeTransport } from "@courier/node-transport"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import { parseArgs, run } from "./cli.js"

const argv = process.argv.slice(2)
const parsed = parseArgs(argv)
const httpVersion = Either.isRight(parsed) ? parsed.right.httpVersion : "auto"
// A session: one cookie jar for the invocation, so cookies set on a redirect hop go with the next hop.
Effect.runPromise(run(argv).pipe(Effect.provide(NodeTransport.session({ httpVersion })))).then((out) => {
  process.stdout.write(out.stdout)
  process.stderr.write(out.stderr)
  process.exitCode = out.exitCode
})
