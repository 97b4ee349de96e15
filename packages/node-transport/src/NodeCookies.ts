/**
 * A cookie jar kept in a file, so a CLI or a worker keeps its login across runs: `load` reads it (a file
 * that does not exist yet is an empty jar) and `save` writes it atomically — to a temporary file beside it,
 * then renamed over it, so a crash never leaves half a jar — readable by its owner only, since it holds
 * session cookies. The format is `Cookies.toJSON`'s, tough-cookie's own serialization.
 *
 * @example
 * ```ts
 * const program = Effect.gen(function* () {
 *   const jar = yield* NodeCookies.load("cookies.json")
 *   yield* Client.post("https://example.com/login", { data: { user, password } }).pipe(
 *     Effect.provide(NodeTransport.session({ cookies: jar })),
 *   )
 *   yield* NodeCookies.save(jar, "cookies.json")
 * })
 * ```
 *
 * @since 0.5.0
 */
import * as crypto from "node:crypto"
import * as fs from "node:fs/promises"
import { Cookies } from "@courier/core"
import { Result } from "@courier/core/internal/edition"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"

/**
 * The jar's file could not be read, parsed or written.
 *
 * @since 0.5.0
 * @category errors
 */
export class CookieFileError extends Data.TaggedError("CookieFileError")<{
  readonly path: string
  readonly reason: string
}> {
  override get message(): string {
    return `Cookie jar file ${this.path}: ${this.reason}`
  }
}

const reasonOf = (e: unknown): string =>
  typeof e === "object" && e !== null && "code" in e && typeof e.code === "string"
    ? e.code
    : e instanceof Error
      ? e.message
      : String(e)

/**
 * The jar saved at `path`, or an empty one when there is no file yet.
 *
 * @since 0.5.0
 * @category files
 */
export const load = (path: string): Effect.Effect<Cookies.Jar, CookieFileError> =>
  Effect.flatMap(
    Effect.tryPromise({
      try: () =>
        fs
          .readFile(path, "utf8")
          .catch((e: NodeJS.ErrnoException) => (e.code === "ENOENT" ? undefined : Promise.reject(e))),
      catch: (e) => new CookieFileError({ path, reason: reasonOf(e) }),
    }),
    (text) => {
      if (text === undefined) return Effect.succeed(Cookies.make())
      let json: unknown
      try {
        json = JSON.parse(text)
      } catch (e) {
        return Effect.fail(new CookieFileError({ path, reason: `not JSON: ${reasonOf(e)}` }))
      }
      return Result.match(Cookies.fromJSON(json), {
        onFailure: (e) => Effect.fail(new CookieFileError({ path, reason: e.reason })),
        onSuccess: Effect.succeed,
      })
    },
  )

/**
 * Writes `jar` to `path` atomically and readable by its owner only (mode 0600): the JSON goes to a temporary
 * file in the same folder, which is then renamed over `path`.
 *
 * @since 0.5.0
 * @category files
 */
export const save = (jar: Cookies.Jar, path: string): Effect.Effect<void, CookieFileError> =>
  Effect.flatMap(Cookies.toJSON(jar), (json) =>
    Effect.tryPromise({
      try: async () => {
        const temporary = `${path}.${process.pid}.${crypto.randomBytes(6).toString("hex")}.tmp`
        try {
          await fs.writeFile(temporary, `${JSON.stringify(json, null, 2)}\n`, { mode: 0o600 })
          await fs.rename(temporary, path)
        } catch (e) {
          await fs.rm(temporary, { force: true })
          throw e
        }
      },
      catch: (e) => new CookieFileError({ path, reason: reasonOf(e) }),
    }),
  )
