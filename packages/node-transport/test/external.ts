/**
 * Real servers from Debian for the interop tests — tinyproxy, httpbin under gunicorn, and nginx — started on
 * 127.0.0.1 for the life of a scope. `scripts/install-test-deps.sh` installs them (CI runs it). When one is
 * missing, its suite is skipped with instructions, except under CI, where a missing server is a failure.
 */
import { type ChildProcess, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as net from "node:net"
import * as os from "node:os"
import * as path from "node:path"
import { type CloseableScope, callback } from "@courier/core/internal/edition"
import { afterAll, beforeAll } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Scope from "effect/Scope"

const exists = (file: string) => fs.existsSync(file)

/** Whether the suite can run; outside CI a missing dependency skips it, in CI it fails loudly. */
export const available = (what: string, files: ReadonlyArray<string>): boolean => {
  if (files.every(exists)) return true
  const message = `${what} is not installed (${files.join(", ")}): run 'bash scripts/install-test-deps.sh' as root`
  if (process.env.CI !== undefined && process.env.CI !== "" && process.env.CI !== "false") {
    throw new Error(`${message}. CI must run this suite.`)
  }
  process.stderr.write(`skipping: ${message}\n`)
  return false
}

/** A port free at the moment (the OS picks it). */
export const freePort = () =>
  callback<number>((resume) => {
    const s = net.createServer()
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port
      s.close(() => resume(Effect.succeed(port)))
    })
  })

/** Where a server says it is ready: a line on its stderr, or a line in a file it writes (a log, a pid file). */
type Announcement = { readonly stderr: RegExp } | { readonly file: string; readonly line: RegExp }

/** Waits for the process to announce that it listens, or fails if it exits first. */
const announced = (proc: ChildProcess, name: string, said: Announcement) =>
  callback<void, Error>((resume) => {
    let stop = (): void => undefined
    let done = false
    const finish = (error?: Error) => {
      if (done) return
      done = true
      stop()
      resume(error === undefined ? Effect.void : Effect.fail(error))
    }
    proc.once("exit", (code) => finish(new Error(`${name} exited with ${code} before it listened`)))
    let text = ""
    // stderr is read for as long as the process runs, so a chatty server never blocks on a full pipe.
    proc.stderr?.on("data", (d: Buffer) => {
      if (done) return
      text += d.toString()
      if ("stderr" in said && said.stderr.test(text)) finish()
    })
    if ("file" in said) {
      const check = () => {
        if (exists(said.file) && said.line.test(fs.readFileSync(said.file, "utf8"))) finish()
      }
      const watcher = fs.watch(path.dirname(said.file), check)
      stop = () => watcher.close()
      check()
    }
  })

const run = (name: string, command: string, args: ReadonlyArray<string>, said: Announcement) =>
  Effect.acquireRelease(
    Effect.flatMap(
      Effect.sync(() => spawn(command, args, { stdio: ["ignore", "ignore", "pipe"] })),
      (proc) => Effect.as(Effect.orDie(announced(proc, name, said)), proc),
    ),
    (proc) =>
      callback<void>((resume) => {
        if (proc.exitCode !== null) return resume(Effect.void)
        proc.once("exit", () => resume(Effect.void))
        proc.kill("SIGTERM")
      }),
  )

export const TINYPROXY = "/usr/bin/tinyproxy"

/** tinyproxy on 127.0.0.1; with `auth`, it asks for Basic credentials. Gives its URL and its log file. */
export const tinyproxy = (auth?: { readonly user: string; readonly password: string }) =>
  Effect.gen(function* () {
    const port = yield* freePort()
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "courier-tinyproxy-"))
    const log = path.join(dir, "tinyproxy.log")
    const config = [
      `Port ${port}`,
      "Listen 127.0.0.1",
      "Timeout 30",
      "Allow 127.0.0.1",
      `LogFile "${log}"`,
      "LogLevel Info",
      "MaxClients 50",
      "DisableViaHeader No",
      ...(auth === undefined ? [] : [`BasicAuth ${auth.user} ${auth.password}`]),
    ]
    if (process.getuid?.() === 0) config.push("User nobody", "Group nogroup")
    fs.chmodSync(dir, 0o777)
    fs.writeFileSync(path.join(dir, "tinyproxy.conf"), `${config.join("\n")}\n`)
    yield* run("tinyproxy", TINYPROXY, ["-d", "-c", path.join(dir, "tinyproxy.conf")], {
      file: log,
      line: /Accepting connections/,
    })
    return { url: `http://127.0.0.1:${port}`, log: () => (exists(log) ? fs.readFileSync(log, "utf8") : "") }
  })

export const GUNICORN = "/usr/bin/gunicorn"
export const HTTPBIN = "/usr/lib/python3/dist-packages/httpbin/__init__.py"

/** httpbin served by gunicorn on 127.0.0.1; gives its base URL. */
export const httpbin = Effect.gen(function* () {
  const port = yield* freePort()
  const args = ["-b", `127.0.0.1:${port}`, "-w", "2", "--log-level", "info", "httpbin:app"]
  yield* run("httpbin", GUNICORN, args, { stderr: /Listening at: / })
  return `http://127.0.0.1:${port}`
})

/**
 * httpbin for the tests of one file: started before them when it is installed and stopped after them;
 * `base` is its URL once started, `run` whether the suite can run (see `available`).
 */
export const httpbinForSuite = () => {
  const run = available("httpbin", [GUNICORN, HTTPBIN])
  let scope: CloseableScope | undefined
  let base = ""
  beforeAll(async () => {
    if (!run) return
    scope = await Effect.runPromise(Scope.make())
    base = await Effect.runPromise(Effect.provideService(httpbin, Scope.Scope, scope))
  }, 30_000)
  afterAll(async () => {
    if (scope !== undefined) await Effect.runPromise(Scope.close(scope, Exit.void))
  })
  return {
    run,
    get base() {
      return base
    },
  }
}

export const NGINX = "/usr/sbin/nginx"

/** The repo's test certificate for `localhost` (fixtures/tls), for TLS servers. */
const tlsFixture = (name: string) => new URL(`./fixtures/tls/${name}`, import.meta.url).pathname

/**
 * nginx on 127.0.0.1 over TLS with the repo's test certificate: `h2` offers HTTP/2 and HTTP/1.1 by ALPN
 * (at most 8 streams per connection), `http1` HTTP/1.1 only. Routes: `/protocol` answers nginx's
 * `$server_protocol`, `/connection` its connection serial number, `/big` is 8 MiB. Debian 12 carries nginx
 * 1.22, which turns HTTP/2 on with `listen … http2` (the `http2 on` directive came in 1.25.1).
 */
export const nginx = Effect.gen(function* () {
  const [h2, http1] = [yield* freePort(), yield* freePort()]
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "courier-nginx-"))
  fs.mkdirSync(path.join(dir, "www"))
  fs.writeFileSync(path.join(dir, "www", "big"), Buffer.alloc(8 * 1024 * 1024, 0x63))
  fs.chmodSync(dir, 0o755)
  const site = (port: number, http2: boolean) => `
  server {
    listen 127.0.0.1:${port} ssl${http2 ? " http2" : ""};
    ssl_certificate ${tlsFixture("server.crt")};
    ssl_certificate_key ${tlsFixture("server.key")};
    http2_max_concurrent_streams 8;
    root ${dir}/www;
    location = /protocol { default_type text/plain; return 200 "$server_protocol"; }
    location = /connection { default_type text/plain; return 200 "$connection"; }
  }`
  const pid = path.join(dir, "nginx.pid")
  const conf = `
daemon off;
master_process off;
worker_processes 1;
error_log ${dir}/error.log warn;
pid ${pid};
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  ${site(h2, true)}
  ${site(http1, false)}
}
`
  fs.writeFileSync(path.join(dir, "nginx.conf"), conf)
  // nginx writes its pid file once its sockets listen.
  yield* run("nginx", NGINX, ["-p", dir, "-c", path.join(dir, "nginx.conf")], { file: pid, line: /\d+/ })
  return { h2: `https://localhost:${h2}`, http1: `https://localhost:${http1}` }
})
