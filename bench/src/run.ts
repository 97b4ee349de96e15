/**
 * `pnpm bench`: Courier against undici.request, node:http and @effect/platform's HttpClient on loopback.
 *
 * The server runs in its own process, and so does every client run. Rounds interleave the clients (each
 * round runs every client once per workload, in a rotated order) and the table reports medians over the
 * rounds: requests per second and client CPU microseconds per request. The table is printed and written to
 * bench/results/latest.md with the date and machine. Every process runs plain JavaScript bundled by esbuild
 * first, as the published packages would run, so no client pays for on-the-fly TypeScript.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import { build } from "esbuild"

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3)
const MILLIS = Number(process.env.BENCH_MILLIS ?? 3000)
const clients = ["courier", "undici.request", "node:http", "@effect/platform (fetch)"]
const workloads = [
  { id: "seq", label: "sequential GETs, 1 connection" },
  { id: "c64", label: "64 in flight, 16 connections" },
]
const dist = new URL("../dist/", import.meta.url).pathname

const bundle = () =>
  build({
    entryPoints: {
      client: new URL("./client.ts", import.meta.url).pathname,
      server: new URL("./server.ts", import.meta.url).pathname,
    },
    outdir: dist,
    outExtension: { ".js": ".mjs" },
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    logLevel: "warning",
    banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
  })

const startServer = (): Promise<{ port: number; proc: ChildProcess }> =>
  new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [`${dist}server.mjs`], { stdio: ["ignore", "pipe", "inherit"] })
    proc.stdout?.once("data", (d: Buffer) => resolve({ port: Number(d.toString().trim()), proc }))
    proc.once("error", reject)
  })

interface Sample {
  readonly requests: number
  readonly elapsed: number
  readonly cpuMicros: number
}

const runClient = (client: string, workload: string, port: number): Sample => {
  const args = [`${dist}client.mjs`, client, workload, String(port), String(MILLIS)]
  const out = execFileSync(process.execPath, args, { encoding: "utf8" })
  return JSON.parse(out.trim().split("\n").at(-1) ?? "{}") as Sample
}

const median = (xs: ReadonlyArray<number>): number => {
  const s = [...xs].sort((a, b) => a - b)
  const mid = Math.floor(s.length / 2)
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2
}

const main = async () => {
  await bundle()
  const { port, proc } = await startServer()
  const samples = new Map<string, Array<Sample>>()
  try {
    for (let round = 0; round < ROUNDS; round++) {
      for (const w of workloads) {
        const order = clients.map((_, i) => clients[(i + round) % clients.length] as string)
        for (const c of order) {
          const s = runClient(c, w.id, port)
          const key = `${w.id}|${c}`
          samples.set(key, [...(samples.get(key) ?? []), s])
          process.stderr.write(
            `round ${round + 1} ${w.id} ${c}: ${Math.round((s.requests / s.elapsed) * 1000)} req/s\n`,
          )
        }
      }
    }
  } finally {
    proc.kill()
  }
  const lines = [
    `# Courier benchmark — ${new Date().toISOString().slice(0, 10)}`,
    "",
    `Machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${os.platform()}.`,
    `Server: node:http in its own process on 127.0.0.1. ${ROUNDS} interleaved rounds of ${MILLIS} ms per client and workload; medians.`,
    "",
  ]
  for (const w of workloads) {
    lines.push(`## ${w.label}`, "", "| client | req/s | × undici | client CPU µs/req |", "| --- | ---: | ---: | ---: |")
    const undici = median((samples.get(`${w.id}|undici.request`) ?? []).map((s) => (s.requests / s.elapsed) * 1000))
    for (const c of clients) {
      const ss = samples.get(`${w.id}|${c}`) ?? []
      const rps = median(ss.map((s) => (s.requests / s.elapsed) * 1000))
      const cpu = median(ss.map((s) => s.cpuMicros / s.requests))
      lines.push(`| ${c} | ${Math.round(rps)} | ${(rps / undici).toFixed(2)} | ${cpu.toFixed(1)} |`)
    }
    lines.push("")
  }
  const table = lines.join("\n")
  process.stdout.write(`${table}\n`)
  fs.mkdirSync(new URL("../results/", import.meta.url), { recursive: true })
  fs.writeFileSync(new URL("../results/latest.md", import.meta.url), `${table}\n`)
}

main().catch((e: unknown) => {
  process.stderr.write(`${String(e)}\n`)
  process.exit(1)
})
