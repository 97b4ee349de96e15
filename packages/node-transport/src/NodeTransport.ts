/**
 * Courier's transport for Node: HTTP/2 over node:http2 where the server agrees to it, and the HTTP/1.1
 * transport of @courier/core over node:net and node:tls everywhere else.
 *
 * Over TLS the connection offers ALPN `h2, http/1.1` and speaks what the server picks: one HTTP/2 session per
 * origin carries many requests at once, and HTTP/1.1 origins get the keep-alive pool. In clear text it speaks
 * HTTP/1.1, or h2c with prior knowledge when `httpVersion` is `"2"`. Requests forwarded through a proxy use
 * HTTP/1.1; an https origin reached through a CONNECT tunnel negotiates inside it like any other.
 *
 * @since 0.1.0
 */
import {
  Client,
  Connector,
  type ContentDecoding,
  type Files,
  Http1,
  Http1Transport,
  type HttpError,
  type Request,
  Session,
  Transport,
  type Url,
} from "@courier/core"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import * as Http2 from "./internal/h2/service.js"
import { UseHttp1 } from "./internal/h2/transport.js"
import { NodeSocket } from "./internal/socket.js"
import * as NodeConnector from "./NodeConnector.js"
import * as NodeDecoding from "./NodeDecoding.js"
import * as NodeFiles from "./NodeFiles.js"

/**
 * HTTP/2 settings.
 *
 * @since 0.4.0
 * @category models
 */
export interface Http2Options {
  /**
   * The most requests one HTTP/2 connection carries at once; the server's
   * `SETTINGS_MAX_CONCURRENT_STREAMS` lowers it. A request beyond it waits, or opens another connection
   * while the origin has fewer than `maxConnectionsPerOrigin`.
   * @default 100 (undici's default)
   */
  readonly maxConcurrentStreams?: number
  /**
   * Bytes the server may send on one stream before the reader takes them (the stream's flow-control
   * window): what a slow reader can leave in memory per response. Kept within HTTP/2's bounds, 65535 to
   * 2^31-1, as is `connectionWindowBytes`.
   * @default 1048576 (1 MiB)
   */
  readonly streamWindowBytes?: number
  /**
   * Bytes the server may send on one connection, all streams together, before readers take them.
   * @default 16777216 (16 MiB)
   */
  readonly connectionWindowBytes?: number
}

/**
 * Options: those of the HTTP/1.1 transport (pool, limits, deadlines), TLS, the HTTP version and HTTP/2's.
 * `maxConnectionsPerOrigin`, `idleTimeoutMillis` and the deadlines apply to HTTP/2 connections too.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options extends Omit<Http1Transport.Options, "proxy">, NodeConnector.Options {
  /**
   * Proxies: explicit settings, `"env"` to read `http_proxy`/`HTTP_PROXY`, `https_proxy`/`HTTPS_PROXY`,
   * `all_proxy`/`ALL_PROXY` (for either when its own is unset) and `no_proxy`/`NO_PROXY` (lower case first,
   * as curl), or `false` for none. A proxy URL is `http://`, `https://`, `socks5://` or `socks5h://`.
   * @default "env"
   */
  readonly proxy?: Http1Transport.ProxyOptions | "env" | false
  /**
   * Which HTTP to speak. `"auto"`: over TLS, offer `h2` and `http/1.1` by ALPN and speak what the server
   * picks; in clear text, HTTP/1.1. `"1.1"`: HTTP/1.1 only. `"2"`: HTTP/2 only — over TLS a server that
   * does not pick `h2` fails to connect (`HTTPConnectionError`, code `ERR_HTTP2_NOT_NEGOTIATED`), and in
   * clear text it is h2c with prior knowledge (RFC 9113 §3.3).
   * @default "auto"
   */
  readonly httpVersion?: "auto" | "1.1" | "2"
  /** HTTP/2 settings. */
  readonly http2?: Http2Options
}

/**
 * Proxy settings from environment variables, as curl and requests read them.
 *
 * @since 0.1.0
 * @category proxies
 */
export const proxyFromEnv = (
  env: Readonly<Record<string, string | undefined>> = process.env,
): Http1Transport.ProxyOptions => {
  // curl's ALL_PROXY: the proxy for any scheme without one of its own (a SOCKS5 proxy, typically).
  const all = env.all_proxy ?? env.ALL_PROXY
  return {
    http: env.http_proxy ?? env.HTTP_PROXY ?? all,
    https: env.https_proxy ?? env.HTTPS_PROXY ?? all,
    noProxy: (env.no_proxy ?? env.NO_PROXY ?? "").split(/[\s,]+/).filter((s) => s !== ""),
  }
}

const transportOptions = (options: Options): Http1Transport.Options => {
  const { proxy, ...rest } = options
  // A Unix domain socket is reached directly; a proxy cannot stand in front of it.
  if (proxy === false || options.socketPath !== undefined) return rest
  return { ...rest, proxy: proxy === undefined || proxy === "env" ? proxyFromEnv() : proxy }
}

/** The node Connector, except that an https connection takes the socket an HTTP/2 dial left for it, if any. */
const handingOver = (base: Connector.Service, handoff: Http2.Handoff): Connector.Service => ({
  connect: (origin, options) =>
    Effect.suspend(() => {
      const socket = origin.scheme === "https" ? handoff.take(origin.key) : undefined
      if (socket === undefined) return base.connect(origin, options)
      const adopted = new NodeSocket(socket)
      return Effect.as(
        Effect.addFinalizer(() => adopted.destroy),
        adopted,
      )
    }),
})

const isUseHttp1 = (e: unknown): e is UseHttp1 => e instanceof UseHttp1

/** HTTP/2's bounds on a flow-control window (RFC 9113 §6.9.1–6.9.2). */
const MIN_WINDOW = 65_535
const MAX_WINDOW = 2 ** 31 - 1

/** An integer option kept within what the protocol allows; `otherwise` when it is unset or not a number. */
const within = (value: number | undefined, min: number, max: number, otherwise: number): number =>
  value === undefined || Number.isNaN(value) ? otherwise : Math.min(max, Math.max(min, Math.floor(value)))

/**
 * Builds the transport over node sockets; its connections live in the scope it is built in.
 *
 * @since 0.4.0
 * @category constructors
 */
export const make = (options: Options = {}): Effect.Effect<Transport.Service, never, Scope.Scope> =>
  Effect.gen(function* () {
    const version = options.httpVersion ?? "auto"
    const h1Options = transportOptions(options)
    const base = NodeConnector.make(options)
    if (version === "1.1") {
      return yield* Effect.provideService(Http1Transport.make(h1Options), Connector.Connector, base)
    }
    const route = Http1Transport.proxyRoute(h1Options.proxy)
    const h2 = yield* Http2.make({
      connector: options,
      windows: {
        streamWindowBytes: within(options.http2?.streamWindowBytes, MIN_WINDOW, MAX_WINDOW, 1024 * 1024),
        connectionWindowBytes: within(options.http2?.connectionWindowBytes, MIN_WINDOW, MAX_WINDOW, 16 * 1024 * 1024),
        maxHeaderCount: within(options.limits?.maxHeaderCount, 1, MAX_WINDOW, Http1.defaultLimits.maxHeaderCount),
        maxHeadBytes: within(options.limits?.maxHeadBytes, 1024, MAX_WINDOW, Http1.defaultLimits.maxHeadBytes),
      },
      maxSessionsPerOrigin: within(options.maxConnectionsPerOrigin, 1, Number.MAX_SAFE_INTEGER, 64),
      maxStreamsPerSession: within(options.http2?.maxConcurrentStreams, 1, MAX_WINDOW, 100),
      idleTimeoutMillis: within(options.idleTimeoutMillis, 0, Number.MAX_SAFE_INTEGER, 4000),
      fallback: version === "auto",
      tunnelOf: (origin) => {
        const r = route(origin)
        if (r._tag === "Tunnel") return { _tag: "Connect", proxy: r.proxy, authorization: r.authorization }
        return r._tag === "Socks" ? { _tag: "Socks", ...r.proxy } : undefined
      },
      defaults: Http1Transport.phaseDefaults(options),
    })
    const h1 = yield* Effect.provideService(
      Http1Transport.make(h1Options),
      Connector.Connector,
      handingOver(base, h2.handoff),
    )
    // Forwarding through a proxy is HTTP/1.1; a CONNECT tunnel carries whatever TLS negotiates inside it.
    const overHttp2 = (origin: Url.Origin, r: Http1Transport.ProxyRoute): boolean =>
      r._tag !== "Forward" && (origin.scheme === "https" ? !h2.pool.speaksHttp1(origin.key) : version === "2")
    /**
     * One request: over HTTP/2 when its route and origin allow (the HTTP/1.1 transport refuses what its
     * route forbids itself; an HTTP/2 request is checked here), falling back to HTTP/1.1 when the dial found
     * that the origin speaks it; the fallback is built only then.
     */
    const dispatch = <A, R>(
      request: Request.Request,
      url: Url.Url,
      run: (t: Transport.Service) => Effect.Effect<A, HttpError.HttpError, R>,
      overH2: (request: Request.Request, url: Url.Url) => Effect.Effect<A, HttpError.HttpError | UseHttp1, R>,
    ): Effect.Effect<A, HttpError.HttpError, R> => {
      const r = route(url.origin)
      if (!overHttp2(url.origin, r)) return run(h1)
      const refused = Http1Transport.proxyRefusal(r, request)
      return refused === undefined
        ? Effect.catchIf(overH2(request, url), isUseHttp1, () => run(h1))
        : Effect.fail(refused)
    }
    const service: Transport.Service = {
      fetch: (request, url) => dispatch(request, url, (t) => t.fetch(request, url), h2.fetch),
      send: (request, url) => dispatch(request, url, (t) => t.send(request, url), h2.send),
      // A pinned client keeps one HTTP/1.1 connection; over HTTP/2 its requests share the origin's sessions.
      pin: (origin) =>
        overHttp2(origin, route(origin)) || h1.pin === undefined ? Effect.succeed(service) : h1.pin(origin),
    }
    return service
  })

/**
 * The Transport over node sockets; closing its scope closes every connection.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: Options = {}): Layer.Layer<Transport.Transport> =>
  Layer.scoped(Transport.Transport, make(options))

/**
 * The platform services a Client uses on Node: file bodies from node:fs, decompression by node:zlib.
 *
 * @since 0.1.0
 * @category layers
 */
export const platform: Layer.Layer<Files.Files | ContentDecoding.ContentDecoding> = Layer.merge(
  NodeFiles.layer,
  NodeDecoding.layer,
)

/**
 * A Client over node sockets, with file bodies and decompression: the usual way to start.
 *
 * @example
 * ```ts
 * import { Client } from "@courier/core"
 * import { NodeTransport } from "@courier/node-transport"
 * Effect.runPromise(Client.get("http://localhost:8080/").pipe(Effect.provide(NodeTransport.client())))
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const client = (options: Options & Client.Options = {}): Layer.Layer<Client.Client> =>
  Client.layer(options).pipe(Layer.provide(Layer.merge(layer(options), platform)))

/**
 * A Session (a Client with a cookie jar) over node sockets, with file bodies and decompression.
 *
 * @since 0.1.0
 * @category layers
 */
export const session = (options: Options & Client.Options = {}): Layer.Layer<Client.Client | Session.Session> =>
  Session.layer(options).pipe(Layer.provide(Layer.merge(layer(options), platform)))
