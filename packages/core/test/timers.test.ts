// The engine's timer heap: timers fire in time order at their time on the Effect Clock, cancelled ones
// never, rescheduled ones at their new time, and the driver wakes early for an earlier timer.
import { describe, expect } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { timers as driven } from "../src/internal/binding/driver.js"
import { type Timer, timer } from "../src/internal/engine/timers.js"
import { scoped, TestClock } from "./edition.js"

/** A seeded generator (mulberry32), so a failing case can be replayed. */
const random = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

describe("Timers", () => {
  for (const seed of [1, 2, 3]) {
    scoped(`500 timers, a third cancelled and a third moved, fire in order at their times (seed ${seed})`, () =>
      Effect.gen(function* () {
        const next = random(seed)
        const timers = yield* driven
        const fired: Array<readonly [number, number]> = []
        const all: Array<{ readonly id: number; readonly t: Timer }> = []
        for (let id = 0; id < 500; id++) {
          const t = timer(() => {
            fired.push([id, timers.now()])
            return undefined
          })
          timers.schedule(t, Math.floor(next() * 10_000))
          all.push({ id, t })
        }
        const expected = new Map<number, number>()
        for (const { id, t } of all) {
          const roll = next()
          if (roll < 1 / 3) timers.cancel(t)
          else if (roll < 2 / 3) {
            const at = Math.floor(next() * 10_000)
            timers.schedule(t, at)
            expected.set(id, at)
          } else expected.set(id, t.at)
        }
        expect(timers.size).toBe(expected.size)
        yield* TestClock.adjust("10 seconds")
        expect(fired.length).toBe(expected.size)
        for (const [id, at] of fired) expect(at).toBe(expected.get(id))
        const times = fired.map(([, at]) => at)
        expect(times).toEqual([...times].sort((a, b) => a - b))
        expect(timers.size).toBe(0)
      }),
    )
  }

  scoped("a timer earlier than the one the driver sleeps for wakes it early", () =>
    Effect.gen(function* () {
      const timers = yield* driven
      const fired: Array<string> = []
      timers.schedule(
        timer(() => {
          fired.push("late")
          return undefined
        }),
        300_000,
      )
      yield* TestClock.adjust("1 second")
      timers.schedule(
        timer(() => {
          fired.push("early")
          return undefined
        }),
        timers.now() + 1000,
      )
      yield* TestClock.adjust("1 second")
      expect(fired).toEqual(["early"])
      yield* TestClock.adjust("300 seconds")
      expect(fired).toEqual(["early", "late"])
    }),
  )

  scoped("an Effect a timer returns is run by the driver", () =>
    Effect.gen(function* () {
      const timers = yield* driven
      let ran = false
      timers.schedule(
        timer(() =>
          Effect.sync(() => {
            ran = true
          }),
        ),
        500,
      )
      yield* TestClock.adjust("500 millis")
      expect(ran).toBe(true)
    }),
  )
})
