// The ticket order of a pipelined connection, without sockets: who may write, who may read, who is refused.
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Fiber from "effect/Fiber"
import { Pipeline } from "../src/internal/engine/pipeline.js"

/** Runs `turn` in a fiber and says whether it has finished after the scheduler has run. */
const started = (turn: Effect.Effect<void, unknown>) =>
  Effect.gen(function* () {
    const fiber = yield* Effect.fork(Effect.either(turn))
    yield* Effect.yieldNow()
    return fiber
  })

const finished = <A, E>(fiber: Fiber.RuntimeFiber<A, E>) => Effect.map(Fiber.poll(fiber), (o) => o._tag === "Some")

describe("Pipeline", () => {
  it.effect("a later ticket writes only after the earlier one has, whichever fiber runs first", () =>
    Effect.gen(function* () {
      const pl = new Pipeline()
      const first = pl.issue()
      const second = pl.issue()
      const waiting = yield* started(pl.writeTurn(second))
      expect(yield* finished(waiting)).toBe(false)
      yield* pl.writeTurn(first)
      pl.wrote(first)
      expect(yield* Fiber.join(waiting)).toEqual(Either.right(undefined))
    }),
  )

  it.effect("responses are read in ticket order", () =>
    Effect.gen(function* () {
      const pl = new Pipeline()
      const [a, b, c] = [pl.issue(), pl.issue(), pl.issue()]
      const third = yield* started(pl.readTurn(c))
      const second = yield* started(pl.readTurn(b))
      yield* pl.readTurn(a)
      expect(pl.read(a)).toBe(true)
      yield* Effect.yieldNow()
      expect(yield* finished(second)).toBe(true)
      expect(yield* finished(third)).toBe(false)
      expect(pl.read(b)).toBe(true)
      expect(yield* Fiber.join(third)).toEqual(Either.right(undefined))
    }),
  )

  it.effect("an exchange abandoned behind others closes the pipeline to new writes and dooms it at its turn", () =>
    Effect.gen(function* () {
      const pl = new Pipeline()
      const [a, b, c] = [pl.issue(), pl.issue(), pl.issue()]
      const behind = yield* started(pl.readTurn(c))
      expect(pl.abandon(b)).toBe(false)
      expect(pl.accepts(8)).toBe(false)
      expect(Either.isLeft(yield* Effect.either(pl.writeTurn(c)))).toBe(true)
      // The one ahead still reads; when the abandoned one's turn comes, the connection must die.
      yield* pl.readTurn(a)
      expect(pl.read(a)).toBe(false)
      pl.kill()
      const exit = yield* Fiber.join(behind)
      expect(Either.isLeft(exit)).toBe(true)
    }),
  )

  it("an exchange that gives up while it reads asks for the connection to be killed at once", () => {
    const pl = new Pipeline()
    const a = pl.issue()
    pl.issue()
    expect(pl.abandon(a)).toBe(true)
  })

  it.effect("once nothing is in flight, the order starts again from the first ticket", () =>
    Effect.gen(function* () {
      const pl = new Pipeline()
      const a = pl.issue()
      yield* pl.writeTurn(a)
      pl.wrote(a)
      pl.read(a)
      pl.inFlight--
      pl.reset()
      expect(pl.issue()).toBe(0)
      yield* pl.writeTurn(0)
      yield* pl.readTurn(0)
    }),
  )
})
