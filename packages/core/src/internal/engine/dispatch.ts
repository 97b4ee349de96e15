/**
 * How the HTTP/1.1 transport carries a request: prepare it, route it (directly, forwarded to a proxy, or
 * through a CONNECT tunnel), get a connection from the pool, and run the exchange on it — retrying once on
 * a fresh connection when the exchange says so. This is the binding of the callback engine to Effect: one
 * `Effect.async` per attempt, with everything inside it driven by the pool's and the socket's callbacks.
 * @internal
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import type * as Scope from "effect/Scope"
import type { ConnectError, ConnectOptions } from "../../Connector.js"
import { type HttpError, Timeout } from "../../HttpError.js"
import { info as requestInfo } from "../../Request.js"
import type { Response } from "../../Response.js"
import type { Service as TransportService } from "../../Transport.js"
import type * as Url from "../../Url.js"
import { type Connections, WaitTimeout } from "./connections.js"
import { type Engine, Exchange, type Mode } from "./exchange.js"
import { connectFailure } from "./failures.js"
import { pinned } from "./pinned.js"
import type * as Pool from "./pool.js"
import { type Prepared, prepare } from "./prepare.js"
import { type Route, refusal } from "./proxy.js"
import { abandon, concluded, run, Streamed } from "./run.js"
import type { Phases } from "./timers.js"

export interface DispatcherOptions {
  readonly connections: Connections
  readonly engine: Engine
  /** The transport's default deadlines, phase by phase. */
  readonly defaults: Phases
  readonly route: (origin: Url.Origin) => Route
  /** Requests read whole may share a busy connection (HTTP/1.1 pipelining). */
  readonly pipelining: boolean
}

export class Dispatcher {
  readonly connections: Connections
  readonly engine: Engine

  constructor(private readonly options: DispatcherOptions) {
    this.connections = options.connections
    this.engine = options.engine
  }

  readonly connectFailed =
    (p: Prepared) =>
    (e: ConnectError | WaitTimeout): HttpError => {
      if (e._tag === "WaitTimeout") return new Timeout({ request: p.info, phase: "acquire", millis: e.millis })
      return connectFailure(e, p.info, p.url.origin, p.timeouts.connect)
    }

  /** Whether a request read whole may be pipelined: idempotent, no body, no `Connection: close`. */
  private mayPipeline(p: Prepared): boolean {
    return p.replayable && !p.close && p.body._tag === "Fixed" && p.body.bytes.length === 0
  }

  /** Where a request connects: its origin, the proxy it is forwarded to, or its origin through a tunnel. */
  readonly connectTo = (p: Prepared): readonly [Url.Origin, ConnectOptions] => {
    const timeoutMillis = p.timeouts.connect
    const r = this.options.route(p.url.origin)
    if (r._tag === "Direct") return [p.url.origin, { timeoutMillis }]
    if (r._tag === "Forward") {
      return [
        { ...r.proxy.origin, key: `forward ${r.proxy.origin.key}` },
        { timeoutMillis, forwardProxy: true },
      ]
    }
    // An invalid route never gets here: `start` refused the request.
    if (r._tag === "Invalid") return [p.url.origin, { timeoutMillis }]
    if (r._tag === "Socks") {
      return [
        { ...p.url.origin, key: `${p.url.origin.key} via ${r.proxy.key}` },
        { timeoutMillis, socks: r.proxy },
      ]
    }
    return [
      { ...p.url.origin, key: `${p.url.origin.key} via ${r.proxy.origin.key}` },
      { timeoutMillis, tunnel: { proxy: r.proxy.origin, authorization: r.proxy.authorization } },
    ]
  }

  /**
   * One attempt at a request: a connection from the pool, then the exchange on it. A request that finds a
   * connection, or gets one while it waits in line, runs as the socket's callbacks inside one
   * `Effect.async`, and its request is written the moment the connection is handed to it, without waking
   * its fiber. A granted slot is opened as an Effect (the Connector's), then the exchange runs the same
   * way. A dead reused socket, or a request a failed pipeline refused, is sent once more on a fresh
   * connection (`Exchange.retryable`). Interrupting the fiber leaves the line, gives back the slot, or
   * abandons the exchange, whichever it is at.
   */
  private attempt(p: Prepared, mode: Mode, connection: "any" | "fresh"): Effect.Effect<Response, HttpError> {
    return Effect.async<Response, HttpError>((resume) => {
      const { connections, engine } = this
      const pool = connections.pool
      const [origin, connect] = this.connectTo(p)
      const pipelinable = this.options.pipelining && mode === "buffered" && this.mayPipeline(p)
      const fresh = connection === "fresh"
      const ask: Pool.Ask = { fresh, connect, pipelinable, waitMillis: p.timeouts.acquire }
      const retry = fresh ? () => undefined : () => this.attempt(p, mode, "fresh")
      let cancel: Effect.Effect<void> = Effect.void
      const granted = (grant: Pool.Grant): void => {
        if (grant._tag === "Lease") {
          const ex = new Exchange(grant.lease, p, engine, mode)
          cancel = abandon(ex)
          if (p.whole) ex.start((outcome) => resume(concluded(ex, outcome, retry)))
          else resume(run(ex, retry))
          return
        }
        cancel = Effect.sync(() => pool.freeSlot(origin))
        resume(
          Effect.uninterruptibleMask((restore) =>
            Effect.flatMap(Effect.mapError(connections.open(origin, ask, restore), this.connectFailed(p)), (lease) =>
              restore(run(new Exchange(lease, p, engine, mode), retry)),
            ),
          ),
        )
      }
      const timedOut = () => resume(Effect.fail(this.connectFailed(p)(new WaitTimeout({ millis: ask.waitMillis }))))
      const waiting = pool.request(origin, ask, granted, timedOut)
      if (waiting !== undefined) cancel = Effect.sync(() => pool.cancel(origin, waiting))
      return Effect.suspend(() => cancel)
    })
  }

  readonly start = (...[request, url]: Parameters<TransportService["fetch"]>): Either.Either<Prepared, HttpError> => {
    const r = this.options.route(url.origin)
    const info = requestInfo(request)
    const refused = refusal(r, request, info)
    if (refused !== undefined) return Either.left(refused)
    const forward = r._tag === "Forward" ? r.proxy : undefined
    return prepare(request, url, info, this.options.defaults, forward)
  }

  readonly fetch: TransportService["fetch"] = (request, url) =>
    Effect.suspend(() => {
      const prepared = this.start(request, url)
      return Either.isLeft(prepared) ? Effect.fail(prepared.left) : this.attempt(prepared.right, "buffered", "any")
    })

  readonly send: TransportService["send"] = (request, url) =>
    Effect.uninterruptibleMask((restore) => {
      const prepared = this.start(request, url)
      if (Either.isLeft(prepared)) return Effect.fail(prepared.left)
      return Effect.tap(restore(this.attempt(prepared.right, "streaming", "any")), (response) => {
        const body = response.body
        // A body still on the wire holds its connection: if the scope closes first, destroy it.
        return body instanceof Streamed && body.exchange.lease.active
          ? Effect.addFinalizer(() => abandon(body.exchange))
          : Effect.void
      })
    })

  readonly pin = (origin: Url.Origin): Effect.Effect<TransportService, never, Scope.Scope> =>
    pinned({
      connections: this.connections,
      engine: this.engine,
      origin,
      fetch: this.fetch,
      start: this.start,
      connectTo: this.connectTo,
      connectFailed: this.connectFailed,
    })
}
