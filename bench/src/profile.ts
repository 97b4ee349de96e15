/**
 * `pnpm --filter @courier/bench profile`: where the CPU goes, for one workload and several clients. Each
 * client runs the workload once (BENCH_MILLIS, 4000 by default) in its own process under V8's sampling
 * profiler (`--cpu-prof`), against the same nginx as `pnpm bench`, pinned the same way; the self time of
 * every sample is then charged to what ran: the Effect runtime, Courier's core or node transport, undici,
 * a Node internal module, or the garbage collector. Bundled code is told apart by the module comments
 * esbuild writes into the bundle. The point is the split, not the totals: the profiler slows every client.
 *
 * BENCH_WORKLOAD picks the shape (`h2c100` by default: HTTP/2 over TLS, 100 in flight on one connection;
 * `c64`: HTTP/1.1, 64 in flight over 16 connections; `post`: 1 KiB POSTs, 32 in flight over 16 connections); BENCH_CLIENTS the clients,
 * comma-separated. A client named with " [Effect 4]" after it runs from the Effect 4 edition's bundle, as in
 * `pnpm bench`.
 */
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { bundle, bundleEffect4, dist, EFFECT4 } from "./bundle.js"
import type { Spec } from "./client.js"
import { CA, startNginx } from "./nginx.js"
import { pinned } from "./pin.js"

const MILLIS = Number(process.env.BENCH_MILLIS ?? 4000)
/** With BENCH_TOP=n, the n functions with the most self time follow each client's split. */
const TOP = Number(process.env.BENCH_TOP ?? 0)
const CLIENTS = (
  process.env.BENCH_CLIENTS ?? "courier (one-call fibers),courier (one-call runPromise),undici.request"
).split(",")
const SHAPES = {
  h2c100: { connections: 1, inFlight: 100, h2: true },
  c64: { connections: 16, inFlight: 64, h2: false },
  post: { connections: 16, inFlight: 32, h2: false, op: "post" },
} as const
const shapeName = process.env.BENCH_WORKLOAD ?? "h2c100"

interface CallFrame {
  readonly functionName: string
  readonly url: string
  readonly lineNumber: number
}
interface Profile {
  readonly nodes: ReadonlyArray<{ readonly id: number; readonly callFrame: CallFrame }>
  readonly samples: ReadonlyArray<number>
  readonly timeDeltas: ReadonlyArray<number>
}

/** The bundle's module boundaries: the line where each module's code begins, and the module's path. */
const modulesOf = (bundled: string): ReadonlyArray<readonly [number, string]> =>
  bundled.split("\n").flatMap((line, i) => {
    const m = /^\/\/ (\S+\.(?:m?js|ts))$/.exec(line)
    return m?.[1] === undefined ? [] : [[i, m[1]] as const]
  })

/** The module a line of the bundle belongs to (the last boundary at or before it). */
const moduleAt = (modules: ReadonlyArray<readonly [number, string]>, line: number): string => {
  let lo = 0
  let hi = modules.length - 1
  let found = "?"
  while (lo <= hi) {
    const mid = (lo + hi) >> 1
    const m = modules[mid]
    if (m !== undefined && m[0] <= line) {
      found = m[1]
      lo = mid + 1
    } else hi = mid - 1
  }
  return found
}

/** What a sampled frame is charged to. */
const categoryOf = (modules: ReadonlyArray<readonly [number, string]>, frame: CallFrame): string => {
  if (frame.url === "") return frame.functionName.startsWith("(") ? frame.functionName : "native"
  if (frame.url.startsWith("node:")) return `node:${/^node:internal\/(\w+)/.exec(frame.url)?.[1] ?? frame.url.slice(5)}`
  const mod = moduleAt(modules, frame.lineNumber)
  if (mod.includes("/effect/") || mod.includes("/@effect/")) return "Effect runtime"
  if (mod.includes("undici")) return "undici"
  if (mod.includes("packages/core/")) return "Courier core"
  if (mod.includes("packages/node-transport/")) return "Courier node-transport"
  if (mod.includes("bench/src/")) return "bench driver"
  return `other: ${mod.split("node_modules/").at(-1)?.split("/")[0] ?? mod}`
}

/** Self time per key of each sampled frame, as shares of everything sampled, largest first. */
const split = (profile: Profile, key: (frame: CallFrame) => string) => {
  const frames = new Map(profile.nodes.map((n) => [n.id, n.callFrame]))
  const totals = new Map<string, number>()
  let all = 0
  profile.samples.forEach((id, i) => {
    const frame = frames.get(id)
    const dt = profile.timeDeltas[i] ?? 0
    if (frame === undefined) return
    const c = key(frame)
    totals.set(c, (totals.get(c) ?? 0) + dt)
    all += dt
  })
  return [...totals].sort((a, b) => b[1] - a[1]).map(([c, t]) => [c, t / all] as const)
}

/** A function of the bundle, named with the module it is in. */
const functionOf = (modules: ReadonlyArray<readonly [number, string]>, frame: CallFrame): string => {
  const where = frame.url === "" || frame.url.startsWith("node:") ? frame.url : moduleAt(modules, frame.lineNumber)
  const short = where.replace(/^.*\/(packages|node_modules)\//, "")
  return `${frame.functionName === "" ? "(anonymous)" : frame.functionName} · ${short === "" ? "native" : short}`
}

const main = async () => {
  const shape = SHAPES[shapeName as keyof typeof SHAPES]
  if (shape === undefined) throw new Error(`BENCH_WORKLOAD must be one of ${Object.keys(SHAPES).join(", ")}`)
  await bundle()
  const edition4 = CLIENTS.some((c) => c.endsWith(EFFECT4))
  if (edition4) await bundleEffect4()
  const bundles = {
    effect3: { file: `${dist}client.mjs`, modules: modulesOf(fs.readFileSync(`${dist}client.mjs`, "utf8")) },
    effect4: edition4
      ? { file: `${dist}client-effect4.mjs`, modules: modulesOf(fs.readFileSync(`${dist}client-effect4.mjs`, "utf8")) }
      : undefined,
  }
  const server = await startNginx()
  const out = fs.mkdtempSync(path.join(os.tmpdir(), "courier-profile-"))
  try {
    for (const client of CLIENTS) {
      const on4 = client.endsWith(EFFECT4)
      const { file: bundled, modules } = (on4 ? bundles.effect4 : undefined) ?? bundles.effect3
      const spec: Spec = {
        client: on4 ? client.slice(0, -EFFECT4.length) : client,
        op: "op" in shape ? shape.op : "get",
        path: "op" in shape ? "/post" : "/small",
        port: shape.h2 ? server.h2Port : server.port,
        ...(shape.h2 ? { h2CA: CA } : {}),
        millis: MILLIS,
        connections: shape.connections,
        inFlight: shape.inFlight,
      }
      const dir = path.join(out, String(CLIENTS.indexOf(client)))
      const args = ["--expose-gc", "--cpu-prof", `--cpu-prof-dir=${dir}`, bundled, JSON.stringify(spec)]
      const printed = execFileSync(...pinned("client", process.execPath, args), { encoding: "utf8" })
      const result = JSON.parse(printed.trim().split("\n").at(-1) ?? "{}") as {
        readonly requests: number
        readonly cpuMicros: number
      }
      const file = fs.readdirSync(dir).find((f) => f.endsWith(".cpuprofile"))
      if (file === undefined) throw new Error(`no profile was written for ${client}`)
      const profile = JSON.parse(fs.readFileSync(path.join(dir, file), "utf8")) as Profile
      const cpu = (result.cpuMicros / result.requests).toFixed(1)
      console.log(`\n### ${client}: ${result.requests} requests, ${cpu} µs of CPU each (profiled)\n`)
      console.log("| charged to | share of samples |\n| --- | ---: |")
      for (const [c, share] of split(profile, (f) => categoryOf(modules, f)).slice(0, 12)) {
        console.log(`| ${c} | ${(100 * share).toFixed(1)} % |`)
      }
      if (TOP > 0) {
        console.log("\n| function · module | share of samples |\n| --- | ---: |")
        for (const [f, share] of split(profile, (frame) => functionOf(modules, frame)).slice(0, TOP)) {
          console.log(`| ${f} | ${(100 * share).toFixed(1)} % |`)
        }
      }
    }
  } finally {
    server.stop()
    fs.rmSync(out, { recursive: true, force: true })
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`)
  process.exit(1)
})
