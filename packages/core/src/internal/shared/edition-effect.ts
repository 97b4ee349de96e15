/**
 * The Effect operations that the two Effect editions spell differently (issue 24): this file is the Effect 3
 * spelling, `edition-effect.effect4.ts` the Effect 4 one, put in its place by the Effect 4 build. Apart from
 * `edition.ts` (plain data and types, which the codec and the engine may use) because these run Effects.
 * @internal
 */
import * as Cause from "effect/Cause"
import * as Chunk from "effect/Chunk"
import type * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as ExecutionStrategy from "effect/ExecutionStrategy"
import type * as Fiber from "effect/Fiber"
import * as FiberId from "effect/FiberId"
import * as FiberRef from "effect/FiberRef"
import * as FiberSet from "effect/FiberSet"
import * as Layer from "effect/Layer"
import * as LogLevel from "effect/LogLevel"
import * as Metric from "effect/Metric"
import * as MetricBoundaries from "effect/MetricBoundaries"
import * as MetricLabel from "effect/MetricLabel"
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import * as Runtime from "effect/Runtime"
import * as Schedule from "effect/Schedule"
import * as ScheduleDecision from "effect/ScheduleDecision"
import * as Intervals from "effect/ScheduleIntervals"
import * as Schema from "effect/Schema"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import type * as Tracer from "effect/Tracer"
import type { CloseableScope, Result } from "./edition.js"
import type { CatchCause, Fork, Run } from "./edition-types.js"

/**
 * An Effect that a callback resumes; what `register` returns runs if the fiber is interrupted first (and
 * while the effect it resumed with runs): Effect 3's `Effect.async`. It wraps a register that returns a
 * canceler in `onInterrupt` (eleven runtime operations per call); a hand-made form with fewer operations
 * did not measure faster (docs/ARCHITECTURE.md, "Measured choices").
 */
export const callback: <A, E = never, R = never>(
  register: (resume: (effect: Effect.Effect<A, E, R>) => void) => void | Effect.Effect<void, never, R>,
) => Effect.Effect<A, E, R> = Effect.async

/** A service's key, declared as Effect 4 writes it: `class X extends Service<X, Shape>()("key") {}`. */
export const Service =
  <Self, Shape>() =>
  <const Key extends string>(key: Key) =>
    Context.Tag(key)<Self, Shape>()

/** A semaphore of `permits` permits: Effect 3's `Effect.makeSemaphore`, Effect 4's `Semaphore.make`. */
export const makeSemaphore: (permits: number) => Effect.Effect<Effect.Semaphore> = Effect.makeSemaphore

/** The clock's time in milliseconds, read now (not as an Effect). */
export const nowMillis = (clock: Clock.Clock): number => clock.unsafeCurrentTimeMillis()

export type { Run } from "./edition-types.js"

/** A `Run` on the runtime (Effect 4: the context) of the fiber that asks for it. */
export const runner: Effect.Effect<Run> = Effect.map(Effect.runtime<never>(), (runtime) => {
  const run = Runtime.runCallback(runtime)
  return (effect, options) => {
    const cancel = run(effect, options)
    return () => cancel()
  }
})

/** Whether a cause is interruptions only: no failure, no defect. */
export const interruptedOnly: <E>(cause: Cause.Cause<E>) => boolean = Cause.isInterruptedOnly

/** The error a failed Effect failed with, if any (none for a defect or an interruption). */
export const failureOf: <E>(cause: Cause.Cause<E>) => Option.Option<E> = Cause.failureOption

const catch_ = Effect.catchAll

export {
  /** Recovers from any failure (Effect 3's `Effect.catchAll`, Effect 4's `Effect.catch`). */
  catch_ as catch,
}

/** A scope inside `scope`, closed with it, whose finalizers run one after another. */
export const forkScope = (scope: Scope.Scope): Effect.Effect<CloseableScope> =>
  Scope.fork(scope, ExecutionStrategy.sequential)

/** `effect` with its scoped resources in `scope` (Effect 3's `Scope.extend`, Effect 4's `Scope.provide`). */
export const inScope = <A, E, R>(
  effect: Effect.Effect<A, E, R>,
  scope: Scope.Scope,
): Effect.Effect<A, E, Exclude<R, Scope.Scope>> => Scope.extend(effect, scope)

/** `effect`, or the failure `onTimeout` makes once `millis` pass first. */
export const timeoutFail = <A, E, R, E2>(
  effect: Effect.Effect<A, E, R>,
  millis: number,
  onTimeout: () => E2,
): Effect.Effect<A, E | E2, R> => Effect.timeoutFail(effect, { duration: millis, onTimeout })

/** Recovers from any cause, defects and interruptions included (Effect 3's `catchAllCause`). */
export const catchCause: CatchCause = Effect.catchAllCause

/** Runs `effect` in a fiber of its own, outside any parent (Effect 3's `forkDaemon`, Effect 4's `forkDetach`). */
export const forkDetach = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<unknown, never, R> =>
  Effect.forkDaemon(effect)

/** The Effect that ends as `result` says (Effect 3's Either is one already). */
export const fromResult = <A, E>(result: Result<A, E>): Effect.Effect<A, E> => result

/** How `effect` ended, as a value (Effect 3's `Effect.either`, Effect 4's `Effect.result`). */
export const result = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<Result<A, E>, never, R> =>
  Effect.either(effect)

/** The fiber a call runs on, read without a runtime operation (Effect 3's `RuntimeFiber`, Effect 4's `Fiber`). */
export type CurrentFiber = Fiber.RuntimeFiber<unknown, unknown>

/** `f` of the fiber that runs it: one runtime operation (Effect 3's `withFiberRuntime`, Effect 4's `withFiber`). */
export const withFiber = <A, E, R>(f: (fiber: CurrentFiber) => Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.withFiberRuntime(f)

/** The services `fiber` runs with. */
export const contextOf = (fiber: CurrentFiber): Context.Context<never> => fiber.currentContext

/** The tracer `fiber` makes spans with. */
export const tracerOf = (fiber: CurrentFiber): Tracer.Tracer => fiber.currentTracer

/** Whether `fiber` logs at Debug level. */
export const logsDebug = (fiber: CurrentFiber): boolean =>
  fiber.getFiberRef(FiberRef.currentMinimumLogLevel).ordinal <= LogLevel.Debug.ordinal

/**
 * `f` of the service `tag` names in the fiber's context, and of the fiber: one runtime operation, where
 * `flatMap(tag, f)` takes four.
 */
export const withService = <I, S, A, E, R>(
  tag: Context.Tag<I, S>,
  f: (service: S, fiber: CurrentFiber) => Effect.Effect<A, E, R>,
): Effect.Effect<A, E, R | I> =>
  Effect.withFiberRuntime((fiber) => f(Context.unsafeGet(fiber.currentContext, tag), fiber))

/** A value each fiber sees, with a default (Effect 3's `FiberRef`, Effect 4's `Context.Reference`). */
export type Reference<A> = FiberRef.FiberRef<A>

/** A Reference named `key` whose value is `initial` until set. */
export const makeReference = <A>(_key: string, initial: A): Reference<A> => FiberRef.unsafeMake(initial)

/** `effect` with `reference` set to `value` while it runs. */
export const locally = <A, E, R, V>(
  effect: Effect.Effect<A, E, R>,
  reference: Reference<V>,
  value: V,
): Effect.Effect<A, E, R> => Effect.locally(effect, reference, value)

/** The decisions of a schedule, one per input: the milliseconds to wait before going on, or undefined when done. */
export type Stepper<In> = (now: number, input: In) => Effect.Effect<number | undefined>

/** A fresh run of `schedule`, stepped by hand. */
export const stepper = <In>(schedule: Schedule.Schedule<unknown, In>): Effect.Effect<Stepper<In>> =>
  Effect.sync(() => {
    let state: unknown = schedule.initial
    return (now, input) =>
      Effect.map(schedule.step(now, input, state), ([next, , decision]) => {
        if (ScheduleDecision.isDone(decision)) return undefined
        state = next
        return Math.max(0, Intervals.start(decision.intervals) - now)
      })
  })

/** Goes on while both schedules do, after the longer of their delays (Effect 3's `intersect`, Effect 4's `max`). */
export const scheduleBoth = (
  self: Schedule.Schedule<unknown>,
  that: Schedule.Schedule<unknown>,
): Schedule.Schedule<unknown> => Schedule.intersect(self, that)

/** A histogram named `name` with these bucket boundaries. */
export const histogram = (name: string, boundaries: ReadonlyArray<number>, description: string) =>
  Metric.histogram(name, MetricBoundaries.fromIterable(boundaries), description)

/** `metric` with these attributes (Effect 3's labels). */
export const tagged = <Type, In, Out>(
  metric: Metric.Metric<Type, In, Out>,
  attributes: Readonly<Record<string, string>>,
): Metric.Metric<Type, In, Out> =>
  Metric.taggedWithLabels(
    metric,
    Object.entries(attributes).map(([k, v]) => MetricLabel.make(k, v)),
  )

/** A Layer built by a scoped Effect: its resources live as long as the layer (Effect 4's `Layer.effect`). */
export const layerScoped: <I, S, E, R>(
  tag: Context.Tag<I, S>,
  effect: Effect.Effect<S, E, R>,
) => Layer.Layer<I, E, Exclude<R, Scope.Scope>> = Layer.scoped

/** A schema that decodes to `A` from `I` with services `R` (Effect 4's `Codec`). */
export type Decodable<A, I, R> = Schema.Schema<A, I, R>

/** Decodes `value` with `schema`; a mismatch fails with the schema's report of it. */
export const decodeUnknown = <A, I, R>(schema: Decodable<A, I, R>, value: unknown): Effect.Effect<A, string, R> =>
  Effect.mapError(Schema.decodeUnknown(schema)(value), (e) => ParseResult.TreeFormatter.formatErrorSync(e))

/**
 * The items `pull` gives, run again and again until it answers undefined: the stream of a body read a batch
 * of chunks at a time, or of one stream after another.
 */
export const fromPull = <A, E, R>(pull: Effect.Effect<ReadonlyArray<A> | undefined, E, R>): Stream.Stream<A, E, R> =>
  Stream.repeatEffectChunkOption(
    Effect.flatMap(Effect.mapError(pull, Option.some), (items) =>
      items === undefined ? Effect.fail(Option.none()) : Effect.succeed(Chunk.unsafeFromArray(items as Array<A>)),
    ),
  )

/** The items of each iterable, in order (Effect 3's `flattenIterables`, Effect 4's `flattenIterable`). */
export const flattenIterable: <A, E, R>(self: Stream.Stream<Iterable<A>, E, R>) => Stream.Stream<A, E, R> =
  Stream.flattenIterables

/** The stream an effect makes, its scoped resources held until the stream ends (Effect 4's `unwrap`). */
export const unwrapScoped: <A, E2, R2, E, R>(
  effect: Effect.Effect<Stream.Stream<A, E2, R2>, E, R>,
) => Stream.Stream<A, E | E2, R2 | Exclude<R, Scope.Scope>> = Stream.unwrapScoped

/** Recovers a stream from any failure (Effect 3's `Stream.catchAll`, Effect 4's `Stream.catch`). */
export const catchStream = <A, E, R, A2, E2, R2>(
  self: Stream.Stream<A, E, R>,
  f: (error: E) => Stream.Stream<A2, E2, R2>,
): Stream.Stream<A | A2, E2, R | R2> => Stream.catchAll(self, f)

/** The stream's items a batch at a time, undefined once it ends; the stream runs in the scope. */
export const toPull = <A, E, R>(
  stream: Stream.Stream<A, E, R>,
): Effect.Effect<Effect.Effect<ReadonlyArray<A> | undefined, E, R>, never, R | Scope.Scope> =>
  Effect.map(Stream.toPull(stream), (pull) =>
    Effect.catchAll(Effect.map(pull, Chunk.toReadonlyArray), (e) =>
      Option.isNone(e) ? Effect.succeed(undefined) : Effect.fail(e.value),
    ),
  )

export type { Fork } from "./edition-types.js"

/** A Fork whose fibers live in the scope: closing it interrupts those still running. */
export const scopedFork: Effect.Effect<Fork, never, Scope.Scope> = Effect.map(FiberSet.makeRuntime<never>(), (run) => {
  return (effect) => {
    const fiber = run(effect)
    return () => fiber.unsafeInterruptAsFork(FiberId.none)
  }
})

/** The service `tag` names, as an Effect (Effect 3's tag is one; Effect 4's `Effect.service`). */
export const service = <I, S>(tag: Context.Tag<I, S>): Effect.Effect<S, never, I> => tag

/** A Layer of the services a scoped Effect builds, alive as long as the layer (Effect 4's `Layer.effectContext`). */
export const layerScopedContext: <A, E, R>(
  effect: Effect.Effect<Context.Context<A>, E, R>,
) => Layer.Layer<A, E, Exclude<R, Scope.Scope>> = Layer.scopedContext

/** The Layer an Effect builds (Effect 3's `Layer.unwrapEffect`, Effect 4's `Layer.unwrap`). */
export const layerUnwrap: <A, E1, R1, E, R>(
  effect: Effect.Effect<Layer.Layer<A, E1, R1>, E, R>,
) => Layer.Layer<A, E | E1, R1 | R> = Layer.unwrapEffect

/** The schema of a pair of strings: a header field as name and value. */
export const StringPair = Schema.Tuple(Schema.String, Schema.String)

/** The schema of one of these string literals. */
export const Literals = <const L extends readonly [string, ...Array<string>]>(...values: L) => Schema.Literal(...values)
