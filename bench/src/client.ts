/**
 * One benchmark client in its own process: `client.ts <client> <workload> <port> <millis>`. It warms up,
 * then runs the workload for `millis`, and prints one JSON line: requests done, wall time, CPU time.
 *
 * Workloads: `seq` — sequential GETs over one connection; `c64` — 64 requests in flight over 16
 * connections. Every client reads each response body to the end.
 */
import * as http from "node:http"
import { Client, Request } from "@courier/core"
import { NodeTransport } from "@courier/node-transport"
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as HttpClient from "@effect/platform/HttpClient"
import * as Effect from "effect/Effect"
import * as ManagedRuntime from "effect/ManagedRuntime"
import { Pool } from "undici"

const [clientName = "", workload = "seq", portText = "0", millisText = "3000"] = process.argv.slice(2)
const port = Number(portText)
const millis = Number(millisText)
const url = `http://127.0.0.1:${port}/`
const inFlight = workload === "seq" ? 1 : 64
const connections = workload === "seq" ? 1 : 16

/** A client: `run(until)` keeps `inFlight` requests going until the deadline and gives the count. */
interface Bench {
  readonly run: (until: number) => Promise<number>
  readonly close: () => Promise<void>
}

/** Promise clients: `inFlight` async loops, each awaiting one request (body read) after another. */
const promiseLoops = (once: () => Promise<void>, close: () => Promise<void>): Bench => ({
  run: async (until) => {
    let count = 0
    const worker = async () => {
      while (performance.now() < until) {
        await once()
        count++
      }
    }
    await Promise.all(Array.from({ length: inFlight }, worker))
    return count
  },
  close,
})

/** Effect clients: `inFlight` fibers in one runtime, as an Effect application runs them. */
const fiberLoops = <E, R>(
  runtime: ManagedRuntime.ManagedRuntime<R, E>,
  once: Effect.Effect<unknown, unknown, R>,
): Bench => ({
  run: (until) => {
    let count = 0
    const loop: Effect.Effect<void, unknown, R> = Effect.suspend(() =>
      performance.now() < until
        ? Effect.flatMap(once, () => {
            count++
            return loop
          })
        : Effect.void,
    )
    return runtime.runPromise(
      Effect.map(
        Effect.all(
          Array.from({ length: inFlight }, () => loop),
          { concurrency: "unbounded" },
        ),
        () => count,
      ),
    )
  },
  close: () => runtime.dispose(),
})

const courier = (): Bench =>
  fiberLoops(
    ManagedRuntime.make(NodeTransport.client({ maxConnectionsPerOrigin: connections })),
    Client.fetch(Request.get(url)),
  )

const undici = (): Bench => {
  const pool = new Pool(`http://127.0.0.1:${port}`, { connections })
  return promiseLoops(
    async () => {
      const { body } = await pool.request({ path: "/", method: "GET" })
      await body.arrayBuffer()
    },
    () => pool.close(),
  )
}

const nodeHttp = (): Bench => {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections })
  return promiseLoops(
    () =>
      new Promise<void>((resolve, reject) => {
        http
          .get(url, { agent }, (res) => {
            res.on("data", () => undefined)
            res.on("end", resolve)
            res.on("error", reject)
          })
          .on("error", reject)
      }),
    async () => agent.destroy(),
  )
}

const platform = (): Bench =>
  fiberLoops(
    ManagedRuntime.make(FetchHttpClient.layer),
    Effect.flatMap(HttpClient.get(url), (res) => res.arrayBuffer),
  )

const clients: Record<string, () => Bench> = {
  courier,
  "undici.request": undici,
  "node:http": nodeHttp,
  "@effect/platform (fetch)": platform,
}

const main = async () => {
  const make = clients[clientName]
  if (make === undefined) throw new Error(`unknown client ${clientName}`)
  const client = make()
  await client.run(performance.now() + Math.min(1000, millis / 3))
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  const requests = await client.run(t0 + millis)
  const elapsed = performance.now() - t0
  const cpu = process.cpuUsage(cpu0)
  await client.close()
  process.stdout.write(`${JSON.stringify({ requests, elapsed, cpuMicros: cpu.user + cpu.system })}\n`)
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`${String(e)}\n`)
    process.exit(1)
  },
)
