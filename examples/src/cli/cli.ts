/**
 * The courier CLI, as a function from arguments to output: `courier METHOD URL [-H 'Name: value']...
 * [--data k=v]... [--json-body '{...}'] [--timeout ms] [--http1.1 | --http2-prior-knowledge] [--json]`. The entry
 * point (main.ts) prints and exits; over TLS it speaks HTTP/2 when the server agrees (ALPN).
 *
 * People get curl-like output: the status line, the headers as received, a blank line and the body. With
 * `--json` exactly one JSON object goes to stdout: `{"ok":true,"status",…,"headers":[[name,value]…],
 * "body_b64"}` on success, `{"ok":false,"error":"<_tag>","message"}` on a typed error.
 */
import { Client, Request, Response } from "@courier/core"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"

export interface Output {
  readonly stdout: string
  readonly stderr: string
  readonly exitCode: 0 | 1 | 2
}

export interface Args {
  readonly method: string
  readonly url: string
  readonly headers: ReadonlyArray<readonly [string, string]>
  readonly data: ReadonlyArray<readonly [string, string]>
  readonly jsonBody: unknown
  readonly timeoutMillis: number | undefined
  readonly json: boolean
  /** `--http1.1` or `--http2-prior-knowledge` (curl's names); otherwise ALPN decides over TLS. */
  readonly httpVersion: "auto" | "1.1" | "2"
}

export const usage =
  "usage: courier METHOD URL [-H 'Name: value']... [--data k=v]... [--json-body '{...}'] [--timeout ms] [--http1.1 | --http2-prior-knowledge] [--json]"

/** Parses the arguments; the left side says what is wrong. */
export const parseArgs = (argv: ReadonlyArray<string>): Either.Either<Args, string> => {
  const positional: Array<string> = []
  const headers: Array<readonly [string, string]> = []
  const data: Array<readonly [string, string]> = []
  let jsonBody: unknown
  let timeoutMillis: number | undefined
  let json = false
  let httpVersion: Args["httpVersion"] = "auto"
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string
    const value = () => argv[++i]
    if (arg === "--json") json = true
    else if (arg === "--http1.1") httpVersion = "1.1"
    else if (arg === "--http2-prior-knowledge") httpVersion = "2"
    else if (arg === "-H" || arg === "--header") {
      const h = value()
      const colon = h?.indexOf(":") ?? -1
      if (h === undefined || colon <= 0) return Either.left(`-H needs 'Name: value', got ${JSON.stringify(h)}`)
      headers.push([h.slice(0, colon).trim(), h.slice(colon + 1).trim()])
    } else if (arg === "--data" || arg === "-d") {
      const d = value()
      const eq = d?.indexOf("=") ?? -1
      if (d === undefined || eq <= 0) return Either.left(`--data needs k=v, got ${JSON.stringify(d)}`)
      data.push([d.slice(0, eq), d.slice(eq + 1)])
    } else if (arg === "--json-body") {
      const text = value()
      try {
        jsonBody = JSON.parse(text ?? "")
      } catch {
        return Either.left(`--json-body is not JSON: ${JSON.stringify(text)}`)
      }
    } else if (arg === "--timeout") {
      const t = Number(value())
      if (!Number.isFinite(t) || t <= 0) return Either.left("--timeout needs a positive number of milliseconds")
      timeoutMillis = t
    } else if (arg.startsWith("-")) return Either.left(`unknown option ${arg}`)
    else positional.push(arg)
  }
  const [method, url, ...rest] = positional
  if (method === undefined || url === undefined || rest.length > 0) return Either.left("expected METHOD and URL")
  return Either.right({ method: method.toUpperCase(), url, headers, data, jsonBody, timeoutMillis, json, httpVersion })
}

const base64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString("base64")

const human = (r: Response.Response, body: Uint8Array): string => {
  const lines = [`${r.version} ${r.status} ${r.reason}`, ...r.headers.entries.map(([k, v]) => `${k}: ${v}`), ""]
  return `${lines.join("\n")}\n${new TextDecoder().decode(body)}`
}

/** Runs the CLI over the Client in context. */
export const run = (argv: ReadonlyArray<string>): Effect.Effect<Output, never, Client.Client> => {
  const parsed = parseArgs(argv)
  if (Either.isLeft(parsed)) {
    const wantsJson = argv.includes("--json")
    return Effect.succeed(
      wantsJson
        ? {
            stdout: `${JSON.stringify({ ok: false, error: "UsageError", message: parsed.left })}\n`,
            stderr: "",
            exitCode: 2,
          }
        : { stdout: "", stderr: `courier: ${parsed.left}\n${usage}\n`, exitCode: 2 },
    )
  }
  const args = parsed.right
  const request = Request.make(args.method, args.url, {
    headers: args.headers,
    ...(args.data.length > 0 ? { data: args.data } : {}),
    ...(args.jsonBody !== undefined ? { json: args.jsonBody } : {}),
    ...(args.timeoutMillis !== undefined ? { timeout: args.timeoutMillis } : {}),
  })
  return Client.fetch(request).pipe(
    Effect.flatMap((r) =>
      Effect.map(
        Response.bytes(r),
        (body): Output =>
          args.json
            ? {
                stdout: `${JSON.stringify({
                  ok: true,
                  status: r.status,
                  reason: r.reason,
                  version: r.version,
                  headers: r.headers.entries,
                  body_b64: base64(body),
                })}\n`,
                stderr: "",
                exitCode: 0,
              }
            : { stdout: human(r, body), stderr: "", exitCode: 0 },
      ),
    ),
    Effect.catchAll((error) =>
      Effect.succeed<Output>(
        args.json
          ? {
              stdout: `${JSON.stringify({ ok: false, error: error._tag, message: error.message })}\n`,
              stderr: "",
              exitCode: 1,
            }
          : { stdout: "", stderr: `courier: ${error._tag}: ${error.message}\n`, exitCode: 1 },
      ),
    ),
  )
}
