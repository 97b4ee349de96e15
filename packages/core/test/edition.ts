/**
 * The test APIs that Effect 3 and Effect 4 spell differently, for the suites that run on both editions
 * (scripts/edition4/both-editions.json): this file is the Effect 3 spelling, `edition.effect4.ts` the
 * Effect 4 one, put in its place in the Effect 4 edition's tree. Each export is the one name the suites use
 * for something the two majors name apart; what both majors spell alike the suites import from effect.
 */
import { it } from "@effect/vitest"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Metric from "effect/Metric"
import * as Option from "effect/Option"
import * as Queue from "effect/Queue"
import * as Scheduler from "effect/Scheduler"
import * as Stream from "effect/Stream"
import * as Supervisor from "effect/Supervisor"

export * as FastCheck from "effect/FastCheck"
export * as TestClock from "effect/TestClock"

/** A test of a scoped Effect on the TestClock (Effect 3's `it.scoped`, Effect 4's `it.effect`). */
export const scoped = it.scoped

/** A test of a scoped Effect on the live clock (Effect 3's `it.scopedLive`, Effect 4's `it.live`). */
export const scopedLive = it.scopedLive

/** The error type of an Effect type (Effect 3's `Effect.Effect.Error`, Effect 4's `Effect.Error`). */
export type ErrorOf<T extends Effect.Effect<unknown, unknown, unknown>> = Effect.Effect.Error<T>

/** A fiber started by `fork`. */
export type Forked<A, E> = Fiber.RuntimeFiber<A, E>

/** Starts `effect` on a child fiber of the test's (Effect 3's `Effect.fork`, Effect 4's `Effect.forkChild`). */
export const fork: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<Forked<A, E>, never, R> = Effect.fork

/** Whether the fiber has ended, without waiting for it. */
export const isDone = <A, E>(fiber: Forked<A, E>): Effect.Effect<boolean> =>
  Effect.map(Fiber.poll(fiber), Option.isSome)

/**
 * Waits until the fiber is suspended: blocked on a callback (a place in the pool's line, a socket that has
 * not answered), which is the state the next step of a test needs. No time passes, on any clock. Effect 3
 * tells a fiber's status; the loop lets every fiber that is ready run until the fiber is blocked.
 */
export const suspended = <A, E>(fiber: Forked<A, E>): Effect.Effect<void> =>
  Effect.flatMap(Fiber.status(fiber), (s) =>
    s._tag === "Suspended"
      ? Effect.void
      : s._tag === "Done"
        ? Effect.die(new Error("the fiber ended where the test waits for it to be blocked"))
        : Effect.andThen(yieldNow, suspended(fiber)),
  )

/** Whether an exit is an interruption. */
export const isInterrupted: <A, E>(exit: Exit.Exit<A, E>) => boolean = Exit.isInterrupted

/** Completes a deferred with `value` from a plain callback (a server's handler), outside any fiber. */
export const complete = <A>(deferred: Deferred.Deferred<A>, value: A): void => {
  Deferred.unsafeDone(deferred, Exit.succeed(value))
}

/** Completes a deferred that only signals, from a plain callback, outside any fiber. */
export const signal = (deferred: Deferred.Deferred<void>): void => complete(deferred, undefined)

/** Lets every fiber that is ready run before this one goes on. */
export const yieldNow: Effect.Effect<void> = Effect.yieldNow()

/** How the fiber ended, or undefined while it runs; it does not wait. */
export const pollNow = <A, E>(fiber: Forked<A, E>): Exit.Exit<A, E> | undefined => fiber.unsafePoll() ?? undefined

/** Interrupts the fiber and gives how it ended. */
export const interruptExit: <A, E>(fiber: Forked<A, E>) => Effect.Effect<Exit.Exit<A, E>> = Fiber.interrupt

/** Folds a stream's elements into one value, from `initial`. */
export const fold = <A, S, E, R>(
  stream: Stream.Stream<A, E, R>,
  initial: S,
  f: (s: S, a: A) => S,
): Effect.Effect<S, E, R> => Stream.runFold(stream, initial, f)

/** Offers to a queue from a plain callback, outside any fiber. */
export const offer = <A>(queue: Queue.Queue<A>, value: A): void => {
  Queue.unsafeOffer(queue, value)
}

/** A stream that gives `value` forever. */
export const repeatValue: <A>(value: A) => Stream.Stream<A> = Stream.repeatValue

/** A stream that runs `effect` for each element, forever. */
export const repeatEffect: <A, E, R>(effect: Effect.Effect<A, E, R>) => Stream.Stream<A, E, R> = Stream.repeatEffect

/** Runs `effect` with every log message at `Debug` and above given to `onMessage`, as one line of text. */
export const withDebugLog = <A, E, R>(
  effect: Effect.Effect<A, E, R>,
  onMessage: (line: string) => void,
): Effect.Effect<A, E, R> =>
  Effect.provide(effect, Logger.replace(Logger.defaultLogger, logger(onMessage))).pipe(
    Logger.withMinimumLogLevel(LogLevel.Debug),
  )

/** Runs `effect` with every log message at the default level given to `onMessage`, as one line of text. */
export const withLog = <A, E, R>(
  effect: Effect.Effect<A, E, R>,
  onMessage: (line: string) => void,
): Effect.Effect<A, E, R> => Effect.provide(effect, Logger.replace(Logger.defaultLogger, logger(onMessage)))

const logger = (onMessage: (line: string) => void) =>
  Logger.make(({ message }) => onMessage(Array.isArray(message) ? message.join(" ") : String(message)))

/** The attributes of each series of the metric named `name`, one record per series. */
export const seriesOf = (name: string): Effect.Effect<ReadonlyArray<Readonly<Record<string, string>>>> =>
  Effect.map(Metric.snapshot, (pairs) =>
    pairs
      .filter((p) => p.metricKey.name === name)
      .map((p) => Object.fromEntries(p.metricKey.tags.map((t) => [t.key, t.value]))),
  )

/** Counts the fibers an effect starts: `track` runs it counted, `running` says how many have not ended. */
export interface FiberTracker {
  readonly track: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  readonly running: Effect.Effect<number>
}

/** A new fiber tracker: a Supervisor that keeps every fiber started under it (Effect 4 has no Supervisor). */
export const fiberTracker: Effect.Effect<FiberTracker> = Effect.map(Supervisor.track, (supervisor) => ({
  track: (effect) => Effect.supervised(effect, supervisor),
  running: Effect.map(supervisor.value, (fibers) => fibers.filter((f) => f.unsafePoll() === null).length),
}))

/** A scheduler that runs every task as soon as it is scheduled. */
const immediate = Scheduler.make((task) => task())

/**
 * Runs `effect` with each fiber that a callback resumes run at once, inside that callback: Effect 4 always
 * resumes a fiber so; Effect 3 does given a scheduler that runs tasks immediately.
 */
export const resumingInCallbacks = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.withScheduler(effect, immediate)

/** Which edition these spellings are for, where a test's expectation differs between the majors. */
export const edition: "effect3" | "effect4" = "effect3"

export { countingOps } from "./op-count.js"
