/**
 * Courier's transport for Node: the HTTP/1.1 transport of @courier/core over node:net and node:tls.
 *
 * @since 0.1.0
 */
import { Client, type ContentDecoding, type Files, Http1Transport, Session, type Transport } from "@courier/core"
import * as Layer from "effect/Layer"
import * as NodeConnector from "./NodeConnector.js"
import * as NodeDecoding from "./NodeDecoding.js"
import * as NodeFiles from "./NodeFiles.js"

/**
 * Options: those of the HTTP/1.1 transport (pool, limits, connect timeout) and TLS.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options extends Omit<Http1Transport.Options, "proxy">, NodeConnector.Options {
  /**
   * Proxies: explicit settings, `"env"` to read `http_proxy`/`HTTP_PROXY`, `https_proxy`/`HTTPS_PROXY` and
   * `no_proxy`/`NO_PROXY` (lower case first, as curl), or `false` for none.
   * @default "env"
   */
  readonly proxy?: Http1Transport.ProxyOptions | "env" | false
}

/**
 * Proxy settings from environment variables, as curl and requests read them.
 *
 * @since 0.1.0
 * @category proxies
 */
export const proxyFromEnv = (
  env: Readonly<Record<string, string | undefined>> = process.env,
): Http1Transport.ProxyOptions => ({
  http: env.http_proxy ?? env.HTTP_PROXY,
  https: env.https_proxy ?? env.HTTPS_PROXY,
  noProxy: (env.no_proxy ?? env.NO_PROXY ?? "").split(/[\s,]+/).filter((s) => s !== ""),
})

const transportOptions = (options: Options): Http1Transport.Options => {
  const { proxy, ...rest } = options
  if (proxy === false) return rest
  return { ...rest, proxy: proxy === undefined || proxy === "env" ? proxyFromEnv() : proxy }
}

/**
 * The Transport over node sockets; closing its scope closes every connection.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: Options = {}): Layer.Layer<Transport.Transport> =>
  Http1Transport.layer(transportOptions(options)).pipe(Layer.provide(NodeConnector.layer(options)))

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
