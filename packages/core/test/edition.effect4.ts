/**
 * The test APIs that Effect 3 and Effect 4 spell differently: the Effect 4 spelling of `edition.ts`.
 */
import { it } from "@effect/vitest"

export { TestClock } from "effect/testing"

/** A test of a scoped Effect on the TestClock (Effect 3's `it.scoped`, Effect 4's `it.effect`). */
export const scoped = it.effect

/** A test of a scoped Effect on the live clock (Effect 3's `it.scopedLive`, Effect 4's `it.live`). */
export const scopedLive = it.live
