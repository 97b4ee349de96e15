/**
 * The Effect forms of a push socket, for code that runs in a fiber (httplib's `Connection`, the upload of
 * a streamed body). The engine itself speaks only the push form; `Connector.fromPull` goes the other way.
 * @internal
 */
import * as Effect from "effect/Effect"
import type { Socket, SocketError } from "../../Connector.js"
import { callback } from "../shared/edition-effect.js"

/**
 * Sends bytes, then waits until the socket may take more (back-pressure for large bodies). A socket with
 * room says so at once, and then nothing waits.
 */
export const write = (socket: Socket, bytes: Uint8Array): Effect.Effect<void, SocketError> =>
  Effect.suspend(() => {
    const failure = socket.send(bytes)
    if (failure !== undefined) return Effect.fail(failure)
    let now: Effect.Effect<void, SocketError> | undefined
    let later: ((result: Effect.Effect<void, SocketError>) => void) | undefined
    const cancel = socket.whenWritable((e) => {
      const result = e === undefined ? Effect.void : Effect.fail(e)
      if (later === undefined) now = result
      else later(result)
    })
    return (
      now ??
      callback<void, SocketError>((resume) => {
        later = resume
        return Effect.sync(cancel)
      })
    )
  })

/** The next chunk received, `undefined` once the peer has closed, or the failure. */
export const read = (socket: Socket): Effect.Effect<Uint8Array | undefined, SocketError> =>
  callback<Uint8Array | undefined, SocketError>((resume) => {
    const stop = socket.listen(
      (bytes) => {
        resume(Effect.succeed(bytes))
        return false
      },
      (e) => resume(Effect.fail(e)),
    )
    return Effect.sync(stop)
  })
