/**
 * Traffic shaping as transforms: at most n requests in flight per origin, and at most n requests started
 * per interval per origin. Both keep state only for origins in use, so neither grows with the number of
 * origins a client has ever called.
 * @internal
 */
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import type { With } from "../../Client.js"
import type { HttpError } from "../../HttpError.js"
import type * as Request from "../../Request.js"
import * as Response from "../../Response.js"
import { type DurationInput, Result } from "../shared/edition.js"
import { callback } from "../shared/edition-effect.js"
import { type Call, urlOf } from "./call.js"
import { transform } from "./client.js"

/** The origin a request goes to, as the key the limits are kept by. */
const originKey = (request: Request.Request): string => {
  const url = urlOf(request)
  return Result.isSuccess(url) ? Result.success(url).origin.key : request.url
}

/**
 * A streaming response that holds a place until its body has been read to the end (or failed), or its
 * scope closes, whichever comes first: a redirect below the limit reads and drops its body, so the next hop
 * gets the place back instead of waiting for a scope that outlives the chain.
 */
const heldUntilRead = <S>(
  response: Response.Response,
  leave: Effect.Effect<void>,
  call: Call<S>,
): Effect.Effect<Response.Response, never, S> =>
  response.body instanceof Uint8Array
    ? Effect.as(leave, response)
    : Effect.as(
        call.whenDone(leave),
        Response.withBody(response, { stream: Stream.ensuring(Response.stream(response), leave) }),
      )

/**
 * `self` with at most `max` requests in flight per origin; the rest wait in order. A request holds its
 * place until its response is done with: returned by `fetch`; after `execute`, its body read to the end or
 * its scope closed.
 */
export const limitConcurrency = <E, R>(self: With<E, R>, max: number): With<E | HttpError, R> =>
  transform(self, (next) => {
    const limit = Math.max(1, Math.floor(max))
    // Per origin: the requests holding a place, and the wakers of those waiting for one, in order.
    const origins = new Map<string, { active: number; waiting: Array<() => void> }>()
    const release = (key: string) =>
      Effect.sync(() => {
        const state = origins.get(key)
        if (state === undefined) return
        const wake = state.waiting.shift()
        if (wake !== undefined) return wake()
        state.active--
        if (state.active === 0) origins.delete(key)
      })
    /** Takes a place (or waits for one, handed over by `release`); interrupted while waiting, it leaves the line. */
    const take = (key: string): Effect.Effect<void> =>
      callback<void>((resume) => {
        const state = origins.get(key) ?? { active: 0, waiting: [] }
        origins.set(key, state)
        if (state.active < limit) {
          state.active++
          return resume(Effect.void)
        }
        const wake = () => resume(Effect.void)
        state.waiting.push(wake)
        return Effect.sync(() => {
          const at = state.waiting.indexOf(wake)
          if (at >= 0) state.waiting.splice(at, 1)
        })
      })
    const limited = <S>(
      request: Request.Request,
      call: Call<S>,
    ): Effect.Effect<Response.Response, E | HttpError, R | S> => {
      const key = originKey(request)
      return Effect.uninterruptibleMask((restore) =>
        Effect.flatMap(restore(take(key)), () => {
          let held = true
          const leave = Effect.suspend(() => {
            if (!held) return Effect.void
            held = false
            return release(key)
          })
          return Effect.flatMap(
            Effect.onError(restore(next(request, call)), () => leave),
            (response) => (call.buffer ? Effect.as(leave, response) : heldUntilRead(response, leave, call)),
          )
        }),
      )
    }
    return limited
  })

/**
 * `self` starting at most `limit` requests per `interval` per origin (a sliding window): a request past
 * the limit waits until the oldest start in the window is `interval` old. Time is the Effect Clock's.
 */
export const rateLimit = <E, R>(
  self: With<E, R>,
  options: { readonly limit: number; readonly interval: DurationInput },
): With<E | HttpError, R> =>
  transform(self, (next) => {
    const limit = Math.max(1, Math.floor(options.limit))
    const window = Duration.toMillis(options.interval)
    // Per origin: the start times given out in the last window, oldest first (at most `limit`).
    const starts = new Map<string, Array<number>>()
    let swept = 0
    /** Drops origins whose last start is a window old: they have no say in any later start. */
    const sweep = (now: number) => {
      if (now - swept < window) return
      swept = now
      for (const [key, times] of starts) if ((times[times.length - 1] ?? 0) + window <= now) starts.delete(key)
    }
    /** Books the earliest start allowed for `key` from `now`, and returns how long to wait for it. */
    const book = (key: string, now: number): number => {
      sweep(now)
      const times = starts.get(key) ?? []
      starts.set(key, times)
      const at = times.length < limit ? now : Math.max(now, (times.shift() ?? now) + window)
      times.push(at)
      return at - now
    }
    const limited = <S>(
      request: Request.Request,
      call: Call<S>,
    ): Effect.Effect<Response.Response, E | HttpError, R | S> =>
      Effect.flatMap(Clock.currentTimeMillis, (now) => {
        const wait = book(originKey(request), now)
        return wait === 0 ? next(request, call) : Effect.andThen(Effect.sleep(wait), next(request, call))
      })
    return limited
  })
