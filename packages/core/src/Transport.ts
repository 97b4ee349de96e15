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
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as FiberRef from "effect/FiberRef"
import type * as Scope from "effect/Scope"
import type { HttpError } from "./HttpError.js"
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
export class Transport extends Context.Tag("@courier/core/Transport")<Transport, Service>() {}

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
export const currentAttempt: FiberRef.FiberRef<number> = FiberRef.unsafeMake(1)
