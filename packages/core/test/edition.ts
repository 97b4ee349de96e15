/**
 * The test APIs that Effect 3 and Effect 4 spell differently, for the suites that run on both editions
 * (scripts/edition4/both-editions.json): this file is the Effect 3 spelling, `edition.effect4.ts` the
 * Effect 4 one, put in its place in the Effect 4 edition's tree.
 */
import { it } from "@effect/vitest"

export * as TestClock from "effect/TestClock"

/** A test of a scoped Effect on the TestClock (Effect 3's `it.scoped`, Effect 4's `it.effect`). */
export const scoped = it.scoped

/** A test of a scoped Effect on the live clock (Effect 3's `it.scopedLive`, Effect 4's `it.live`). */
export const scopedLive = it.scopedLive
