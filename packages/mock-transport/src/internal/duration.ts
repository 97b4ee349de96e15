/**
 * Durations as the mock's timers count them: milliseconds, undefined when none was given.
 * @internal
 */
import { type DurationInput, toDuration } from "@courier/core/internal/edition"
import * as Duration from "effect/Duration"

/** `d` in milliseconds, or undefined when it is undefined. */
export const millisOf = (d: DurationInput | undefined): number | undefined =>
  d === undefined ? undefined : Duration.toMillis(toDuration(d))
