/**
 * Giving up on a socket or session mid-dial without an uncaught error: node may still emit an `error` on
 * it after it is destroyed (an HTTP/2 session emits its socket's error when it finally closes).
 * @internal
 */
import type { EventEmitter } from "node:events"

/** Something a dial may give up on: a socket, a TLS socket, an HTTP/2 session. */
export interface Discardable extends EventEmitter {
  destroy(): unknown
}

const ignore = () => undefined

/** Destroys what a dial gave up on, leaving a listener for any error it still emits. */
export const discard = (target: Discardable): void => {
  target.on("error", ignore)
  target.destroy()
}
