/**
 * The test APIs that Effect 3 and Effect 4 spell differently: the Effect 4 spelling of `edition.ts`, which
 * says what each export is.
 */
import { it } from "@effect/vitest"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Logger from "effect/Logger"
import * as Metric from "effect/Metric"
import * as Queue from "effect/Queue"
import * as References from "effect/References"
import * as Stream from "effect/Stream"

export { TestClock } from "effect/testing"
export * as FastCheck from "fast-check"

export const scoped = it.effect

export const scopedLive = it.live

export type ErrorOf<T extends Effect.Effect<unknown, unknown, unknown>> = Effect.Error<T>

export type Forked<A, E> = Fiber.Fiber<A, E>

export const fork = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<Forked<A, E>, never, R> =>
  Effect.forkChild(effect)

export const isDone = <A, E>(fiber: Forked<A, E>): Effect.Effect<boolean> =>
  Effect.sync(() => fiber.pollUnsafe() !== undefined)

// Effect 4 does not tell a fiber's status. Its dispatcher's flush runs every task that is ready, and those
// they make ready, until none is left: a fiber that has not ended after it is blocked on a callback.
export const suspended = <A, E>(fiber: Forked<A, E>): Effect.Effect<void> =>
  Effect.suspend(() => {
    fiber.currentDispatcher.flush()
    return fiber.pollUnsafe() === undefined
      ? Effect.void
      : Effect.die(new Error("the fiber ended where the test waits for it to be blocked"))
  })

export const isInterrupted: <A, E>(exit: Exit.Exit<A, E>) => boolean = Exit.hasInterrupts

export const complete = <A>(deferred: Deferred.Deferred<A>, value: A): void => {
  Deferred.doneUnsafe(deferred, Exit.succeed(value))
}

export const signal = (deferred: Deferred.Deferred<void>): void => complete(deferred, undefined)

export const yieldNow: Effect.Effect<void> = Effect.yieldNow

export const pollNow = <A, E>(fiber: Forked<A, E>): Exit.Exit<A, E> | undefined => fiber.pollUnsafe()

export const interruptExit = <A, E>(fiber: Forked<A, E>): Effect.Effect<Exit.Exit<A, E>> =>
  Effect.andThen(Fiber.interrupt(fiber), Fiber.await(fiber))

export const fold = <A, S, E, R>(
  stream: Stream.Stream<A, E, R>,
  initial: S,
  f: (s: S, a: A) => S,
): Effect.Effect<S, E, R> => Stream.runFold(stream, () => initial, f)

export const offer = <A>(queue: Queue.Queue<A>, value: A): void => {
  Queue.offerUnsafe(queue, value)
}

export const repeatValue = <A>(value: A): Stream.Stream<A> => Stream.fromEffectRepeat(Effect.succeed(value))

export const repeatEffect: <A, E, R>(effect: Effect.Effect<A, E, R>) => Stream.Stream<A, E, R> = Stream.fromEffectRepeat

export const withDebugLog = <A, E, R>(
  effect: Effect.Effect<A, E, R>,
  onMessage: (line: string) => void,
): Effect.Effect<A, E, R> => withLog(effect, onMessage).pipe(Effect.provideService(References.MinimumLogLevel, "Debug"))

export const withLog = <A, E, R>(
  effect: Effect.Effect<A, E, R>,
  onMessage: (line: string) => void,
): Effect.Effect<A, E, R> =>
  Effect.provide(
    effect,
    Logger.layer([
      Logger.make(({ message }) => onMessage(Array.isArray(message) ? message.join(" ") : String(message))),
    ]),
  )

export const seriesOf = (name: string): Effect.Effect<ReadonlyArray<Readonly<Record<string, string>>>> =>
  Effect.map(Metric.snapshot, (series) => series.filter((s) => s.id === name).map((s) => ({ ...s.attributes })))

export interface FiberTracker {
  readonly track: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  readonly running: Effect.Effect<number>
}

// Effect 4 has no Supervisor; its fibers report their start and end to the FiberRuntimeMetrics service
// of their context, which a fiber started under `track` inherits.
export const fiberTracker: Effect.Effect<FiberTracker> = Effect.sync(() => {
  const count = { started: 0, ended: 0 }
  const service: Metric.FiberRuntimeMetricsService = {
    recordFiberStart: () => {
      count.started++
    },
    recordFiberEnd: () => {
      count.ended++
    },
  }
  return {
    track: (effect) => Effect.provideService(effect, Metric.FiberRuntimeMetrics, service),
    running: Effect.sync(() => count.started - count.ended),
  }
})

// Effect.callback resumes the fiber inside the callback that resumes it, whenever that callback runs after
// the register returned: nothing to change.
export const resumingInCallbacks = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> => effect

export const edition: "effect3" | "effect4" = "effect4"

export { countingOps } from "./op-count.js"
