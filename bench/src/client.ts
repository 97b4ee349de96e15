/**
 * One benchmark run in its own process: `client.mjs '<json spec>'`, the spec naming the client, the
 * operation, the server, the duration and the connection shape. It warms up, runs for the duration, and
 * prints one JSON line: operations, bytes, wall and CPU time, and RSS before and at its peak.
 */
import { clients, type Ops } from "./clients.js"

export interface Spec {
  readonly client: string
  readonly op: "get" | "post" | "download" | "upload"
  readonly path: string
  readonly port: number
  readonly millis: number
  readonly connections: number
  readonly inFlight: number
  /** Requests per connection at once (HTTP/1.1 pipelining); absent or 1: off. */
  readonly pipelining?: number
  /** HTTP/2 over TLS to `https://localhost:port`, trusting this CA file. */
  readonly h2CA?: string
  /** Start `inFlight` operations together and wait for all, again and again, rather than keep them in flight. */
  readonly burst?: boolean
}

const spec = JSON.parse(process.argv[2] ?? "{}") as Spec
const json1k = new TextEncoder().encode(JSON.stringify({ data: "x".repeat(1000) }).slice(0, 1024))
const UPLOAD = 64 * 1024 * 1024

const op = <F>(ops: Ops<F>): F => {
  switch (spec.op) {
    case "get":
      return ops.get(spec.path)
    case "post":
      return ops.post(spec.path, json1k)
    case "download":
      return ops.download(spec.path)
    case "upload":
      return ops.upload(spec.path, UPLOAD)
  }
}

const main = async () => {
  const make = clients[spec.client]
  if (make === undefined) throw new Error(`unknown client ${spec.client}`)
  const base = spec.h2CA === undefined ? `http://127.0.0.1:${spec.port}` : `https://localhost:${spec.port}`
  const driver = make(base, {
    connections: spec.connections,
    inFlight: spec.inFlight,
    pipelining: spec.pipelining ?? 1,
    ...(spec.h2CA === undefined ? {} : { h2: { ca: spec.h2CA } }),
  })
  await driver.run(op, spec.inFlight, performance.now() + Math.min(1000, spec.millis / 3), spec.burst)
  global.gc?.()
  const rssBefore = process.memoryUsage().rss
  let rssPeak = rssBefore
  const sampler = setInterval(() => {
    rssPeak = Math.max(rssPeak, process.memoryUsage().rss)
  }, 10)
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  const { requests, bytes } = await driver.run(op, spec.inFlight, t0 + spec.millis, spec.burst)
  const elapsed = performance.now() - t0
  const cpu = process.cpuUsage(cpu0)
  clearInterval(sampler)
  rssPeak = Math.max(rssPeak, process.memoryUsage().rss)
  await driver.close()
  process.stdout.write(
    `${JSON.stringify({ requests, bytes, elapsed, cpuMicros: cpu.user + cpu.system, rssBefore, rssPeak })}\n`,
  )
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`${spec.client}: ${e instanceof Error ? e.stack : String(e)}\n`)
    process.exit(1)
  },
)
