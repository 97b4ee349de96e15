/**
 * The courier command as a function from arguments to output (main.ts prints it and exits). People get
 * curl-like output: the status line, the header fields as received, a blank line and the body, with a line
 * end after a text body that has none. With `--json` exactly one JSON object goes to stdout:
 * `{"ok":true,"status",…,"headers":[[name,value]…],"body_b64"}` on success, `{"ok":false,"error":"<_tag>",
 * "message"}` on a typed error. Exit codes are curl's where the two overlap (see `help`).
 */
import { Client, type HttpError, Request, Response, Sse } from "@courier/core"
import { NodeTransport } from "@courier/node-transport"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import type * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Stream from "effect/Stream"
import { type Args, help, parseArgs, usage } from "./args.js"

export { help, parseArgs, usage }

export interface Output {
  readonly stdout: string
  readonly stderr: string
  readonly exitCode: number
}

/** curl's exit code for a connection that could not be made, by the code the transport gave. */
const connectExit = (code: string): number => {
  if (/^(ENOTFOUND|EAI_AGAIN|EAI_NONAME)$/.test(code)) return 6
  if (/^(CERT_|UNABLE_TO_|SELF_SIGNED|DEPTH_ZERO|ERR_TLS_CERT)/.test(code)) return 60
  if (/^(ERR_SSL_|ERR_TLS_)/.test(code)) return 35
  if (/^(PROXY_|SOCKS_|EPROXY)/.test(code)) return 97
  return 7
}

/** curl's exit code for a typed error, where curl has one; 1 otherwise, as curl's generic failure. */
export const exitCodeOf = (error: HttpError.HttpError): number => {
  switch (error._tag) {
    case "UnknownProtocol":
      return 1
    case "InvalidURL":
      return 3
    case "InvalidHeader":
    case "EncodeError":
      return 2
    case "HTTPConnectionError":
      return connectExit(error.code)
    case "Timeout":
      return 28
    case "TooManyRedirects":
      return 47
    case "BadStatusLine":
      return error.line === "" ? 52 : 8
    case "ProtocolError":
    case "HeaderOverflow":
      return 8
    case "IncompleteRead":
      return 18
    case "IOError":
      return error.code === "EPIPE" ? 55 : 56
    case "UnknownTransferEncoding":
    case "DecodeError":
      return 61
    case "BodyTooLarge":
      return 63
    case "StreamReset":
      return 92
    default:
      return 1
  }
}

/** The client the arguments ask for: a session (cookies follow redirects) over Node's sockets. */
export const clientLayer = (args: Args): Layer.Layer<Client.Client> =>
  NodeTransport.session({
    httpVersion: args.httpVersion,
    decompress: args.compressed,
    ...(args.unixSocket === undefined ? {} : { socketPath: args.unixSocket }),
    ...(args.proxy === undefined ? {} : { proxy: { http: args.proxy, https: args.proxy, proxyLoopback: true } }),
    ...(args.resolve.length === 0 ? {} : { resolve: args.resolve }),
  })

const base64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString("base64")

/** Whether the body reads as text: a text type, JSON, XML, a form, or JavaScript. */
const isText = (r: Response.Response): boolean =>
  /^(text\/|application\/([\w.+-]*\+)?(json|xml|javascript|x-www-form-urlencoded))/i.test(
    Response.getHeader(r, "content-type") ?? "",
  )

const human = (r: Response.Response, body: Uint8Array): string => {
  const lines = [`${r.version} ${r.status} ${r.reason}`, ...r.headers.entries.map(([k, v]) => `${k}: ${v}`), ""]
  const text = new TextDecoder().decode(body)
  // A text body that does not end a line gets one, so the shell prompt starts on a line of its own.
  const end = body.length > 0 && isText(r) && !text.endsWith("\n") ? "\n" : ""
  return `${lines.join("\n")}\n${text}${end}`
}

const success = (args: Args, r: Response.Response, body: Uint8Array): Output =>
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
    : { stdout: human(r, body), stderr: "", exitCode: 0 }

/** A hint for a failure the arguments may have caused. */
const hintFor = (args: Args, error: HttpError.HttpError): string =>
  args.httpVersion === "2" && error._tag === "HTTPConnectionError" && error.message.includes("did not answer in HTTP/2")
    ? "courier: the server may speak only HTTP/1.1: try again without --http2-prior-knowledge\n"
    : ""

const failure = (args: Args, error: HttpError.HttpError): Output =>
  args.json
    ? {
        stdout: `${JSON.stringify({ ok: false, error: error._tag, message: error.message })}\n`,
        stderr: "",
        exitCode: exitCodeOf(error),
      }
    : {
        stdout: "",
        stderr: `courier: ${error._tag}: ${error.message}\n${hintFor(args, error)}`,
        exitCode: exitCodeOf(error),
      }

/** What a mistake in the arguments prints: the reason and the usage, or one JSON object with `--json`. */
const mistake = (argv: ReadonlyArray<string>, reason: string): Output =>
  argv.includes("--json")
    ? { stdout: `${JSON.stringify({ ok: false, error: "UsageError", message: reason })}\n`, stderr: "", exitCode: 2 }
    : { stdout: "", stderr: `courier: ${reason}\n${usage}\n`, exitCode: 2 }

/** An event as `--sse` prints it: in event-stream form, or one JSON object a line with `--json`. */
const eventText = (args: Args, e: Sse.Event): string => {
  if (args.json) return `${JSON.stringify({ type: e.type, data: e.data, id: e.id })}\n`
  const lines = [
    ...(e.type === "message" ? [] : [`event: ${e.type}`]),
    ...e.data.split("\n").map((d) => `data: ${d}`),
    ...(e.id === "" ? [] : [`id: ${e.id}`]),
  ]
  return `${lines.join("\n")}\n\n`
}

/** `--sse`: each event written as it arrives; the output is then only how the stream ended. */
const streamEvents = (args: Args, request: Request.Request, write: (text: string) => void) =>
  Stream.runForEach(Sse.events(request), (e) => Effect.sync(() => write(eventText(args, e)))).pipe(
    Effect.as<Output>({ stdout: "", stderr: "", exitCode: 0 }),
    Effect.catchAll((error) => Effect.succeed(failure(args, error))),
  )

/**
 * Runs the request the arguments describe, over `layer` (by default the client they ask for). What is
 * printed while the request runs (`--sse` events) goes to `write`; by default it is collected into the
 * output's stdout.
 */
export const run = (
  argv: ReadonlyArray<string>,
  layer?: (args: Args) => Layer.Layer<Client.Client>,
  write?: (text: string) => void,
): Effect.Effect<Output> => {
  const parsed = parseArgs(argv)
  if (Either.isLeft(parsed)) return Effect.succeed(mistake(argv, parsed.left))
  if (parsed.right === "help") return Effect.succeed({ stdout: help, stderr: "", exitCode: 0 })
  const args = parsed.right
  const request = Request.make(args.method, args.url, {
    headers: args.headers,
    ...(args.data.length > 0 ? { data: args.data } : {}),
    ...(args.jsonBody !== undefined ? { json: args.jsonBody } : {}),
    ...(args.timeoutMillis !== undefined ? { timeout: args.timeoutMillis } : {}),
  })
  const log: Array<string> = []
  let written = ""
  const collect = (text: string) => {
    written += text
  }
  const sink = write ?? collect
  const exchange = args.sse
    ? Effect.map(streamEvents(args, request, sink), (out) => ({ ...out, stdout: written + out.stdout }))
    : Client.fetch(request).pipe(
        Effect.flatMap((r) => Effect.map(Response.bytes(r), (body) => success(args, r, body))),
        Effect.catchAll((error) => Effect.succeed(failure(args, error))),
      )
  const outcome = Effect.provide(exchange, (layer ?? clientLayer)(args))
  if (!args.verbose) return outcome
  // -v: the client's debug log, each entry on stderr before the outcome's own lines.
  const capture = Logger.make(({ message }) => {
    log.push(Array.isArray(message) ? message.join(" ") : String(message))
  })
  return outcome.pipe(
    Logger.withMinimumLogLevel(LogLevel.Debug),
    Effect.provide(Logger.replace(Logger.defaultLogger, capture)),
    Effect.map((out) => ({ ...out, stderr: `${log.map((l) => `${l}\n`).join("")}${out.stderr}` })),
  )
}
