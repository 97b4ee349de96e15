import { Client, Request } from "@courier/core"
import { MockTransport } from "@courier/mock-transport"
import { expect, it } from "@effect/vitest"
import { Clock, Data, Duration, Effect } from "effect"
import { TestClock } from "effect/testing"

class CircuitOpen extends Data.TaggedError("CircuitOpen")<{ readonly retryInMillis: number }> {}

/**
 * After `failures` failures in a row (errors or 5xx), calls fail at once with CircuitOpen for `cooldown`;
 * then one call is let through, and its outcome closes the circuit or opens it again.
 */
const circuitBreaker = (failures: number, cooldown: Duration.Input) => {
  const state = { failed: 0, openUntil: 0 }
  const record = (ok: boolean) =>
    Effect.flatMap(Clock.currentTimeMillis, (now) =>
      Effect.sync(() => {
        state.failed = ok ? 0 : state.failed + 1
        if (state.failed >= failures) state.openUntil = now + Duration.toMillis(cooldown)
      }),
    )
  const closed = Effect.flatMap(Clock.currentTimeMillis, (now) =>
    now < state.openUntil ? Effect.fail(new CircuitOpen({ retryInMillis: state.openUntil - now })) : Effect.void,
  )
  return Client.middleware((request, next) =>
    Effect.andThen(
      closed,
      next(request).pipe(
        Effect.tap((response) => record(response.status < 500)),
        Effect.tapError(() => record(false)),
      ),
    ),
  )
}

it.effect("three failures open the circuit for 30 s; the next call after that is let through", () =>
  Effect.gen(function* () {
    const client = (yield* Client.makeBare).pipe(circuitBreaker(3, "30 seconds"))
    const status = (path: string) =>
      client.fetch(Request.get(`http://api.test${path}`)).pipe(
        Effect.map((r) => r.status),
        Effect.catchTag("CircuitOpen", (e) => Effect.succeed(`open ${e.retryInMillis}`)),
      )
    expect([yield* status("/down"), yield* status("/down"), yield* status("/down")]).toEqual([503, 503, 503])
    yield* TestClock.adjust("10 seconds")
    expect(yield* status("/up")).toBe("open 20000") // failed fast, the server not asked
    yield* TestClock.adjust("20 seconds")
    expect(yield* status("/up")).toBe(200)
    expect((yield* MockTransport.calls).map((c) => c.request.path)).toEqual(["/down", "/down", "/down", "/up"])
  }).pipe(
    Effect.provide(
      MockTransport.layer([
        { path: "/down", reply: { status: 503 } },
        { path: "/up", reply: { status: 200 } },
      ]),
    ),
  ),
)

it.effect("a logger above the breaker records its fast failures, typed by their own tag", () =>
  Effect.gen(function* () {
    const log: Array<string> = []
    // The logger's `next` fails as the breaker does: with CircuitOpen as well as HttpError.
    const client = (yield* Client.makeBare).pipe(
      circuitBreaker(1, "30 seconds"),
      Client.middleware((request, next) =>
        next(request).pipe(
          Effect.tap((response) => Effect.sync(() => log.push(`${request.url} ${response.status}`))),
          Effect.tapError((error) =>
            Effect.sync(() =>
              log.push(error._tag === "CircuitOpen" ? `${request.url} fast-failed` : `${request.url} ${error._tag}`),
            ),
          ),
        ),
      ),
    )
    yield* client.fetch(Request.get("http://api.test/down"))
    const open = yield* Effect.flip(client.fetch(Request.get("http://api.test/up")))
    expect(open).toEqual(new CircuitOpen({ retryInMillis: 30_000 }))
    expect(log).toEqual(["http://api.test/down 503", "http://api.test/up fast-failed"])
  }).pipe(
    Effect.provide(
      MockTransport.layer([
        { path: "/down", reply: { status: 503 } },
        { path: "/up", reply: { status: 200 } },
      ]),
    ),
  ),
)
