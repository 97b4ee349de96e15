/**
 * The swap point between the interpreter and the network.
 *
 * A Transport sends one prepared request — URL resolved and parsed, headers final except for `Host` and
 * body framing — in one of two ways. `send` returns the response with its body still streaming; the
 * connection lives in the caller's Scope: a body read to the end gives it back early, closing the scope
 * first destroys it. `fetch` reads the whole body before it returns, so it needs no Scope and costs less.
 * Implementations: `Http1Transport` (core) over any Connector, `NodeTransport`, the mock transport.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import * as Headers from "./Headers.js"
import { MAX_BUFFERED_BODY_BYTES } from "./Http1.js"
import { BodyTooLarge, type HttpError, type RequestInfo } from "./HttpError.js"
import * as Edition from "./internal/shared/edition-effect.js"
import type { Request } from "./Request.js"
import * as Response from "./Response.js"
import type { Origin, Url } from "./Url.js"

/**
 * What a transport does.
 *
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /** Sends the request; the response body streams until it ends or the scope closes. */
  readonly send: (request: Request, url: Url) => Effect.Effect<Response.Response, HttpError, Scope.Scope>
  /** Sends the request and reads the whole body into memory. */
  readonly fetch: (request: Request, url: Url) => Effect.Effect<Response.Response, HttpError>
  /**
   * A transport whose requests all go, one after another, over one connection to `origin`, held until
   * the scope closes (Zerynth's `connection=`). Transports without connections leave it out.
   */
  readonly pin?: (origin: Origin) => Effect.Effect<Service, never, Scope.Scope>
}

/**
 * The Transport service.
 *
 * @since 0.1.0
 * @category tags
 */
export class Transport extends Edition.Service<Transport, Service>()("@courier/core/Transport") {}

/**
 * A Transport from `send` alone: `fetch` runs `send` in its own scope and reads the body into memory.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromSend = (send: Service["send"]): Service => ({
  send,
  fetch: (request, url) => Effect.scoped(Effect.flatMap(send(request, url), Response.buffered)),
})

/**
 * Which attempt of one call the transport is serving: 1, then one more for each retry the Client's policy
 * makes. Transports read it (the mock records it in its history); it is set only on retries, so a call that
 * is not retried pays nothing for it.
 *
 * @since 0.2.0
 * @category fiber refs
 */
export const currentAttempt: Edition.Reference<number> = Edition.makeReference(
  "@courier/core/Transport/currentAttempt",
  1,
)

/**
 * One response body's budget as a transport receives it — the one rule every transport applies: the
 * request's `maxResponseBytes`, or by default `Http1.MAX_BUFFERED_BODY_BYTES` when the body is read into
 * memory and no limit when it streams. A body announced past the limit is refused at the head, before any of
 * it is read (undici's `maxResponseSize`); one that grows past it is refused as it arrives.
 *
 * @since 0.5.0
 * @category limits
 */
export class BodyBudget {
  /** Body bytes received so far. */
  received = 0
  /** The most body bytes the response may have as received. */
  readonly limit: number

  constructor(
    private readonly request: RequestInfo,
    maxResponseBytes: number | undefined,
    buffered: boolean,
  ) {
    this.limit = maxResponseBytes ?? (buffered ? MAX_BUFFERED_BODY_BYTES : Number.POSITIVE_INFINITY)
  }

  /** The refusal of a head that announces a body past the limit (a bodiless response announces none), or undefined. */
  announced(length: number | undefined, bodiless: boolean): BodyTooLarge | undefined {
    if (length === undefined || length <= this.limit || bodiless) return undefined
    return new BodyTooLarge({
      request: this.request,
      limit: this.limit,
      received: 0,
      decoded: false,
      announced: length,
    })
  }

  /** Counts `n` more bytes received: the refusal once they pass the limit, or undefined. */
  receive(n: number): BodyTooLarge | undefined {
    this.received += n
    if (this.received <= this.limit) return undefined
    return new BodyTooLarge({ request: this.request, limit: this.limit, received: this.received, decoded: false })
  }
}

/**
 * The 1xx responses of one exchange (RFC 9110 §15.2), kept for the request's `onInformational` hook and
 * handed to it in order once the final response is in — one hand-off for every transport. Without a hook,
 * nothing is kept.
 *
 * @since 0.5.0
 * @category informational
 */
export class Interim {
  /** The one keeper of a request without a hook: it keeps nothing, so exchanges share it. */
  private static readonly none = new Interim(undefined)

  /** The keeper for a request's hook: a shared one that keeps nothing when there is no hook. */
  static of(hook: ((informational: Response.Informational) => Effect.Effect<void>) | undefined): Interim {
    return hook === undefined ? Interim.none : new Interim(hook)
  }

  private held: Array<Response.Informational> | undefined

  private constructor(
    private readonly hook: ((informational: Response.Informational) => Effect.Effect<void>) | undefined,
  ) {}

  /** Keeps a 1xx response for the hook. */
  add(status: number, reason: string, fields: ReadonlyArray<readonly [string, string]>): void {
    if (this.hook === undefined) return
    this.held ??= []
    this.held.push({ status, reason, headers: Headers.unsafeFromPairs(fields) })
  }

  /** The hook run over the 1xx responses kept, in order, and forgets them; undefined when there are none. */
  take(): Effect.Effect<void> | undefined {
    const held = this.held
    const hook = this.hook
    if (held === undefined || hook === undefined) return undefined
    this.held = undefined
    return Effect.forEach(held, hook, { discard: true })
  }
}
