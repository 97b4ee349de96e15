/**
 * Courier on Node: TCP and TLS sockets under @courier/core's HTTP/1.1 transport.
 *
 * @since 0.1.0
 * @module @courier/node-transport
 */
import "./internal/effect-major.js"

/** @since 0.1.0 */
export * as NodeConnector from "./NodeConnector.js"
/** @since 0.5.0 */
export * as NodeCookies from "./NodeCookies.js"
/** @since 0.1.0 */
export * as NodeDecoding from "./NodeDecoding.js"
/** @since 0.1.0 */
export * as NodeFiles from "./NodeFiles.js"
/** @since 0.3.0 */
export * as NodeNetrc from "./NodeNetrc.js"
/** @since 0.1.0 */
export * as NodeTransport from "./NodeTransport.js"
