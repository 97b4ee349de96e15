/**
 * The HTTP/2 transport: the session pool, its dialling, and `fetch`/`send` over it. A request that finds the
 * origin speaks HTTP/1.1 (ALPN) fails with `UseHttp1`; the router sends it over the HTTP/1.1 transport, whose
 * connector takes the socket the dial already opened (`Handoff`), so the first request pays one handshake.
 * @internal
 */
import type * as tls from "node:tls"
import {
  Connector,
  Deadlines,
  Http1Transport,
  type HttpError,
  type Request,
  type Response,
  type Url,
} from "@courier/core"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as FiberId from "effect/FiberId"
import * as FiberSet from "effect/FiberSet"
import * as Schedule from "effect/Schedule"
import type * as Scope from "effect/Scope"
import type { Options as ConnectorOptions } from "../../NodeConnector.js"
import type { Via } from "../dial.js"
import type { Exchange, Mode } from "./exchange.js"
import { SessionPool } from "./pool.js"
import { type Binding, dial, exchange, prepare, pull, type UseHttp1, type Windows } from "./transport.js"

/** How long a TLS socket whose server chose HTTP/1.1 waits for the HTTP/1.1 transport to take it. */
const HANDOFF_MILLIS = 10_000

/** Sockets dialled for HTTP/2 whose servers chose HTTP/1.1, waiting for the HTTP/1.1 transport. */
export class Handoff {
  private readonly parked = new Map<string, tls.TLSSocket>()

  constructor(private readonly deadlines: Deadlines.Deadlines) {}

  /** Keeps `socket` for the next HTTP/1.1 connection to its origin; one per origin, for a bounded time. */
  park(key: string, socket: tls.TLSSocket): void {
    this.parked.get(key)?.destroy()
    this.parked.set(key, socket)
    const drop = () => {
      if (this.parked.get(key) === socket) this.parked.delete(key)
    }
    socket.once("close", drop)
    this.deadlines.after(HANDOFF_MILLIS, () => {
      if (this.parked.get(key) !== socket) return
      drop()
      socket.destroy()
    })
  }

  /** The socket parked for the origin, if one is open. */
  take(key: string): tls.TLSSocket | undefined {
    const socket = this.parked.get(key)
    this.parked.delete(key)
    return socket === undefined || socket.destroyed ? undefined : socket
  }

  /** Destroys every parked socket. */
  clear(): void {
    for (const socket of this.parked.values()) socket.destroy()
    this.parked.clear()
  }
}

export interface Http2Options {
  readonly connector: ConnectorOptions
  readonly windows: Windows
  readonly maxSessionsPerOrigin: number
  readonly maxStreamsPerSession: number
  readonly idleTimeoutMillis: number
  /** Offer HTTP/1.1 too over TLS, handing such sockets over; otherwise only h2 is offered. */
  readonly fallback: boolean
  /** The CONNECT tunnel an https origin is reached through, if the proxy settings route it through one. */
  readonly tunnelOf: (origin: Url.Origin) => Via | undefined
  readonly defaults: Deadlines.Phases
}

export interface Http2 {
  readonly fetch: (
    request: Request.Request,
    url: Url.Url,
  ) => Effect.Effect<Response.Response, HttpError.HttpError | UseHttp1>
  readonly send: (
    request: Request.Request,
    url: Url.Url,
  ) => Effect.Effect<Response.Response, HttpError.HttpError | UseHttp1, Scope.Scope>
  readonly pool: SessionPool
  readonly handoff: Handoff
}

/** Builds the HTTP/2 transport; its sessions close when the scope closes. */
export const make = (o: Http2Options): Effect.Effect<Http2, never, Scope.Scope> =>
  Effect.gen(function* () {
    const deadlines = yield* Deadlines.make
    const run = yield* FiberSet.makeRuntime<never>()
    const handoff = new Handoff(deadlines)
    // Parked under the key the HTTP/1.1 pool gives the connection: the origin's, and the proxy's for a tunnel.
    const fallback = o.fallback
      ? (origin: Url.Origin, socket: tls.TLSSocket) => {
          const via = o.tunnelOf(origin)
          const proxyKey = via === undefined ? undefined : via._tag === "Connect" ? via.proxy.key : via.key
          handoff.park(proxyKey === undefined ? origin.key : `${origin.key} via ${proxyKey}`, socket)
        }
      : undefined
    const pool: SessionPool = new SessionPool(
      {
        maxSessionsPerOrigin: o.maxSessionsPerOrigin,
        maxStreamsPerSession: o.maxStreamsPerSession,
        idleTimeoutMillis: o.idleTimeoutMillis,
        maxHttp1Origins: 1024,
      },
      deadlines,
      (origin, connectMillis) => {
        const dialling = run(
          dial(origin, { tls: o.connector, windows: o.windows, fallback, tunnel: o.tunnelOf(origin) }).pipe(
            Effect.timeoutFail({
              duration: connectMillis,
              onTimeout: () =>
                new Connector.ConnectError({ code: "ETIMEDOUT", reason: "connect timed out", timeout: true }),
            }),
            Effect.match({
              onSuccess: (dialled) => pool.dialled(origin, dialled),
              onFailure: (error) => pool.failed(origin, error),
            }),
          ),
        )
        // Interrupting the dial destroys its half-open socket (each step of `dial` does).
        return () => dialling.unsafeInterruptAsFork(FiberId.none)
      },
    )
    const binding: Binding = { pool, deadlines, fork: (effect) => run(effect) }
    // The pool gauges every second, as for HTTP/1.1; HTTP/2 origins are counted apart (tag protocol=h2).
    yield* Effect.forkScoped(Effect.repeat(Http1Transport.sampleGauges(pool, "h2"), Schedule.spaced("1 second")))
    yield* Effect.addFinalizer(() =>
      Effect.sync(() => {
        handoff.clear()
        for (const s of pool.all()) s.session.destroy()
      }),
    )

    const start = (request: Request.Request, url: Url.Url, mode: Mode) =>
      Effect.suspend(() => {
        const p = prepare(request, url, o.defaults)
        return Either.isLeft(p) ? Effect.fail(p.left) : exchange(binding, p.right, url, mode)
      })

    const streamed = (ex: Exchange): Response.Response => {
      const response = ex.answer as Response.Response
      if (!ex.ended) response.body = { pull: pull(ex) }
      return response
    }

    return {
      pool,
      handoff,
      fetch: (request, url) => Effect.map(start(request, url, "buffered"), (ex) => ex.answer as Response.Response),
      send: (request, url) =>
        Effect.uninterruptibleMask((restore) =>
          Effect.flatMap(restore(start(request, url, "streaming")), (ex) =>
            Effect.as(
              Effect.addFinalizer(() => Effect.sync(() => ex.abandon())),
              streamed(ex),
            ),
          ),
        ),
    }
  })
