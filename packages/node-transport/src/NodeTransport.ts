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
export interface Options extends Http1Transport.Options, NodeConnector.Options {}

/**
 * The Transport over node sockets; closing its scope closes every connection.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: Options = {}): Layer.Layer<Transport.Transport> =>
  Http1Transport.layer(options).pipe(Layer.provide(NodeConnector.layer(options)))

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
