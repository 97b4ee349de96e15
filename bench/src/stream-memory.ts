/**
 * `pnpm --filter @courier/bench memory`: streams a 1 GiB body through Courier and reports the client's
 * peak RSS next to its RSS before, so "constant memory" is a measured number. The server runs in its own
 * process. Two ways of reading: `Response.stream`, and the one-call API's `onChunk`.
 */
import { spawn } from "node:child_process"
import { Client, Request, Response } from "@courier/core"
import { NodeTransport } from "@courier/node-transport"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"

const SIZE = Number(process.env.BENCH_STREAM_BYTES ?? 1024 ** 3)
const mib = (n: number) => (n / 1024 / 1024).toFixed(1)

const main = async () => {
  const server = spawn(process.execPath, ["--import", "tsx", new URL("./big-server.ts", import.meta.url).pathname], {
    stdio: ["ignore", "pipe", "inherit"],
  })
  const port = await new Promise<number>((resolve) =>
    server.stdout?.once("data", (d: Buffer) => resolve(Number(d.toString()))),
  )
  const url = `http://127.0.0.1:${port}/${SIZE}`
  const measure = async (label: string, read: Effect.Effect<number, unknown, Client.Client>) => {
    global.gc?.()
    const before = process.memoryUsage().rss
    let peak = before
    const timer = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss)
    }, 20)
    const t0 = performance.now()
    const bytes = await Effect.runPromise(read.pipe(Effect.provide(NodeTransport.client())))
    const seconds = (performance.now() - t0) / 1000
    clearInterval(timer)
    peak = Math.max(peak, process.memoryUsage().rss)
    process.stdout.write(
      `| ${label} | ${mib(bytes)} MiB | ${(bytes / 1024 / 1024 / seconds).toFixed(0)} MiB/s | ${mib(before)} MiB | ${mib(peak)} MiB | ${mib(peak - before)} MiB |\n`,
    )
  }
  process.stdout.write(
    "| read with | body | throughput | RSS before | peak RSS | growth |\n| --- | ---: | ---: | ---: | ---: | ---: |\n",
  )
  await measure(
    "Response.stream",
    Effect.scoped(
      Effect.flatMap(Client.execute(Request.get(url)), (r) =>
        Stream.runFold(Response.stream(r), 0, (n, c) => n + c.length),
      ),
    ),
  )
  let total = 0
  await measure(
    "onChunk (64 KiB)",
    Effect.as(
      Client.get(url, {
        chunkSize: 64 * 1024,
        onChunk: (c) =>
          Effect.sync(() => {
            total += c.length
          }),
      }),
      0,
    ).pipe(Effect.map(() => total)),
  )
  server.kill()
}

main().catch((e: unknown) => {
  process.stderr.write(`${String(e)}\n`)
  process.exit(1)
})
