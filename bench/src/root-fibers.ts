/**
 * `pnpm --filter @courier/bench root-fibers`: what Effect's runtime costs per call in each call style, with
 * no HTTP at all. The operation is an `Effect.async` resumed on the next event-loop turn (as a response
 * would resume it), 64 in flight for two seconds, run three ways: plain promises (no Effect), fibers of one
 * runtime, and one `runPromise` per call on a ManagedRuntime. Each way runs in its own process under
 * `--trace-gc-nvp`, and the table gives CPU per operation, what the scavenges promoted to the old
 * generation per thousand operations, and the mean scavenge pause. The request benchmarks' "in Effect"
 * clients show the same cost with undici inside; this isolates it from any HTTP client.
 */
import { execFileSync } from "node:child_process"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"

const IN_FLIGHT = 64
const MILLIS = 2000

type Style = "promises" | "fibers" | "runPromise"
const STYLES: ReadonlyArray<Style> = ["promises", "fibers", "runPromise"]

/** Resolves on the next turn of the event loop, the way a socket's data event would. */
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))
const nextTurnEffect: Effect.Effect<void> = Effect.async<void>((resume) => {
  setImmediate(() => resume(Effect.void))
})

/** Runs one style for MILLIS with IN_FLIGHT operations at a time; resolves with the operations done. */
const runStyle = async (style: Style): Promise<number> => {
  const runtime = ManagedRuntime.make(Layer.empty)
  await runtime.runPromise(Effect.void)
  const until = performance.now() + MILLIS
  let done = 0
  if (style === "fibers") {
    const loop: Effect.Effect<void> = Effect.suspend(() =>
      performance.now() < until
        ? Effect.flatMap(nextTurnEffect, () => {
            done++
            return loop
          })
        : Effect.void,
    )
    await runtime.runPromise(
      Effect.all(
        Array.from({ length: IN_FLIGHT }, () => loop),
        { concurrency: "unbounded", discard: true },
      ),
    )
  } else {
    const call = style === "promises" ? nextTurn : () => runtime.runPromise(nextTurnEffect)
    const worker = async () => {
      while (performance.now() < until) {
        await call()
        done++
      }
    }
    await Promise.all(Array.from({ length: IN_FLIGHT }, worker))
  }
  await runtime.dispose()
  return done
}

/** In the child: runs `style` and prints its operations and CPU time as the last line. */
const child = async (style: Style) => {
  const cpu0 = process.cpuUsage()
  const operations = await runStyle(style)
  const cpu = process.cpuUsage(cpu0)
  process.stdout.write(`${JSON.stringify({ operations, cpuMicros: cpu.user + cpu.system })}\n`)
}

/** The sum of one numeric field over the scavenge lines of a `--trace-gc-nvp` log, and their count. */
const scavenges = (log: string, field: string): { count: number; sum: number } => {
  const lines = log.split("\n").filter((l) => l.includes(" gc=s "))
  const pattern = new RegExp(` ${field}=([0-9.]+)`)
  return { count: lines.length, sum: lines.reduce((n, l) => n + Number(pattern.exec(l)?.[1] ?? 0), 0) }
}

const parent = () => {
  const lines = [
    `| style (${IN_FLIGHT} in flight, ${MILLIS} ms) | operations/s | CPU µs/op | promoted KiB per 1000 ops | mean scavenge pause (ms) |`,
    "| --- | ---: | ---: | ---: | ---: |",
  ]
  for (const style of STYLES) {
    const log = execFileSync(
      process.execPath,
      ["--trace-gc-nvp", "--import", "tsx", process.argv[1] as string, style],
      {
        encoding: "utf8",
        maxBuffer: 64 * 1024 * 1024,
      },
    )
    const result = JSON.parse(log.trim().split("\n").at(-1) ?? "{}") as { operations: number; cpuMicros: number }
    const promoted = scavenges(log, "promoted")
    const pause = scavenges(log, "pause")
    lines.push(
      `| ${style} | ${((result.operations / MILLIS) * 1000).toFixed(0)} | ${(result.cpuMicros / result.operations).toFixed(2)} | ${((promoted.sum / 1024 / result.operations) * 1000).toFixed(1)} | ${(pause.sum / Math.max(1, pause.count)).toFixed(2)} |`,
    )
  }
  process.stdout.write(`${lines.join("\n")}\n`)
}

const style = process.argv[2] as Style | undefined
if (style === undefined) parent()
else
  child(style).catch((e: unknown) => {
    process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`)
    process.exit(1)
  })
