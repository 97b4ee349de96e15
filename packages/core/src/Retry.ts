/**
 * Retry policies for the Client, on Effect `Schedule`.
 *
 * A policy retries a request that failed with a transient error (see `HttpError.isTransient`) or was
 * answered with one of its statuses, waiting as its schedule says — or as the server's `Retry-After`
 * says, when that is longer, up to a cap. By default only idempotent methods are retried (GET, HEAD,
 * OPTIONS, TRACE, PUT, DELETE), and only when the body can be sent again. `transient` is the usual choice:
 * three retries, exponential backoff from 100 ms with jitter, and the statuses 408, 429, 500, 502, 503, 504.
 *
 * @since 0.1.0
 */
import type * as Duration from "effect/Duration"
import * as Schedule from "effect/Schedule"
import { parseHttpDate } from "./internal/http1/grammar.js"
import { type DurationInput, toDuration } from "./internal/shared/edition.js"
import { scheduleBoth } from "./internal/shared/edition-effect.js"
import { TRANSIENT_STATUSES as transientStatuses } from "./internal/shared/semantics.js"

/**
 * A retry policy.
 *
 * @since 0.1.0
 * @category models
 */
export interface Policy {
  /** The delays between attempts, and when to stop. */
  readonly schedule: Schedule.Schedule<unknown, unknown>
  /** Which methods may be retried. */
  readonly methods: "idempotent" | "all"
  /** Statuses that are retried as if they had failed. */
  readonly statuses: ReadonlyArray<number>
  /** The longest `Retry-After` honoured; a longer one is cut to this. */
  readonly retryAfterCap: Duration.Duration
}

/**
 * The statuses `transient` retries: 408, 429, 500, 502, 503, 504.
 *
 * @since 0.1.0
 * @category constants
 */
export const TRANSIENT_STATUSES: ReadonlyArray<number> = transientStatuses

/**
 * A policy from its parts; unspecified parts are those of `transient`.
 *
 * @example
 * ```ts
 * Retry.make({ schedule: Schedule.spaced("1 second").pipe(Schedule.compose(Schedule.recurs(5))) })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: {
  readonly schedule?: Schedule.Schedule<unknown, unknown>
  readonly methods?: "idempotent" | "all"
  readonly statuses?: ReadonlyArray<number>
  readonly retryAfterCap?: DurationInput
}): Policy => ({
  schedule:
    options.schedule ??
    (Schedule.exponential("100 millis").pipe(Schedule.jittered, (backoff) =>
      scheduleBoth(backoff, Schedule.recurs(3)),
    ) as Schedule.Schedule<unknown, unknown>),
  methods: options.methods ?? "idempotent",
  statuses: options.statuses ?? TRANSIENT_STATUSES,
  retryAfterCap: toDuration(options.retryAfterCap ?? "30 seconds"),
})

/**
 * Three retries, exponential backoff from 100 ms with jitter, transient errors and statuses, idempotent
 * methods only, `Retry-After` honoured up to 30 seconds.
 *
 * @since 0.1.0
 * @category presets
 */
export const transient: Policy = make({})

/**
 * How long `Retry-After` asks to wait, in milliseconds from `now`: delta-seconds or an HTTP-date
 * (RFC 9110 §10.2.3); undefined when absent or unreadable.
 *
 * @since 0.1.0
 * @category parsing
 */
export const parseRetryAfter = (value: string | undefined, now: number): number | undefined => {
  if (value === undefined) return undefined
  const trimmed = value.trim()
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000
  const date = parseHttpDate(trimmed, now)
  return date === undefined ? undefined : Math.max(0, date - now)
}
