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
import * as Either from "effect/Either"
import type * as Scope from "effect/Scope"
import type { ConnectError } from "../../Connector.js"
import { type HttpError, Timeout } from "../../HttpError.js"
import type { Connection as Multiplexed, Multiplexer, Refused } from "../../Multiplex.js"
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
import { abandon, concluded, holderOf, run, SharedStreamed } from "./run.js"
import type { Phases } from "./timers.js"

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

  /**
   * Where a request connects — its origin, the proxy it is forwarded to, or its origin through a tunnel —
   * and how it asks the pool: a forwarded request speaks HTTP/1.1 to its proxy; any other offers what the
   * Multiplexer offers its origin.
   */
  readonly askOf = (p: Prepared, pipelinable: boolean, fresh: boolean): readonly [Url.Origin, Pool.Ask] => {
    const timeoutMillis = p.timeouts.connect
    const waitMillis = p.timeouts.acquire
    const r = this.options.route(p.url.origin)
    if (r._tag === "Forward") {
      const origin = { ...r.proxy.origin, key: `forward ${r.proxy.origin.key}` }
      const connect = { timeoutMillis, forwardProxy: true }
      return [origin, { fresh, connect, pipelinable, waitMillis, multiplexable: false }]
    }
    const origin = p.url.origin
    const alpn = this.options.multiplexer?.offer(origin)
    const multiplexable = alpn?.includes("h2") === true
    // An invalid route never gets here: `start` refused the request.
    const [key, connect]: readonly [string, Pool.Ask["connect"]] =
      r._tag === "Direct" || r._tag === "Invalid"
        ? [origin.key, { timeoutMillis, alpn }]
        : r._tag === "Socks"
          ? [`${origin.key} via ${r.proxy.key}`, { timeoutMillis, alpn, socks: r.proxy }]
          : [
              `${origin.key} via ${r.proxy.origin.key}`,
              { timeoutMillis, alpn, tunnel: { proxy: r.proxy.origin, authorization: r.proxy.authorization } },
            ]
    const target = key === origin.key ? origin : { ...origin, key }
    return [target, { fresh, connect, pipelinable, waitMillis, multiplexable }]
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
      const exchanged = Effect.map(outcome, ({ response, abandon }) => {
        const body = response.body
        if (typeof body === "object" && "pull" in body) response.body = new SharedStreamed(body.pull, abandon, lease)
        return response
      })
      resume(
        Effect.catchTag(exchanged, "Refused", (refused: Refused) =>
          p.outgoing.body._tag === "Fixed" && refusals < MAX_REFUSED
            ? this.attempt(p, mode, "any", refusals + 1)
            : Effect.fail(refused.error),
        ),
      )
    })
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
    return Effect.async<Response, HttpError>((resume) => {
      const { connections, engine } = this
      const pool = connections.pool
      const pipelinable = this.options.pipelining && mode === "buffered" && this.mayPipeline(p)
      const fresh = connection === "fresh"
      const [origin, ask] = this.askOf(p, pipelinable, fresh)
      const retry = fresh ? () => undefined : () => this.attempt(p, mode, "fresh", refusals)
      /** The exchange on a connection opened for this request (none: it has no room yet, so wait again). */
      const opened = (lease: Pool.Lease | undefined): Effect.Effect<Response, HttpError> => {
        if (lease === undefined) return this.attempt(p, mode, connection, refusals)
        const mux = lease.conn.mux
        if (mux === undefined) return run(new Exchange(lease, p, engine, mode), retry)
        return Effect.async((resume) => Effect.sync(this.shared(lease, mux, p, mode, refusals, resume)))
      }
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
              (lease) => restore(opened(lease)),
            )
          }),
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
