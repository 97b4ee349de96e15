/**
 * How the socket transport carries a request: prepare it, route it (directly, forwarded to a proxy, or
 * through a CONNECT or SOCKS tunnel), get a connection from the pool, and run the exchange on it — HTTP/1.1
 * on a connection of its own, or a stream on a multiplexed one (HTTP/2, the Multiplexer's) — retrying once
 * on a fresh connection when an HTTP/1.1 exchange says so, and on any connection when a peer refused the
 * stream. This is the binding of the callback engine to Effect: one `Effect.async` per attempt, with
 * everything inside it driven by the pool's and the socket's callbacks.
 * @internal
 */
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import type { ConnectError } from "../../Connector.js"
import { type HttpError, Timeout } from "../../HttpError.js"
import type { Connection as Multiplexed, Multiplexer } from "../../Multiplex.js"
import { info as requestInfo } from "../../Request.js"
import type { Response } from "../../Response.js"
import type { Service as TransportService } from "../../Transport.js"
import type * as Url from "../../Url.js"
import { type Engine, Exchange, type Mode } from "../engine/exchange.js"
import { connectFailure } from "../engine/failures.js"
import type * as Pool from "../engine/pool.js"
import { type Prepared, prepare, type Via } from "../engine/prepare.js"
import { type Route, refusal } from "../engine/proxy.js"
import type { Phases } from "../engine/timers.js"
import { Result } from "../shared/edition.js"
import { callback } from "../shared/edition-effect.js"
import { type Connections, WaitTimeout } from "./connections.js"
import { phasesOf } from "./phases.js"
import { pinned } from "./pinned.js"
import { abandon, concluded, holderOf, run, SharedStreamed } from "./run.js"

export interface DispatcherOptions {
  readonly connections: Connections
  readonly engine: Engine
  /** The transport's default deadlines, phase by phase. */
  readonly defaults: Phases
  readonly route: (origin: Url.Origin) => Route
  /** Requests read whole may share a busy connection (HTTP/1.1 pipelining). */
  readonly pipelining: boolean
  /** The multiplexed protocol dials offer, if any. */
  readonly multiplexer: Multiplexer | undefined
}

/** How many times a request the peer refused (never processed) is sent again. */
const MAX_REFUSED = 2

const noRetry = () => undefined

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

  /** How a request asks the pool for a connection, on the way its route decided (`Prepared.via`). */
  readonly askOf = (p: Prepared, pipelinable: boolean, fresh: boolean): Pool.Ask => ({
    fresh,
    connect: p.via.connect,
    pipelinable,
    waitMillis: p.timeouts.acquire,
    multiplexable: p.via.multiplexable,
  })

  /**
   * Where a request on `route` connects — its origin, the proxy it is forwarded to, or its origin through a
   * tunnel — and how: a forwarded request speaks HTTP/1.1 to its proxy; any other offers what the
   * Multiplexer offers its origin.
   */
  private via(origin: Url.Origin, r: Route, timeoutMillis: number): Via {
    if (r._tag === "Forward") {
      const proxy = { ...r.proxy.origin, key: `forward ${r.proxy.origin.key}` }
      return { origin: proxy, connect: { timeoutMillis, forwardProxy: true }, multiplexable: false }
    }
    const alpn = this.options.multiplexer?.offer(origin)
    const multiplexable = alpn?.includes("h2") === true
    // An invalid route never gets here: `start` refused the request.
    if (r._tag === "Direct" || r._tag === "Invalid") return { origin, connect: { timeoutMillis, alpn }, multiplexable }
    if (r._tag === "Socks") {
      const connect = { timeoutMillis, alpn, socks: r.proxy }
      return { origin: { ...origin, key: `${origin.key} via ${r.proxy.key}` }, connect, multiplexable }
    }
    const tunnel = { proxy: r.proxy.origin, authorization: r.proxy.authorization }
    const connect = { timeoutMillis, alpn, tunnel }
    return { origin: { ...origin, key: `${origin.key} via ${r.proxy.origin.key}` }, connect, multiplexable }
  }

  /**
   * Starts an exchange on a stream of a multiplexed connection, at once; `resume` gets its outcome. The
   * stream's room goes back to the pool when it closes; a streamed body keeps the lease until then. A
   * stream the peer refused is sent again, on any connection, while its body is in memory, up to
   * `MAX_REFUSED` times. The function returned resets the stream.
   */
  private shared(
    lease: Pool.Lease,
    mux: Multiplexed,
    p: Prepared,
    mode: Mode,
    refusals: number,
    resume: (outcome: Effect.Effect<Response, HttpError>) => void,
  ): () => void {
    const pool = this.connections.pool
    const release = () => {
      pool.release(lease, "reuse")
    }
    return mux.exchange(p, mode, { reused: lease.reused, release }, (outcome) => {
      switch (outcome._tag) {
        case "Answered": {
          const response = outcome.response
          const body = response.body
          if (typeof body === "object" && "pull" in body) {
            response.body = new SharedStreamed(body.pull, outcome.abandon, lease)
          }
          const hooks = outcome.informational
          return resume(hooks === undefined ? Effect.succeed(response) : Effect.as(hooks, response))
        }
        case "Refused":
          return resume(
            p.outgoing.body._tag === "Fixed" && refusals < MAX_REFUSED
              ? this.attempt(p, mode, "any", refusals + 1)
              : Effect.fail(outcome.error),
          )
        case "Failed":
          return resume(Effect.fail(outcome.error))
      }
    })
  }

  /** The exchange on a connection opened for this request (none: it has no room yet, so it waits again). */
  private opened(
    lease: Pool.Lease | undefined,
    p: Prepared,
    mode: Mode,
    connection: "any" | "fresh",
    refusals: number,
    retry: () => Effect.Effect<Response, HttpError> | undefined,
  ): Effect.Effect<Response, HttpError> {
    if (lease === undefined) return this.attempt(p, mode, connection, refusals)
    const mux = lease.conn.mux
    if (mux === undefined) return run(new Exchange(lease, p, this.engine, mode), retry)
    return callback((resume) => Effect.sync(this.shared(lease, mux, p, mode, refusals, resume)))
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
  private attempt(
    p: Prepared,
    mode: Mode,
    connection: "any" | "fresh",
    refusals = 0,
  ): Effect.Effect<Response, HttpError> {
    return callback<Response, HttpError>((resume) => this.register(p, mode, connection, refusals, resume))
  }

  /** The body of `attempt`'s callback: asks the pool for a connection; returns what undoes the request. */
  private register(
    p: Prepared,
    mode: Mode,
    connection: "any" | "fresh",
    refusals: number,
    resume: (outcome: Effect.Effect<Response, HttpError>) => void,
  ): Effect.Effect<void> {
    const { connections, engine } = this
    const pool = connections.pool
    const pipelinable = this.options.pipelining && mode === "buffered" && this.mayPipeline(p)
    const fresh = connection === "fresh"
    const origin = p.via.origin
    const ask = this.askOf(p, pipelinable, fresh)
    const retry = fresh ? noRetry : () => this.attempt(p, mode, "fresh", refusals)
    let cancel: Effect.Effect<void> = Effect.void
    const granted = (grant: Pool.Grant): void => {
      if (grant._tag === "Failed") {
        resume(Effect.fail(this.connectFailed(p)(grant.error)))
        return
      }
      if (grant._tag === "Lease") {
        const mux = grant.lease.conn.mux
        if (mux !== undefined) {
          cancel = Effect.sync(this.shared(grant.lease, mux, p, mode, refusals, resume))
          return
        }
        const ex = new Exchange(grant.lease, p, engine, mode)
        cancel = abandon(ex)
        if (p.whole) ex.start((outcome) => resume(concluded(ex, outcome, retry)))
        else resume(run(ex, retry))
        return
      }
      // The canceler of `Effect.async` covers the effect it resumes with too: the slot is given back here
      // only until `open` starts, which then gives it back itself if the dial fails or is interrupted.
      let opening = false
      cancel = Effect.sync(() => {
        if (!opening) pool.freeSlot(origin)
      })
      resume(
        Effect.uninterruptibleMask((restore) => {
          opening = true
          return Effect.flatMap(
            Effect.mapError(connections.open(origin, ask, restore), this.connectFailed(p)),
            (lease) => restore(this.opened(lease, p, mode, connection, refusals, retry)),
          )
        }),
      )
    }
    const timedOut = () => resume(Effect.fail(this.connectFailed(p)(new WaitTimeout({ millis: ask.waitMillis }))))
    const waiting = pool.request(origin, ask, granted, timedOut)
    if (waiting !== undefined) cancel = Effect.sync(() => pool.cancel(origin, waiting))
    return Effect.suspend(() => cancel)
  }

  readonly start = (...[request, url]: Parameters<TransportService["fetch"]>): Result<Prepared, HttpError> => {
    const r = this.options.route(url.origin)
    const info = requestInfo(request)
    const refused = refusal(r, request, info)
    if (refused !== undefined) return Result.fail(refused)
    const timeouts = phasesOf(request.timeouts, this.options.defaults)
    const via = this.via(url.origin, r, timeouts.connect)
    const forward = r._tag === "Forward" ? r.proxy : undefined
    // A request a multiplexed connection may carry has its HTTP/1.1 head encoded only if HTTP/1.1 writes it.
    const later = via.multiplexable && this.connections.pool.multiplexed(via.origin.key) !== false
    return prepare(request, url, info, { timeouts, via, forward, encoding: later ? "when written" : "now" })
  }

  /** A request read whole: prepared and sent inside the one callback, so it costs no runtime operation more. */
  readonly fetch: TransportService["fetch"] = (request, url) =>
    callback<Response, HttpError>((resume) => {
      const prepared = this.start(request, url)
      if (Result.isFailure(prepared)) return resume(Effect.fail(Result.failure(prepared)))
      return this.register(Result.success(prepared), "buffered", "any", 0, resume)
    })

  readonly send: TransportService["send"] = (request, url) =>
    Effect.uninterruptibleMask((restore) => {
      const prepared = this.start(request, url)
      if (Result.isFailure(prepared)) return Effect.fail(Result.failure(prepared))
      return Effect.tap(restore(this.attempt(Result.success(prepared), "streaming", "any")), (response) => {
        // A body still on the wire holds its connection (or stream): if the scope closes first, stop it.
        const holder = holderOf(response.body)
        return holder === undefined ? Effect.void : Effect.addFinalizer(() => holder)
      })
    })

  readonly pin = (origin: Url.Origin): Effect.Effect<TransportService, never, Scope.Scope> =>
    pinned({
      connections: this.connections,
      engine: this.engine,
      origin,
      fetch: this.fetch,
      start: this.start,
      askOf: this.askOf,
      connectFailed: this.connectFailed,
    })
}
