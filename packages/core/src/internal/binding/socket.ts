/**
 * The Effect forms of a push socket, for code that runs in a fiber (httplib's `Connection`, the upload of
 * a streamed body). The engine itself speaks only the push form; `Connector.fromPull` goes the other way.
 * @internal
 */
import * as Effect from "effect/Effect"
import type { Socket, SocketError } from "../../Connector.js"
import { callback } from "../shared/edition-effect.js"

/**
 * A callback that may answer at once, as an Effect; `register` returns how to stop waiting. An answer given
 * during `register` is returned without suspending the fiber: an `Effect.async` resumed at once kept an
 * upload from ever yielding (docs/ARCHITECTURE.md, "Uploads are a state of the exchange").
 */
export const answered = <A, E>(
  register: (answer: (result: Effect.Effect<A, E>) => void) => () => void,
): Effect.Effect<A, E> =>
  Effect.suspend(() => {
    let now: Effect.Effect<A, E> | undefined
    let later: ((result: Effect.Effect<A, E>) => void) | undefined
    const cancel = register((result) => {
      if (later === undefined) now = result
      else later(result)
    })
    return (
      now ??
      callback<A, E>((resume) => {
        if (now !== undefined) return resume(now)
        later = resume
        return Effect.sync(cancel)
      })
    )
  })

/**
 * Sends bytes, then waits until the socket may take more (back-pressure for large bodies). A socket with
 * room says so at once, and then nothing waits.
 */
export const write = (socket: Socket, bytes: Uint8Array): Effect.Effect<void, SocketError> =>
  Effect.suspend(() => {
    const failure = socket.send(bytes)
    if (failure !== undefined) return Effect.fail(failure)
    return answered<void, SocketError>((answer) =>
      socket.whenWritable((e) => answer(e === undefined ? Effect.void : Effect.fail(e))),
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
