/**
 * The swap point between the interpreter and the network.
 *
 * A Transport sends one prepared request — URL resolved and parsed, headers final except for `Host` and
 * body framing — and returns the response with its body still streaming. The response's connection lives
 * in the caller's Scope: a body read to the end gives the connection back early; closing the scope first
 * destroys it. Implementations: `Http1Transport` (core) over any Connector, `NodeTransport`, and the mock
 * transport's routes.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import type { HttpError } from "./HttpError.js"
import type { Request } from "./Request.js"
import type { Response } from "./Response.js"
import type { Url } from "./Url.js"

/**
 * What a transport does.
 *
 * @since 0.1.0
 * @category models
 */
export interface Service {
  readonly send: (request: Request, url: Url) => Effect.Effect<Response, HttpError, Scope.Scope>
}

/**
 * The Transport service.
 *
 * @since 0.1.0
 * @category tags
 */
export class Transport extends Context.Tag("@courier/core/Transport")<Transport, Service>() {}
