/**
 * Courier's transport for Node: the HTTP/1.1 transport of @courier/core over node:net and node:tls.
 *
 * @since 0.1.0
 */
import { Client, Http1Transport, type Transport } from "@courier/core"
import * as Layer from "effect/Layer"
import * as NodeConnector from "./NodeConnector.js"

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
 * A Client over node sockets: the usual way to start.
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
  Client.layer(options).pipe(Layer.provide(layer(options)))
