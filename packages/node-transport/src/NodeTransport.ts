/**
 * Courier's transport for Node: HTTP/2 over node:http2 where the server agrees to it, and the HTTP/1.1
 * transport of @courier/core over node:net and node:tls everywhere else.
 *
 * Over TLS the connection offers ALPN `h2, http/1.1` and speaks what the server picks, decided once per
 * connection: an HTTP/2 session carries many requests at once, an HTTP/1.1 connection one at a time, both in
 * the same keep-alive pool under the same limits. In clear text it speaks HTTP/1.1, or h2c with prior
 * knowledge when `httpVersion` is `"2"`. Requests forwarded through a proxy use HTTP/1.1; an https origin
 * reached through a CONNECT or SOCKS tunnel negotiates inside it like any other.
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
  Session,
  Transport,
} from "@courier/core"
import { layerScoped, scopedFork } from "@courier/core/internal/edition"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import { multiplexer } from "./internal/h2/transport.js"
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
    const fork = yield* scopedFork
    const http2 = multiplexer({
      version,
      fork,
      windows: {
        streamWindowBytes: within(options.http2?.streamWindowBytes, MIN_WINDOW, MAX_WINDOW, 1024 * 1024),
        connectionWindowBytes: within(options.http2?.connectionWindowBytes, MIN_WINDOW, MAX_WINDOW, 16 * 1024 * 1024),
        maxHeaderCount: within(options.limits?.maxHeaderCount, 1, MAX_WINDOW, Http1.defaultLimits.maxHeaderCount),
        maxHeadBytes: within(options.limits?.maxHeadBytes, 1024, MAX_WINDOW, Http1.defaultLimits.maxHeadBytes),
      },
      maxStreamsPerSession: within(options.http2?.maxConcurrentStreams, 1, MAX_WINDOW, 100),
    })
    return yield* Effect.provideService(Http1Transport.make(h1Options, http2), Connector.Connector, base)
  })

/**
 * The Transport over node sockets; closing its scope closes every connection.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: Options = {}): Layer.Layer<Transport.Transport> =>
  layerScoped(Transport.Transport, make(options))

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
