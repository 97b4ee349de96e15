/**
 * One direction of an in-memory connection: chunks pushed by one side, read in order by the other, then
 * an end or a failure. Reads of a pipe with nothing in it wait.
 * @internal
 */

import { callback } from "@courier/core/internal/edition"
import * as Effect from "effect/Effect"

export type Ending =
  | { readonly _tag: "End" }
  | { readonly _tag: "Fail"; readonly code: string; readonly reason: string }

export class Pipe {
  private chunks: Array<Uint8Array> = []
  private ending: Ending | undefined
  private waiter: (() => void) | undefined
  /** The push reader (see `listen`), when one listens. */
  private listener: ((chunk: Uint8Array | undefined, ending: Ending | undefined) => boolean) | undefined

  push(chunk: Uint8Array): void {
    if (this.ending !== undefined || chunk.length === 0) return
    this.chunks.push(chunk)
    this.wake()
    this.deliver()
  }

  end(ending: Ending): void {
    if (this.ending !== undefined) return
    this.ending = ending
    this.wake()
    this.deliver()
  }

  /**
   * Hands every chunk to `onChunk`, then the end (`undefined`, with how it ended), until it returns false
   * or the returned function is called; chunks that wait are handed over first.
   */
  listen(onChunk: (chunk: Uint8Array | undefined, ending: Ending | undefined) => boolean): () => void {
    this.listener = onChunk
    this.deliver()
    return () => {
      if (this.listener === onChunk) this.listener = undefined
    }
  }

  private deliver(): void {
    let listener = this.listener
    while (listener !== undefined) {
      const chunk = this.chunks.shift()
      if (chunk === undefined && this.ending === undefined) return
      this.listener = undefined
      const more = listener(chunk, chunk === undefined ? this.ending : undefined)
      if (chunk === undefined) return
      // The listener may have stopped, or listened again with another callback, from inside the call.
      if (more && this.listener === undefined) this.listener = listener
      listener = this.listener
    }
  }

  get ended(): boolean {
    return this.ending !== undefined
  }

  get buffered(): number {
    return this.chunks.length
  }

  private wake(): void {
    const w = this.waiter
    this.waiter = undefined
    w?.()
  }

  /** The next chunk, `undefined` at the end, or the failure. */
  read<E>(fail: (ending: Ending & { _tag: "Fail" }) => E): Effect.Effect<Uint8Array | undefined, E> {
    return Effect.suspend(() => {
      const chunk = this.chunks.shift()
      if (chunk !== undefined) return Effect.succeed(chunk)
      if (this.ending?._tag === "Fail") return Effect.fail(fail(this.ending))
      if (this.ending !== undefined) return Effect.succeed(undefined)
      return Effect.flatMap(
        callback<void>((resume) => {
          this.waiter = () => resume(Effect.void)
          return Effect.sync(() => {
            this.waiter = undefined
          })
        }),
        () => this.read(fail),
      )
    })
  }
}
