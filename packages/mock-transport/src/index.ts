/**
 * Test doubles for applications built on Courier.
 *
 * @since 0.1.0
 * @module @courier/mock-transport
 */
import "./internal/effect-major.js"

/** @since 0.1.0 */
export * as Fixture from "./Fixture.js"
/** @since 0.1.0 */
export * as MockTransport from "./MockTransport.js"
/** @since 0.1.0 */
export * as ScriptedPeer from "./ScriptedPeer.js"
