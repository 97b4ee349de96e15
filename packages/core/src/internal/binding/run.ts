/**
 * The Effect form of an exchange: `Effect.async` around the callback machine (exchange.ts), the pump of a
 * request body stream into it (upload.ts), the request's hook for 1xx responses, and the reader of a
 * streamed body. Interrupting the fiber abandons the exchange, which destroys its connection.
 * @internal
 */
import * as Effect from "effect/Effect"
import type { HttpError } from "../../HttpError.js"
import type * as Response from "../../Response.js"
import type { Closing, Exchange, Outcome } from "../engine/exchange.js"
import type { Lease } from "../engine/pool.js"
import { callback } from "../shared/edition-effect.js"
import { pump } from "./upload.js"

/** `then`, after closing the connection when it must be closed. */
export const afterClosing = <A, E>(closing: Closing, then: Effect.Effect<A, E>): Effect.Effect<A, E> =>
  closing === undefined ? then : Effect.andThen(closing, then)

/** The body of a streamed response: each pull is one wait on the exchange's callbacks. */
export class Streamed {
  constructor(readonly exchange: Exchange) {}

  readonly pull: Effect.Effect<ReadonlyArray<Uint8Array> | undefined, HttpError> = callback((resume) => {
    const cancel = this.exchange.pull((pulled) => {
      switch (pulled._tag) {
        case "Chunks":
          return resume(afterClosing(pulled.closing, Effect.succeed(pulled.chunks)))
        case "End":
          return resume(afterClosing(pulled.closing, Effect.succeed(undefined)))
        case "Failed":
          return resume(afterClosing(pulled.closing, Effect.fail(pulled.error)))
      }
    })
    return Effect.sync(cancel)
  })
}

/**
 * The body of a streamed response on a multiplexed connection: the protocol's reader, and how to stop it
 * (resetting its stream) when the caller's scope closes first.
 */
export class SharedStreamed {
  constructor(
    readonly pull: Effect.Effect<ReadonlyArray<Uint8Array> | undefined, HttpError>,
    readonly abandon: () => void,
    private readonly lease: Lease,
  ) {}

  get holding(): boolean {
    return this.lease.active
  }
}

/** What stops a streamed body that still holds its connection (or stream), if it does. */
export const holderOf = (body: Response.Response["body"]): Effect.Effect<void> | undefined => {
  if (body instanceof Streamed) return body.exchange.lease.active ? abandon(body.exchange) : undefined
  if (body instanceof SharedStreamed) return body.holding ? Effect.sync(body.abandon) : undefined
  return undefined
}

/** The response an outcome stands for, or its failure, after the connection's closing. */
export const responseOf = (ex: Exchange, outcome: Outcome): Effect.Effect<Response.Response, HttpError> => {
  if (outcome._tag === "Failed") return afterClosing(outcome.closing, Effect.fail(outcome.error))
  const response = ex.respond(outcome.head, ex.ended ? undefined : new Streamed(ex))
  const hooks = ex.interim.take()
  return afterClosing(outcome.closing, hooks === undefined ? Effect.succeed(response) : Effect.as(hooks, response))
}

/** Gives up the exchange, closing its connection. */
export const abandon = (ex: Exchange): Effect.Effect<void> => Effect.suspend(() => ex.abandon() ?? Effect.void)

/**
 * The exchange as an Effect: a request in memory is one `Effect.async` over the callbacks. A body not in
 * memory goes out in the exchange's Sending state: by itself when it is bytes, pumped from its stream
 * otherwise; the response, which may come first, is read meanwhile. A failure the exchange calls retryable
 * goes to `retry` (the transport sends the request again on a fresh connection, or declines with undefined).
 */
export const run = (
  ex: Exchange,
  retry: () => Effect.Effect<Response.Response, HttpError> | undefined,
): Effect.Effect<Response.Response, HttpError> => {
  const p = ex.prepared
  const body = p.body
  if (p.whole || body._tag === "Fixed") {
    return callback((resume) => {
      if (p.whole) ex.start((outcome) => resume(concluded(ex, outcome, retry)))
      else {
        ex.upload()
        ex.receive((outcome) => resume(concluded(ex, outcome, retry)))
      }
      return abandon(ex)
    })
  }
  const receive = callback<Response.Response, HttpError>((resume) => {
    ex.receive((outcome) => resume(concluded(ex, outcome, retry)))
    return abandon(ex)
  })
  return Effect.suspend(() => {
    ex.upload()
    return Effect.andThen(pump(ex, body.stream), receive)
  }).pipe(Effect.onInterrupt(() => abandon(ex)))
}

/** What an exchange's outcome leads to: the response, the failure, or the retry it calls for. */
export const concluded = (
  ex: Exchange,
  outcome: Outcome,
  retry: () => Effect.Effect<Response.Response, HttpError> | undefined,
): Effect.Effect<Response.Response, HttpError> => {
  const again = outcome._tag === "Failed" && ex.retryable ? retry() : undefined
  return again === undefined ? responseOf(ex, outcome) : afterClosing(outcome.closing, again)
}
