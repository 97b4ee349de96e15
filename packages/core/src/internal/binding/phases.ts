/**
 * A request's deadlines as the engine counts them: Effect's Durations turned into milliseconds, phase by
 * phase, over the transport's defaults.
 * @internal
 */
import * as Duration from "effect/Duration"
import type { Timeouts } from "../../Request.js"
import type { Phases } from "../engine/timers.js"
import type { DurationInput } from "../shared/edition.js"

/** A duration in milliseconds, or `otherwise` when there is none. */
export const millisOf = (d: DurationInput | undefined, otherwise: number): number =>
  d === undefined ? otherwise : Duration.toMillis(d)

/** Each phase's deadline: the one `t` sets, else the default; `defaults` itself when `t` sets none. */
export const phasesOf = (t: Omit<Timeouts, "total"> | undefined, defaults: Phases): Phases => {
  if (
    t === undefined ||
    (t.acquire === undefined &&
      t.connect === undefined &&
      t.send === undefined &&
      t.head === undefined &&
      t.body === undefined)
  ) {
    return defaults
  }
  return {
    acquire: millisOf(t.acquire, defaults.acquire),
    connect: millisOf(t.connect, defaults.connect),
    send: millisOf(t.send, defaults.send),
    head: millisOf(t.head, defaults.head),
    body: millisOf(t.body, defaults.body),
  }
}
