/**
 * `.netrc` credentials from disk (opt-in, as curl's `--netrc`): the file `$NETRC` names, or `~/.netrc`.
 *
 * @example
 * ```ts
 * const AppClient = Layer.unwrapEffect(Effect.map(NodeNetrc.load(), (netrc) => NodeTransport.client({ netrc })))
 * ```
 *
 * @since 0.3.0
 */
import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"
import { Auth } from "@courier/core"
import { catch as catchFailure } from "@courier/core/internal/edition"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"

/**
 * The netrc file could not be read (it exists, but not as a readable file).
 *
 * @since 0.3.0
 * @category errors
 */
export class NetrcError extends Data.TaggedError("NetrcError")<{
  readonly path: string
  readonly reason: string
}> {
  override get message(): string {
    return `Cannot read ${this.path}: ${this.reason}`
  }
}

/**
 * Where the netrc file is: `$NETRC`, or `.netrc` in the home directory.
 *
 * @since 0.3.0
 * @category netrc
 */
export const defaultPath = (env: Readonly<Record<string, string | undefined>> = process.env): string =>
  env.NETRC !== undefined && env.NETRC !== "" ? env.NETRC : path.join(os.homedir(), ".netrc")

/**
 * Reads and parses a netrc file (`defaultPath()` unless given); a file that does not exist has no entries.
 *
 * @since 0.3.0
 * @category netrc
 */
export const load = (file: string = defaultPath()): Effect.Effect<Auth.Netrc, NetrcError> =>
  Effect.tryPromise({
    try: () => fs.readFile(file, "utf8"),
    catch: (error) =>
      typeof error === "object" && error !== null && "code" in error ? String(error.code) : String(error),
  }).pipe(
    Effect.map(Auth.parseNetrc),
    catchFailure((reason: string) =>
      reason === "ENOENT" ? Effect.succeed(Auth.parseNetrc("")) : Effect.fail(new NetrcError({ path: file, reason })),
    ),
  )
