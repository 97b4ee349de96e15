/**
 * The courier command's arguments: curl's names where they overlap (`-H`, `-d`, `-v`, `--compressed`,
 * `--unix-socket`, `--proxy`, `--resolve`, `--http1.1`, `--http2-prior-knowledge`), parsed into a value,
 * or the reason they cannot be.
 */
import * as Either from "effect/Either"

export interface Args {
  readonly method: string
  readonly url: string
  readonly headers: ReadonlyArray<readonly [string, string]>
  readonly data: ReadonlyArray<readonly [string, string]>
  readonly jsonBody: unknown
  readonly timeoutMillis: number | undefined
  /** Print one JSON object instead of curl-like output. */
  readonly json: boolean
  /** `--http1.1` or `--http2-prior-knowledge` (curl's names); otherwise ALPN decides over TLS. */
  readonly httpVersion: "auto" | "1.1" | "2"
  /** The client's debug log on stderr: each head sent and received, the connection, redirects, retries. */
  readonly verbose: boolean
  /** Ask for a compressed response and decode it (curl's `--compressed`); otherwise identity is asked for. */
  readonly compressed: boolean
  readonly unixSocket: string | undefined
  readonly proxy: string | undefined
  readonly resolve: ReadonlyArray<string>
  /** Read the response as server-sent events, printing each as it arrives (reconnecting as EventSource does). */
  readonly sse: boolean
}

/** What `courier --help` prints. */
export const help = `Usage: courier [options...] METHOD URL

Sends one HTTP request with Courier over Node's sockets and prints the response: the status line, the
header fields as received, a blank line and the body. Redirects are followed; cookies set on the way go
with the next hop.

Options:
  -H, --header 'Name: value'    Send a header field (repeatable)
  -d, --data k=v                Send a form field, application/x-www-form-urlencoded (repeatable)
      --json-body '{...}'       Send a JSON body (--data wins when both are given)
      --timeout ms              Give up after this many milliseconds
      --compressed              Ask for a compressed response (gzip, deflate, br, zstd where Node has it)
                                and decode it
      --http1.1                 Speak HTTP/1.1 only
      --http2-prior-knowledge   Speak HTTP/2 without asking (h2c in clear text)
      --proxy URL               Use this proxy: http://, https://, socks5:// (names resolved here) or
                                socks5h:// (resolved by the proxy); otherwise http_proxy, https_proxy,
                                all_proxy and no_proxy from the environment
      --resolve HOST:PORT:ADDR  Connect to ADDR for HOST:PORT (repeatable; ADDR may list several, comma-
                                separated, IPv6 in brackets)
      --unix-socket PATH        Connect to this Unix domain socket; the URL still gives Host and path
      --sse                     Read server-sent events and print each as it arrives (one JSON object a
                                line with --json), reconnecting as EventSource does
  -v, --verbose                 Print the client's debug log on stderr
      --json                    Print one JSON object: {"ok":true,"status",...,"body_b64"} or
                                {"ok":false,"error","message"}
  -h, --help                    Print this help

Exit codes, as curl's where they overlap: 0 success, 1 unsupported protocol, 2 bad arguments, 3 malformed
URL, 6 host not resolved, 7 could not connect, 8 malformed response, 18 body cut short, 28 timeout,
35 TLS handshake failed, 47 too many redirects, 52 empty reply, 55 send failure, 56 receive failure,
60 certificate not trusted, 61 undecodable content, 63 body past its limit, 92 HTTP/2 stream reset,
97 proxy handshake failed.
`

/** The short form of the usage, printed with an argument mistake. */
export const usage = "usage: courier [options...] METHOD URL (courier --help lists the options)"

/** The value of an option that takes one, or why it is missing. */
const optionValue = (argv: ReadonlyArray<string>, i: number, name: string): Either.Either<string, string> => {
  const v = argv[i + 1]
  return v === undefined ? Either.left(`${name} needs a value`) : Either.right(v)
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] }

/** One option that takes a value, applied to `args`; the left side says what is wrong with the value. */
const withValue = (args: Mutable<Args>, name: string, v: string): string | undefined => {
  switch (name) {
    case "-H":
    case "--header": {
      const colon = v.indexOf(":")
      if (colon <= 0) return `-H needs 'Name: value', got ${JSON.stringify(v)}`
      args.headers = [...args.headers, [v.slice(0, colon).trim(), v.slice(colon + 1).trim()]]
      return undefined
    }
    case "-d":
    case "--data": {
      const eq = v.indexOf("=")
      if (eq <= 0) return `--data needs k=v, got ${JSON.stringify(v)}`
      args.data = [...args.data, [v.slice(0, eq), v.slice(eq + 1)]]
      return undefined
    }
    case "--json-body":
      try {
        args.jsonBody = JSON.parse(v)
        return undefined
      } catch {
        return `--json-body is not JSON: ${JSON.stringify(v)}`
      }
    case "--timeout": {
      const t = Number(v)
      if (!Number.isFinite(t) || t <= 0) return "--timeout needs a positive number of milliseconds"
      args.timeoutMillis = t
      return undefined
    }
    case "--unix-socket":
      args.unixSocket = v
      return undefined
    case "--proxy":
      args.proxy = v
      return undefined
    case "--resolve":
      args.resolve = [...args.resolve, v]
      return undefined
  }
  return `unknown option ${name}`
}

const FLAGS: Readonly<Record<string, (args: Mutable<Args>) => void>> = {
  "--json": (a) => {
    a.json = true
  },
  "--http1.1": (a) => {
    a.httpVersion = "1.1"
  },
  "--http2-prior-knowledge": (a) => {
    a.httpVersion = "2"
  },
  "-v": (a) => {
    a.verbose = true
  },
  "--verbose": (a) => {
    a.verbose = true
  },
  "--compressed": (a) => {
    a.compressed = true
  },
  "--sse": (a) => {
    a.sse = true
  },
}

const WITH_VALUE = new Set([
  "-H",
  "--header",
  "-d",
  "--data",
  "--json-body",
  "--timeout",
  "--unix-socket",
  "--proxy",
  "--resolve",
])

/** Parses the arguments: `"help"` when help is asked for, the arguments, or what is wrong with them. */
export const parseArgs = (argv: ReadonlyArray<string>): Either.Either<Args | "help", string> => {
  const args: Mutable<Args> = {
    method: "",
    url: "",
    headers: [],
    data: [],
    jsonBody: undefined,
    timeoutMillis: undefined,
    json: false,
    httpVersion: "auto",
    verbose: false,
    compressed: false,
    unixSocket: undefined,
    proxy: undefined,
    resolve: [],
    sse: false,
  }
  const positional: Array<string> = []
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? ""
    if (arg === "-h" || arg === "--help") return Either.right("help")
    const flag = FLAGS[arg]
    if (flag !== undefined) {
      flag(args)
      continue
    }
    if (WITH_VALUE.has(arg)) {
      const v = optionValue(argv, i, arg)
      if (Either.isLeft(v)) return Either.left(v.left)
      const wrong = withValue(args, arg, v.right)
      if (wrong !== undefined) return Either.left(wrong)
      i++
    } else if (arg.startsWith("-") && arg !== "-") return Either.left(`unknown option ${arg}`)
    else positional.push(arg)
  }
  const [method, url, ...rest] = positional
  if (method === undefined || url === undefined || rest.length > 0) return Either.left("expected METHOD and URL")
  args.method = method.toUpperCase()
  args.url = url
  return Either.right(args)
}
