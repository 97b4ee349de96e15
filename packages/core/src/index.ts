/**
 * Courier's core: request values, responses, errors, the interpreter and the HTTP/1.1 machinery.
 *
 * @since 0.1.0
 * @module @courier/core
 */
import "./internal/shared/effect-major.js"

/** @since 0.3.0 */
export * as Auth from "./Auth.js"
/** @since 0.1.0 */
export * as Body from "./Body.js"
/** @since 0.5.0 */
export * as Cache from "./Cache.js"
/** @since 0.1.0 */
export * as Client from "./Client.js"
/** @since 0.1.0 */
export * as Connection from "./Connection.js"
/** @since 0.1.0 */
export * as Connector from "./Connector.js"
/** @since 0.1.0 */
export * as ContentDecoding from "./ContentDecoding.js"
/** @since 0.1.0 */
export * as Cookies from "./Cookies.js"
/** @since 0.4.0 */
export * as Deadlines from "./Deadlines.js"
/** @since 0.1.0 */
export * as Files from "./Files.js"
/** @since 0.1.0 */
export * as Headers from "./Headers.js"
/** @since 0.1.0 */
export * as Http1 from "./Http1.js"
/** @since 0.1.0 */
export * as Http1Transport from "./Http1Transport.js"
/** @since 0.1.0 */
export * as HttpError from "./HttpError.js"
/** @since 0.6.0 */
export * as Multiplex from "./Multiplex.js"
/** @since 0.1.0 */
export * as Request from "./Request.js"
/** @since 0.1.0 */
export * as Response from "./Response.js"
/** @since 0.1.0 */
export * as Retry from "./Retry.js"
/** @since 0.1.0 */
export * as Session from "./Session.js"
/** @since 0.5.0 */
export * as Sse from "./Sse.js"
/** @since 0.1.0 */
export * as Status from "./Status.js"
/** @since 0.1.0 */
export * as Transport from "./Transport.js"
/** @since 0.1.0 */
export * as Url from "./Url.js"
/** @since 0.1.0 */
export { VERSION } from "./version.js"
