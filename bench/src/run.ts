/**
 * `pnpm bench`: Courier against undici.request, node:http, fetch, axios, got and @effect/platform's
 * HttpClient (over its undici and node:http layers), on loopback, against nginx; and over HTTP/2 with TLS,
 * Courier against undici with `allowH2`. Beside them, undici.request wrapped in `Effect.promise` and run
 * per call with `runPromise` or as fibers: what the Effect runtime alone costs in each call style.
 *
 * Every run is its own process running esbuild-bundled JavaScript, so no client pays for on-the-fly
 * TypeScript. Rounds interleave the clients (each round runs every client once per workload, in a rotated
 * order) and the tables report medians over the rounds. wrk, a C load generator, measures nginx alone first
 * to show the server has headroom. Results go to bench/results/latest.md and latest.svg.
 *
 * The Effect clients run on both editions: a client named with " [Effect 4]" after it (`courier (one-call
 * fibers) [Effect 4]`, `undici.request in Effect (runPromise) [Effect 4]` …) runs from the Effect 4 edition's
 * tree, bundled with effect 4; the same name without it runs on Effect 3.
 *
 * Environment: BENCH_ROUNDS (3), BENCH_MILLIS (3000), BENCH_CLIENTS and BENCH_WORKLOADS (comma-separated
 * names, to run a part), BENCH_SCALE (1: also the scaling tables), BENCH_BASELINE (a git revision: its
 * Courier runs beside today's as the client `courier@<revision>`, to measure a change in the same run;
 * BENCH_BASELINE_CLIENT names which Courier client it runs, `courier` by default),
 * BENCH_PIN (0: do not pin the server and the clients to their own CPUs; see pin.ts).
 */
import { execFileSync, spawn, spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import { build } from "esbuild"
import { bundle, bundleEffect4, bundling, dist, EFFECT4 } from "./bundle.js"
import { barChart } from "./chart.js"
import type { Spec } from "./client.js"
import { clients } from "./clients.js"
import { effectClients } from "./effect-clients.js"
import { CA, SIZES, startNginx } from "./nginx.js"
import { pinned, pinning } from "./pin.js"

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3)
const MILLIS = Number(process.env.BENCH_MILLIS ?? 3000)
const SCALE = (process.env.BENCH_SCALE ?? "1") === "1"
const BASELINE = process.env.BENCH_BASELINE
const BASELINE_CLIENT = process.env.BENCH_BASELINE_CLIENT ?? "courier"
const baselineName = BASELINE === undefined ? undefined : `${BASELINE_CLIENT}@${BASELINE}`
const names = [
  ...(process.env.BENCH_CLIENTS?.split(",") ?? [
    ...Object.keys(clients),
    ...Object.keys(effectClients).map((name) => `${name}${EFFECT4}`),
  ]),
  ...(baselineName === undefined ? [] : [baselineName]),
]
const repo = new URL("../../", import.meta.url).pathname

interface Workload {
  readonly id: string
  readonly label: string
  readonly op: Spec["op"]
  readonly path: string
  readonly connections: number
  readonly inFlight: number
  readonly throughput: boolean
  /** Requests per connection at once; the workload then runs only the clients that pipeline. */
  readonly pipelining?: number
  /** Over TLS with HTTP/2; the workload then runs only the clients that speak it. */
  readonly h2?: boolean
  /** `inFlight` requests started together, the next burst once all ended (a fan-out), not kept in flight. */
  readonly burst?: boolean
}

/** The clients that can pipeline requests. */
const PIPELINING_CLIENTS = ["courier", "undici.request", ...(baselineName === undefined ? [] : [baselineName])]

/** The clients that speak HTTP/2 (undici with allowH2, also inside Effect as the floor), and the baseline. */
const H2_CLIENTS = [
  "courier",
  "courier (one-call fibers)",
  "courier (one-call runPromise)",
  "undici.request",
  "undici.request in Effect (runPromise)",
  "undici.request in Effect (fibers)",
  ...(baselineName === undefined ? [] : [baselineName]),
]

/** Whether `client` runs workload `w` (on either edition). */
const runs = (w: Workload, client: string): boolean => {
  const name = client.endsWith(EFFECT4) ? client.slice(0, -EFFECT4.length) : client
  return (
    (w.pipelining === undefined || PIPELINING_CLIENTS.includes(name)) && (w.h2 !== true || H2_CLIENTS.includes(name))
  )
}

const allWorkloads: ReadonlyArray<Workload> = [
  {
    id: "seq",
    label: "sequential GETs, 1 connection",
    op: "get",
    path: "/small",
    connections: 1,
    inFlight: 1,
    throughput: false,
  },
  {
    id: "c64",
    label: "64 in flight, 16 connections",
    op: "get",
    path: "/small",
    connections: 16,
    inFlight: 64,
    throughput: false,
  },
  {
    id: "post32",
    label: "POST 1 KiB JSON, 32 in flight",
    op: "post",
    path: "/post",
    connections: 16,
    inFlight: 32,
    throughput: false,
  },
  {
    id: "pipe",
    label: "GETs pipelined 8 deep, 64 in flight, 8 connections",
    op: "get",
    path: "/small",
    connections: 8,
    inFlight: 64,
    throughput: false,
    pipelining: 8,
  },
  {
    id: "download",
    label: "64 MiB download, streamed",
    op: "download",
    path: "/download",
    connections: 1,
    inFlight: 1,
    throughput: true,
  },
  {
    id: "h2c100",
    label: "HTTP/2 over TLS: 100 in flight, 1 connection",
    op: "get",
    path: "/small",
    connections: 1,
    inFlight: 100,
    throughput: false,
    h2: true,
  },
  {
    id: "h2burst",
    label: "HTTP/2 over TLS: bursts of 100 started together, 1 connection",
    op: "get",
    path: "/small",
    connections: 1,
    inFlight: 100,
    throughput: false,
    h2: true,
    burst: true,
  },
  {
    id: "h2download",
    label: "HTTP/2 over TLS: 64 MiB download, streamed",
    op: "download",
    path: "/download",
    connections: 1,
    inFlight: 1,
    throughput: true,
    h2: true,
  },
  {
    id: "h2buffered",
    label: "HTTP/2 over TLS: 64 MiB download, read into memory",
    op: "get",
    path: "/download",
    connections: 1,
    inFlight: 1,
    throughput: true,
    h2: true,
  },
  {
    id: "upload",
    label: "64 MiB upload, streamed",
    op: "upload",
    path: "/upload",
    connections: 1,
    inFlight: 1,
    throughput: true,
  },
]

const picked = process.env.BENCH_WORKLOADS?.split(",")
const workloads = picked === undefined ? allWorkloads : allWorkloads.filter((w) => picked.includes(w.id))

interface Sample {
  readonly requests: number
  readonly bytes: number
  readonly elapsed: number
  readonly cpuMicros: number
  readonly rssBefore: number
  readonly rssPeak: number
}

/**
 * The benchmark's client bundled against the Courier packages of `revision` (read from git into .cache),
 * the other packages resolved from today's node_modules: the same driver over yesterday's code.
 */
const bundleBaseline = async (revision: string) => {
  const sha = execFileSync("git", ["-C", repo, "rev-parse", "--short", revision], { encoding: "utf8" }).trim()
  const tree = `${repo}.cache/bench-baseline/${sha}/`
  // Extracted once; a folder left half-made by a failed extraction is made again.
  if (!fs.existsSync(`${tree}packages/core/src/index.ts`)) {
    fs.rmSync(tree, { recursive: true, force: true })
    fs.mkdirSync(tree, { recursive: true })
    // The archive is several MiB: past execFileSync's default 1 MiB buffer, which fails with ENOBUFS.
    const archive = execFileSync("git", ["-C", repo, "archive", "--format=tar", sha, "packages"], {
      maxBuffer: 512 * 1024 * 1024,
    })
    execFileSync("tar", ["-x", "-C", tree], { input: archive })
  }
  await build({
    ...bundling,
    entryPoints: { "client-baseline": new URL("./client.ts", import.meta.url).pathname },
    alias: {
      "@courier/core": `${tree}packages/core/src/index.ts`,
      // node-transport's one import of core's internals (package.json's `./internal/edition`).
      "@courier/core/internal/edition": `${tree}packages/core/src/internal/shared/edition-bridge.ts`,
      "@courier/node-transport": `${tree}packages/node-transport/src/index.ts`,
    },
    nodePaths: [`${repo}node_modules`, `${repo}packages/core/node_modules`, `${repo}bench/node_modules`],
  })
}

const runOnce = (spec: Spec): Sample => {
  const baseline = spec.client === baselineName
  const edition4 = spec.client.endsWith(EFFECT4)
  const file = baseline ? `${dist}client-baseline.mjs` : edition4 ? `${dist}client-effect4.mjs` : `${dist}client.mjs`
  const args = JSON.stringify(
    baseline
      ? { ...spec, client: BASELINE_CLIENT }
      : edition4
        ? { ...spec, client: spec.client.slice(0, -EFFECT4.length) }
        : spec,
  )
  const out = execFileSync(...pinned("client", process.execPath, ["--expose-gc", file, args]), { encoding: "utf8" })
  return JSON.parse(out.trim().split("\n").at(-1) ?? "{}") as Sample
}

const median = (xs: ReadonlyArray<number>): number => {
  const s = [...xs].sort((a, b) => a - b)
  const mid = Math.floor(s.length / 2)
  return s.length === 0
    ? Number.NaN
    : s.length % 2 === 1
      ? (s[mid] as number)
      : ((s[mid - 1] as number) + (s[mid] as number)) / 2
}

const perSecond = (s: Sample) => (s.requests / s.elapsed) * 1000
const mbps = (s: Sample) => s.bytes / 1024 / 1024 / (s.elapsed / 1000)
const mib = (n: number) => (n / 1024 / 1024).toFixed(0)

const headroom = (port: number): string => {
  const wrk = spawnSync(...pinned("client", "wrk", ["-t1", "-c16", "-d3s", `http://127.0.0.1:${port}/small`]), {
    encoding: "utf8",
  })
  return /Requests\/sec:\s+([\d.]+)/.exec(wrk.stdout)?.[1] ?? "n/a"
}

/** The upload sink, in its own process. */
const startSink = (): Promise<{ port: number; stop: () => void }> =>
  new Promise((resolve, reject) => {
    const proc = spawn(...pinned("server", process.execPath, [`${dist}sink.mjs`]), {
      stdio: ["ignore", "pipe", "inherit"],
    })
    proc.stdout?.once("data", (d: Buffer) => resolve({ port: Number(d.toString().trim()), stop: () => proc.kill() }))
    proc.once("error", reject)
  })

const main = async () => {
  await bundle()
  if (BASELINE !== undefined) await bundleBaseline(BASELINE)
  if (names.some((name) => name.endsWith(EFFECT4))) await bundleEffect4()
  const server = await startNginx()
  const sink = await startSink()
  const lines: Array<string> = []
  const chart: Array<{ workload: string; values: Array<{ client: string; ratio: number }> }> = []
  try {
    const wrk = headroom(server.port)
    const samples = new Map<string, Array<Sample>>()
    for (let round = 0; round < ROUNDS; round++) {
      for (const w of workloads) {
        const order = names.map((_, i) => names[(i + round) % names.length] as string)
        for (const client of order) {
          if (!runs(w, client)) continue
          const spec: Spec = {
            client,
            op: w.op,
            path: w.path,
            port: w.op === "upload" ? sink.port : w.h2 === true ? server.h2Port : server.port,
            ...(w.h2 === true ? { h2CA: CA } : {}),
            millis: MILLIS,
            connections: w.connections,
            inFlight: w.inFlight,
            ...(w.pipelining === undefined ? {} : { pipelining: w.pipelining }),
            ...(w.burst === true ? { burst: true } : {}),
          }
          try {
            const s = runOnce(spec)
            samples.set(`${w.id}|${client}`, [...(samples.get(`${w.id}|${client}`) ?? []), s])
            process.stderr.write(
              `round ${round + 1} ${w.id} ${client}: ${w.throughput ? `${mbps(s).toFixed(0)} MiB/s` : `${perSecond(s).toFixed(0)} req/s`}\n`,
            )
          } catch (e) {
            process.stderr.write(`round ${round + 1} ${w.id} ${client}: failed (${String(e).split("\n")[0]})\n`)
          }
        }
      }
    }
    lines.push(
      `# Courier benchmark — ${new Date().toISOString().slice(0, 10)}`,
      "",
      `Machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${os.platform()} ${os.release()}.`,
      `Server: nginx ${server.version}, one worker, on 127.0.0.1. Its headroom: wrk (1 thread, 16 connections) gets ${wrk} req/s from it on /small. Uploads go to a node:http sink in its own process that reads each body to the end (nginx answers before reading it).`,
      `Each client runs in its own process (bundled JavaScript); ${ROUNDS} interleaved rounds of ${MILLIS} ms per client and workload; medians.`,
      "Effect clients (Courier, @effect/platform) run their in-flight requests as fibers of one runtime; the others as async loops. Clients named runPromise start each call with its own runPromise from such a loop.",
      pinning
        ? "The server runs on CPU 0 and each client on CPU 1 (taskset), so runs do not swing with where the kernel puts them."
        : "Processes are not pinned to CPUs (no taskset, or one CPU): expect wider swings between runs.",
      "",
    )
    for (const w of workloads) {
      const base = samples.get(`${w.id}|undici.request`) ?? []
      const ref = w.throughput ? median(base.map(mbps)) : median(base.map(perSecond))
      lines.push(
        `## ${w.label}`,
        "",
        w.throughput
          ? "| client | MiB/s | × undici | CPU µs/MiB | RSS growth (MiB) |"
          : "| client | req/s | × undici | client CPU µs/req | peak RSS (MiB) |",
        "| --- | ---: | ---: | ---: | ---: |",
      )
      const values: Array<{ client: string; ratio: number }> = []
      for (const client of names) {
        if (!runs(w, client)) continue
        const ss = samples.get(`${w.id}|${client}`) ?? []
        if (ss.length === 0) {
          lines.push(`| ${client} | failed | | | |`)
          continue
        }
        if (w.throughput) {
          const rate = median(ss.map(mbps))
          const cpu = median(ss.map((s) => s.cpuMicros / (s.bytes / 1024 / 1024)))
          const growth = median(ss.map((s) => s.rssPeak - s.rssBefore))
          lines.push(
            `| ${client} | ${rate.toFixed(0)} | ${(rate / ref).toFixed(2)} | ${cpu.toFixed(0)} | ${mib(growth)} |`,
          )
          values.push({ client, ratio: rate / ref })
        } else {
          const rate = median(ss.map(perSecond))
          const cpu = median(ss.map((s) => s.cpuMicros / s.requests))
          const peak = median(ss.map((s) => s.rssPeak))
          lines.push(
            `| ${client} | ${rate.toFixed(0)} | ${(rate / ref).toFixed(2)} | ${cpu.toFixed(1)} | ${mib(peak)} |`,
          )
          values.push({ client, ratio: rate / ref })
        }
      }
      chart.push({ workload: w.label, values })
      lines.push("")
    }
    if (SCALE) lines.push(...scaling(server.port))
  } finally {
    server.stop()
    sink.stop()
  }
  const table = lines.join("\n")
  process.stdout.write(`${table}\n`)
  const results = new URL("../results/", import.meta.url)
  fs.mkdirSync(results, { recursive: true })
  fs.writeFileSync(new URL("latest.md", results), `${table}\n`)
  fs.writeFileSync(
    new URL("latest.svg", results),
    barChart(`Courier benchmark, ${new Date().toISOString().slice(0, 10)}: throughput × undici.request`, chart),
  )
}

/** How cost grows with connections and with response size, for Courier and the two Node clients it must beat. */
const scaling = (port: number): Array<string> => {
  const who = ["courier", "undici.request", "node:http"].filter((n) => names.includes(n))
  const run = (client: string, connections: number, path: string) =>
    runOnce({ client, op: "get", path, port, millis: Math.min(MILLIS, 2000), connections, inFlight: connections })
  const out = [
    "## Scaling with connections (GET /small, one request in flight per connection)",
    "",
    `| connections | ${who.map((c) => `${c} req/s | µs/req`).join(" | ")} |`,
    `| ---: | ${who.map(() => "---: | ---:").join(" | ")} |`,
  ]
  for (const connections of [1, 16, 256]) {
    const cells = who.map((c) => {
      const s = run(c, connections, "/small")
      return `${perSecond(s).toFixed(0)} | ${(s.cpuMicros / s.requests).toFixed(1)}`
    })
    out.push(`| ${connections} | ${cells.join(" | ")} |`)
    process.stderr.write(`scaling: ${connections} connections done\n`)
  }
  out.push(
    "",
    "## Scaling with response size (16 connections, 16 in flight)",
    "",
    `| body | ${who.map((c) => `${c} req/s | MiB/s | µs/req`).join(" | ")} |`,
    `| ---: | ${who.map(() => "---: | ---: | ---:").join(" | ")} |`,
  )
  for (const size of SIZES) {
    const cells = who.map((c) => {
      const s = run(c, 16, `/size/${size}`)
      return `${perSecond(s).toFixed(0)} | ${mbps(s).toFixed(0)} | ${(s.cpuMicros / s.requests).toFixed(1)}`
    })
    out.push(
      `| ${size >= 1024 * 1024 ? `${size / 1024 / 1024} MiB` : size >= 1024 ? `${size / 1024} KiB` : `${size} B`} | ${cells.join(" | ")} |`,
    )
    process.stderr.write(`scaling: ${size} bytes done\n`)
  }
  out.push("")
  return out
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`)
  process.exit(1)
})
