/**
 * Reading the pool's gauges in a test, through the edition's one spelling of a metric with attributes
 * (`tagged` in src/internal/shared/edition-effect.ts).
 */
import * as Effect from "effect/Effect"
import * as Metric from "effect/Metric"
import type { poolOpen } from "../src/Http1Transport.js"
import { tagged } from "../src/internal/shared/edition-effect.js"

/** The value of one of the pool's gauges, for the series with these attributes when any are given. */
export const gaugeValue = (
  gauge: typeof poolOpen,
  attributes?: Readonly<Record<string, string>>,
): Effect.Effect<number> =>
  Effect.map(Metric.value(attributes === undefined ? gauge : tagged(gauge, attributes)), (s) => s.value)
