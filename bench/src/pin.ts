/**
 * CPU pinning for the benchmark's processes: servers (nginx, the upload sink) on CPU 0, the measured client
 * (and wrk) on CPU 1, with util-linux's `taskset`, when the machine has two CPUs or more and taskset is there.
 *
 * Why: on this 2-vCPU machine, left to the kernel, one build's runPromise client at 64 in flight gave
 * anything from 10.6k to 25.5k req/s (41 to 93 µs of CPU per request) from run to run. Pinned, five runs
 * stayed within 18.7k–21.1k (docs/ARCHITECTURE.md, "Measured choices"). It is not neutral: each client
 * then has one CPU, the model of a one-CPU container, and undici's streamed download, which gains from a
 * second CPU, fell from 1570 to 1155 MiB/s while Courier's stayed near 1380. BENCH_PIN=0 turns it off.
 */
import { spawnSync } from "node:child_process"
import * as os from "node:os"

const TASKSET = "/usr/bin/taskset"

/** Whether processes are pinned in this run (BENCH_PIN=0: never). */
export const pinning: boolean =
  process.env.BENCH_PIN !== "0" && os.cpus().length >= 2 && spawnSync(TASKSET, ["-V"], { stdio: "ignore" }).status === 0

/** `command args` run on `role`'s CPU when pinning, else unchanged. */
export const pinned = (
  role: "server" | "client",
  command: string,
  args: ReadonlyArray<string>,
): [string, Array<string>] =>
  pinning ? [TASKSET, ["-c", role === "server" ? "0" : "1", command, ...args]] : [command, [...args]]
