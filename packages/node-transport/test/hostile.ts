/** Hostile peers for the hostile-server suites: each a scoped resource that signals when it reaches its state. */
import { spawn } from "node:child_process"
import type * as net from "node:net"
import * as zlib from "node:zlib"
import type { DurationInput } from "@courier/core/internal/edition"
import { callback } from "@courier/core/internal/edition"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Queue from "effect/Queue"
import { complete, type Forked, isDone, offer, TestClock } from "../../core/test/edition.js"
import { rawServer } from "./servers.js"

// A listening socket whose accept queue holds what it can and is never drained: on Linux a SYN to it is
// dropped, so a connect gets no answer at all. It prints its port once a further connect is seen to hang.
const fullQueueScript = `
import select, socket, sys
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(0)
port = s.getsockname()[1]
held = []
for _ in range(8):
    c = socket.socket()
    c.setblocking(False)
    c.connect_ex(("127.0.0.1", port))
    held.append(c)
    _, ready, _ = select.select([], [c], [], 0.3)
    if not ready:
        break
else:
    sys.exit("the accept queue never filled")
print(port, flush=True)
sys.stdin.read()
`

/** A port on 127.0.0.1 whose listener never accepts: connects to it get no answer (SYNs dropped). */
export const unansweredPort = Effect.acquireRelease(
  callback<{ readonly port: number; readonly kill: () => void }>((resume) => {
    const child = spawn("python3", ["-c", fullQueueScript], { stdio: ["pipe", "pipe", "inherit"] })
    child.stdout.once("data", (d: Buffer) =>
      resume(Effect.succeed({ port: Number(d.toString().trim()), kill: () => child.kill() })),
    )
    child.once("error", (e) => resume(Effect.die(e)))
    child.once("exit", (code) => resume(Effect.die(new Error(`the full-queue listener exited (${code})`))))
  }),
  (listener) => Effect.sync(() => listener.kill()),
)

/**
 * A TCP server that accepts and never says a word (no TLS handshake, no CONNECT answer, no response); each
 * connection is offered to `connected`, and `received` resolves at the first bytes it gets.
 */
export const silentServer = Effect.gen(function* () {
  const connected = yield* Queue.unbounded<net.Socket>()
  const received = yield* Deferred.make<string>()
  const server = yield* rawServer((socket) => {
    socket.on("error", () => undefined)
    socket.on("data", (d: Buffer) => complete(received, d.toString("latin1")))
    offer(connected, socket)
  })
  return { ...server, connected, received }
})

/**
 * Moves the TestClock by `step` until `fiber` ends, letting the event loop turn between steps so real
 * sockets progress: for a wait whose start the test cannot observe (a SYN that gets no answer).
 */
export const advanceUntilDone = <A, E>(fiber: Forked<A, E>, step: DurationInput, most = 30) =>
  Effect.gen(function* () {
    for (let i = 0; i < most; i++) {
      yield* TestClock.adjust(step)
      yield* Effect.promise(() => new Promise((resolve) => setImmediate(resolve)))
      if (yield* isDone(fiber)) break
    }
    return yield* Fiber.join(fiber)
  })

/**
 * The largest resident set seen while `effect` runs, less the one before it: sampled each millisecond by
 * a real interval (a measurement, not a wait).
 */
export const rssGrowth = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function* () {
    global.gc?.()
    const before = process.memoryUsage.rss()
    let peak = before
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage.rss())
    }, 1)
    const result = yield* Effect.exit(effect).pipe(Effect.ensuring(Effect.sync(() => clearInterval(sampler))))
    peak = Math.max(peak, process.memoryUsage.rss())
    return { result, growth: peak - before }
  })

export const MiB = 1024 * 1024

const zeros = Buffer.alloc(MiB)

/** About 1 MiB of gzip that inflates to `mib` MiB of zeros: the same member, repeated (RFC 1952 allows many). */
export const gzipBomb = (mib: number): Buffer => {
  const member = zlib.gzipSync(zeros)
  return Buffer.concat(Array.from({ length: mib }, () => member))
}

/**
 * A zlib-wrapped deflate stream that inflates to `mib` MiB of zeros: after a full flush the compressor starts
 * afresh, so the segment for one MiB of zeros is the same every time and can be repeated. It has no end;
 * the limit is passed long before a decoder would miss one.
 */
export const deflateBomb = (mib: number): Buffer => {
  const segment = zlib.deflateRawSync(zeros, { finishFlush: zlib.constants.Z_FULL_FLUSH })
  return Buffer.concat([Buffer.from([0x78, 0x9c]), ...Array.from({ length: mib }, () => segment)])
}

/**
 * Brotli of `mib` MiB of zeros, compressed as a stream from one reused buffer (no large allocation), with
 * brotli's default window (2^22) or another. The decoder keeps a ring buffer of the window's size, so a
 * stream with the format's largest window (2^24, RFC 7932 §9.1) costs 16 MiB more to decode, whatever
 * the client does.
 */
export const brotliBomb = (mib: number, lgwin = 22): Effect.Effect<Buffer> =>
  callback<Buffer>((resume) => {
    const out: Array<Buffer> = []
    const br = zlib.createBrotliCompress({
      params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 1, [zlib.constants.BROTLI_PARAM_LGWIN]: lgwin },
    })
    br.on("data", (d: Buffer) => out.push(d))
    br.on("end", () => resume(Effect.succeed(Buffer.concat(out))))
    let left = mib
    const pump = () => {
      while (left > 0) {
        left--
        if (!br.write(zeros)) return void br.once("drain", pump)
      }
      br.end()
    }
    pump()
  })

export const seconds = (n: number) => Duration.seconds(n)
