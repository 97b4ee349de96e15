/**
 * The Client value: a chain of handlers over a transport, pipeable, with `transform` to wrap it. The chain's
 * last link sends over the transport; every policy and every user middleware is a link above it.
 * @internal
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import { type Pipeable, pipeArguments } from "effect/Pipeable"
import type * as Scope from "effect/Scope"
import type { Options, With } from "../../Client.js"
import * as Headers from "../../Headers.js"
import type { HttpError } from "../../HttpError.js"
import type * as Request from "../../Request.js"
import type * as Response from "../../Response.js"
import type { Service as TransportService } from "../../Transport.js"
import * as Url from "../../Url.js"
import { basicAuthorization } from "../shared/credentials.js"
import { Result } from "../shared/edition.js"
import type { CurrentFiber } from "../shared/edition-effect.js"
import { copy as copyRequest, redactUrl } from "../shared/request.js"
import { type Call, execute, fetch, type Handler, openBody, urlOf } from "./call.js"
import { requestHead, responseHead } from "./debug.js"
import { attemptSpan } from "./tracing.js"

/** @internal */
export const TypeId: unique symbol = Symbol.for("@courier/core/Client")

/** What the chain runs over: the transport, and the context the client was built in (Files, ContentDecoding). */
export interface Root {
  readonly transport: TransportService
  readonly context: Context.Context<never>
}

/** The transport with each exchange logged at Debug level: heads (credentials redacted) and connection. */
const logged =
  <S>(
    send: (request: Request.Request, url: Url.Url) => Effect.Effect<Response.Response, HttpError, S>,
    secrets: ReadonlyArray<string>,
  ): typeof send =>
  (request, url) =>
    Effect.andThen(
      Effect.logDebug(requestHead(request, url, secrets)),
      send(request, url).pipe(
        Effect.tap((response) => Effect.logDebug(responseHead(response))),
        // The error's URL was redacted with the default names; the client may name more.
        Effect.tapError((error) =>
          Effect.logDebug(
            `courier: ${error.message.replace(error.request.url, redactUrl(error.request.url, secrets))}`,
          ),
        ),
      ),
    )

/** Sends a request whose URL is absolute and parsed: in its CLIENT span when the call is traced. */
const sendParsed = <S>(
  transport: TransportService,
  request: Request.Request,
  url: Url.Url,
  call: Call<S>,
): Effect.Effect<Response.Response, HttpError, S> => {
  const send = call.debug ? logged(call.sendWith(transport), call.secrets) : call.sendWith(transport)
  if (!call.traced) return send(request, url)
  return Effect.suspend(() => attemptSpan(request, url, call, (r) => send(r, url)))
}

/**
 * The chain's last link: the URL with its params parsed, the URL's user info as Basic credentials when the
 * request has none, a body a transform left unopened opened, then the transport.
 */
const terminal =
  (root: Root): Handler<HttpError, never> =>
  (request, call) => {
    const parsed = urlOf(request)
    if (Result.isFailure(parsed)) return Effect.fail(Result.failure(parsed))
    const url = Result.success(parsed)
    let ready = request.params.length === 0 ? request : copyRequest(request, { url: url.href, params: [] })
    if ((url.username !== "" || url.password !== "") && !Headers.has(ready.headers, "authorization")) {
      ready = copyRequest(ready, {
        headers: Headers.set(ready.headers, "Authorization", basicAuthorization(url.username, url.password)),
      })
    }
    if (ready.body._tag === "File" || ready.body._tag === "Multipart") {
      return Effect.flatMap(openBody(ready, root.context), (opened) => sendParsed(root.transport, opened, url, call))
    }
    return sendParsed(root.transport, ready, url, call)
  }

/** A Client: its chain, the context it was built in, and how to pin it (the same chain over one connection). */
export class ClientImpl<E, R> implements With<E, R>, Pipeable {
  readonly [TypeId]: typeof TypeId = TypeId
  constructor(
    readonly handler: Handler<E, R>,
    readonly context: Context.Context<never>,
    readonly pinnedChain: (target: string) => Effect.Effect<ClientImpl<E, R>, HttpError, Scope.Scope>,
    readonly options: Options,
  ) {}

  /** Streams the response; `fiber` is the caller's, when it has read it already (`Client.execute`). */
  readonly execute = (
    request: Request.Request,
    fiber?: CurrentFiber,
  ): Effect.Effect<Response.Response, E | HttpError, R | Scope.Scope> =>
    execute(this.handler, request, this.context, this.options.secretQueryParams, fiber)

  /** Reads the response into memory; `fiber` is the caller's, when it has read it already (`Client.fetch`). */
  readonly fetch = (
    request: Request.Request,
    fiber?: CurrentFiber,
  ): Effect.Effect<Response.Response, E | HttpError, R> =>
    fetch(this.handler, request, this.context, this.options.secretQueryParams, fiber)

  readonly pinned = (target: string): Effect.Effect<With<E, R>, HttpError, Scope.Scope> => this.pinnedChain(target)

  pipe() {
    // biome-ignore lint/complexity/noArguments: pipeArguments takes the arguments object, as Effect's own values do
    return pipeArguments(this, arguments)
  }
}

/** The client with no policies over `root`: requests go to the transport as they are. */
export const fromRoot = (root: Root, options: Options = {}): ClientImpl<HttpError, never> => {
  const self: ClientImpl<HttpError, never> = new ClientImpl(
    terminal(root),
    root.context,
    (target) =>
      Effect.suspend(() => {
        const url = Url.parse(target)
        if (Result.isFailure(url)) return Effect.fail(Result.failure(url))
        const pin = root.transport.pin
        if (pin === undefined) return Effect.succeed(self)
        return Effect.map(pin(Result.success(url).origin), (one) =>
          fromRoot({ transport: one, context: root.context }, options),
        )
      }),
    options,
  )
  return self
}

/** A client made elsewhere (not by Courier's constructors), as the first link of a chain. */
const foreign = <E, R>(client: With<E, R>): ClientImpl<E | HttpError, R> =>
  new ClientImpl(
    (request, call) => call.through(client, request),
    Context.empty(),
    (target) => Effect.map(client.pinned(target), foreign),
    client.options,
  )

/**
 * `self` with its chain wrapped by `wrap` (a transform): the new link sees each request first and calls
 * the old chain as its `next`. A pinned client gets the same wrap over its one connection.
 */
export const transform = <E, R, E2, R2>(
  self: With<E, R>,
  wrap: (next: Handler<E | HttpError, R>, context: Context.Context<never>) => Handler<E2, R2>,
): With<E2, R2> => {
  const rebuilt = (base: ClientImpl<E | HttpError, R>): ClientImpl<E2, R2> =>
    new ClientImpl(
      wrap(base.handler, base.context),
      base.context,
      (target) => Effect.map(base.pinnedChain(target), rebuilt),
      base.options,
    )
  return rebuilt(self instanceof ClientImpl ? self : foreign(self))
}
