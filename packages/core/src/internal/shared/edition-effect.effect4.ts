/**
 * The Effect operations that the two Effect editions spell differently (issue 24): this file is the Effect 4
 * spelling, put in place of `edition-effect.ts` by the Effect 4 build and type-checked against effect 4 by
 * `pnpm probe:effect4`; the root tsconfig leaves it out.
 * @internal
 */
import * as Cause from "effect/Cause"
import type * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Fiber from "effect/Fiber"
import * as FiberSet from "effect/FiberSet"
import * as Layer from "effect/Layer"
import * as LogLevel from "effect/LogLevel"
import * as Metric from "effect/Metric"
import type * as Option from "effect/Option"
import * as Pull from "effect/Pull"
import * as References from "effect/References"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import * as Scope from "effect/Scope"
import * as Semaphore from "effect/Semaphore"
import * as Stream from "effect/Stream"
import * as Tracer from "effect/Tracer"
import type { CloseableScope, Result } from "./edition.js"
import type { CatchCause, Fork, Run } from "./edition-types.js"

/**
 * An Effect that a callback resumes; what `register` returns runs if the fiber is interrupted first (and
 * while the effect it resumed with runs). Effect 4's `Effect.callback`, handed the register as it is: its
 * register takes no signal, so no AbortController is made, and the canceler is a frame on the fiber's stack.
 */
export const callback: <A, E = never, R = never>(
  register: (resume: (effect: Effect.Effect<A, E, R>) => void) => void | Effect.Effect<void, never, R>,
) => Effect.Effect<A, E, R> = Effect.callback

/** A service's key, declared as Effect 4 writes it: `class X extends Service<X, Shape>()("key") {}`. */
export const Service = <Self, Shape>() => Context.Service<Self, Shape>()

/** A semaphore of `permits` permits: Effect 3's `Effect.makeSemaphore`, Effect 4's `Semaphore.make`. */
export const makeSemaphore: (permits: number) => Effect.Effect<Semaphore.Semaphore> = Semaphore.make

/** The clock's time in milliseconds, read now (not as an Effect). */
export const nowMillis = (clock: Clock.Clock): number => clock.currentTimeMillisUnsafe()

export type { Run } from "./edition-types.js"

/** A `Run` on the runtime (Effect 4: the context) of the fiber that asks for it. */
export const runner: Effect.Effect<Run> = Effect.map(Effect.context<never>(), (context) => {
  const run = Effect.runCallbackWith(context)
  return (effect, options) => {
    const interrupt = run(effect, options)
    return () => interrupt()
  }
})

/** Whether a cause is interruptions only: no failure, no defect. */
export const interruptedOnly: <E>(cause: Cause.Cause<E>) => boolean = Cause.hasInterruptsOnly

/** The error a failed Effect failed with, if any (none for a defect or an interruption). */
export const failureOf: <E>(cause: Cause.Cause<E>) => Option.Option<E> = Cause.findErrorOption

const catch_ = Effect.catch

export {
  /** Recovers from any failure (Effect 3's `Effect.catchAll`, Effect 4's `Effect.catch`). */
  catch_ as catch,
}

/** A scope inside `scope`, closed with it, whose finalizers run one after another. */
export const forkScope = (scope: Scope.Scope): Effect.Effect<CloseableScope> => Scope.fork(scope, "sequential")

/** `effect` with its scoped resources in `scope` (Effect 3's `Scope.extend`, Effect 4's `Scope.provide`). */
export const inScope = <A, E, R>(
  effect: Effect.Effect<A, E, R>,
  scope: Scope.Scope,
): Effect.Effect<A, E, Exclude<R, Scope.Scope>> => Scope.provide(effect, scope)

/** `effect`, or the failure `onTimeout` makes once `millis` pass first. */
export const timeoutFail = <A, E, R, E2>(
  effect: Effect.Effect<A, E, R>,
  millis: number,
  onTimeout: () => E2,
): Effect.Effect<A, E | E2, R> =>
  Effect.timeoutOrElse(effect, { duration: millis, orElse: () => Effect.fail(onTimeout()) })

/** Recovers from any cause, defects and interruptions included (Effect 3's `catchAllCause`). */
export const catchCause: CatchCause = Effect.catchCause

/** Runs `effect` in a fiber of its own, outside any parent (Effect 3's `forkDaemon`, Effect 4's `forkDetach`). */
export const forkDetach = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<unknown, never, R> =>
  Effect.forkDetach(effect)

/** The Effect that ends as `result` says (Effect 3's Either is one already). */
export const fromResult: <A, E>(result: Result<A, E>) => Effect.Effect<A, E> = Effect.fromResult

/** How `effect` ended, as a value (Effect 3's `Effect.either`, Effect 4's `Effect.result`). */
export const result = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<Result<A, E>, never, R> =>
  Effect.result(effect)

/** The fiber a call runs on, read without a runtime operation (Effect 3's `RuntimeFiber`, Effect 4's `Fiber`). */
export type CurrentFiber = Fiber.Fiber<unknown, unknown>

/** `f` of the fiber that runs it: one runtime operation (Effect 3's `withFiberRuntime`, Effect 4's `withFiber`). */
export const withFiber = <A, E, R>(f: (fiber: CurrentFiber) => Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.withFiber(f)

/** The services `fiber` runs with. */
export const contextOf = (fiber: CurrentFiber): Context.Context<never> => fiber.context

/** The tracer `fiber` makes spans with. */
export const tracerOf = (fiber: CurrentFiber): Tracer.Tracer => fiber.getRef(Tracer.Tracer)

/** Whether `fiber` logs at Debug level. */
export const logsDebug = (fiber: CurrentFiber): boolean =>
  LogLevel.isLessThanOrEqualTo(fiber.getRef(References.MinimumLogLevel), "Debug")

/**
 * `f` of the service `tag` names in the fiber's context, and of the fiber: one runtime operation, where
 * `flatMap(tag, f)` takes four.
 */
export const withService = <I, S, A, E, R>(
  tag: Context.Service<I, S>,
  f: (service: S, fiber: CurrentFiber) => Effect.Effect<A, E, R>,
): Effect.Effect<A, E, R | I> => Effect.withFiber((fiber) => f(Context.getUnsafe(fiber.context, tag), fiber))

/** A value each fiber sees, with a default (Effect 3's `FiberRef`, Effect 4's `Context.Reference`). */
export type Reference<A> = Context.Reference<A>

/** A Reference named `key` whose value is `initial` until set. */
export const makeReference = <A>(key: string, initial: A): Reference<A> =>
  Context.Reference<A>(key, { defaultValue: () => initial })

/** `effect` with `reference` set to `value` while it runs. */
export const locally = <A, E, R, V>(
  effect: Effect.Effect<A, E, R>,
  reference: Reference<V>,
  value: V,
): Effect.Effect<A, E, R> => Effect.provideService(effect, reference, value)

/** The decisions of a schedule, one per input: the milliseconds to wait before going on, or undefined when done. */
export type Stepper<In> = (now: number, input: In) => Effect.Effect<number | undefined>

/** A fresh run of `schedule`, stepped by hand. */
export const stepper = <In>(schedule: Schedule.Schedule<unknown, In>): Effect.Effect<Stepper<In>> =>
  Effect.map(
    Schedule.toStep(schedule),
    (step): Stepper<In> =>
      (now, input) =>
        Pull.catchDone(
          Effect.map(step(now, input), ([, delay]) => Duration.toMillis(delay)),
          () => Effect.succeed(undefined),
        ),
  )

/** Goes on while both schedules do, after the longer of their delays (Effect 3's `intersect`, Effect 4's `max`). */
export const scheduleBoth = (
  self: Schedule.Schedule<unknown>,
  that: Schedule.Schedule<unknown>,
): Schedule.Schedule<unknown> => Schedule.max([self, that])

/** A histogram named `name` with these bucket boundaries. */
export const histogram = (name: string, boundaries: ReadonlyArray<number>, description: string) =>
  Metric.histogram(name, { boundaries, description })

/** `metric` with these attributes (Effect 3's labels). */
export const tagged = <In, State>(
  metric: Metric.Metric<In, State>,
  attributes: Readonly<Record<string, string>>,
): Metric.Metric<In, State> => Metric.withAttributes(metric, attributes)

/** A Layer built by a scoped Effect: its resources live as long as the layer (Effect 4's `Layer.effect`). */
export const layerScoped = <I, S, E, R>(
  tag: Context.Service<I, S>,
  effect: Effect.Effect<S, E, R>,
): Layer.Layer<I, E, Exclude<R, Scope.Scope>> => Layer.effect(tag, effect)

/** A schema that decodes to `A` from `I` with services `R` (Effect 4's `Codec`). */
export type Decodable<A, I, R> = Schema.Codec<A, I, R, unknown>

/** Decodes `value` with `schema`; a mismatch fails with the schema's report of it. */
export const decodeUnknown = <A, I, R>(schema: Decodable<A, I, R>, value: unknown): Effect.Effect<A, string, R> =>
  Effect.mapError(Schema.decodeUnknownEffect(schema)(value), (e) => e.message)

/**
 * The items `pull` gives, run again and again until it answers undefined: the stream of a body read a batch
 * of chunks at a time, or of one stream after another.
 */
export const fromPull = <A, E, R>(pull: Effect.Effect<ReadonlyArray<A> | undefined, E, R>): Stream.Stream<A, E, R> => {
  const next: Pull.Pull<readonly [A, ...Array<A>], E, void, R> = Effect.flatMap(pull, (items) =>
    items === undefined ? Cause.done() : items.length === 0 ? next : Effect.succeed(items as readonly [A, ...Array<A>]),
  )
  return Stream.fromPull(Effect.succeed(next))
}

/** The items of each iterable, in order (Effect 3's `flattenIterables`, Effect 4's `flattenIterable`). */
export const flattenIterable: <A, E, R>(self: Stream.Stream<Iterable<A>, E, R>) => Stream.Stream<A, E, R> =
  Stream.flattenIterable

/** The stream an effect makes, its scoped resources held until the stream ends (Effect 4's `unwrap`). */
export const unwrapScoped: <A, E2, R2, E, R>(
  effect: Effect.Effect<Stream.Stream<A, E2, R2>, E, R>,
) => Stream.Stream<A, E | E2, R2 | Exclude<R, Scope.Scope>> = Stream.unwrap

/** Recovers a stream from any failure (Effect 3's `Stream.catchAll`, Effect 4's `Stream.catch`). */
export const catchStream = <A, E, R, A2, E2, R2>(
  self: Stream.Stream<A, E, R>,
  f: (error: E) => Stream.Stream<A2, E2, R2>,
): Stream.Stream<A | A2, E2, R | R2> => Stream.catch(self, f)

/** The stream's items a batch at a time, undefined once it ends; the stream runs in the scope. */
export const toPull = <A, E, R>(
  stream: Stream.Stream<A, E, R>,
): Effect.Effect<Effect.Effect<ReadonlyArray<A> | undefined, E, R>, never, R | Scope.Scope> =>
  Effect.map(Stream.toPull(stream), (pull) => Pull.catchDone(pull, () => Effect.succeed(undefined)))

export type { Fork } from "./edition-types.js"

/** A Fork whose fibers live in the scope: closing it interrupts those still running. */
export const scopedFork: Effect.Effect<Fork, never, Scope.Scope> = Effect.map(FiberSet.makeRuntime<never>(), (run) => {
  return (effect) => {
    const fiber = run(effect)
    return () => fiber.interruptUnsafe()
  }
})

/** The service `tag` names, as an Effect (Effect 3's tag is one; Effect 4's `Effect.service`). */
export const service = <I, S>(tag: Context.Service<I, S>): Effect.Effect<S, never, I> => Effect.service(tag)

/** A Layer of the services a scoped Effect builds, alive as long as the layer (Effect 4's `Layer.effectContext`). */
export const layerScopedContext: <A, E, R>(
  effect: Effect.Effect<Context.Context<A>, E, R>,
) => Layer.Layer<A, E, Exclude<R, Scope.Scope>> = Layer.effectContext

/** The Layer an Effect builds (Effect 3's `Layer.unwrapEffect`, Effect 4's `Layer.unwrap`). */
export const layerUnwrap = <A, E1, R1, E, R>(
  effect: Effect.Effect<Layer.Layer<A, E1, R1>, E, R>,
): Layer.Layer<A, E | E1, R1 | R> => Layer.unwrap(effect)

/** The schema of a pair of strings: a header field as name and value. */
export const StringPair = Schema.Tuple([Schema.String, Schema.String])

/** The schema of one of these string literals. */
export const Literals = <const L extends readonly [string, ...Array<string>]>(...values: L) => Schema.Literals(values)
