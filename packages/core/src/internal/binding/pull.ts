/**
 * A push socket over a pull socket (`Connector.fromPull`): one fiber reads only while someone listens, so
 * a listener that stops applies back-pressure, and one fiber writes what was sent, one write at a time, in
 * order. Both run on the runtime the adapter was built in.
 * @internal
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type { PullSocket, Socket, SocketError } from "../../Connector.js"
import { failureOf, type Run } from "../shared/edition-effect.js"

/** What ended the received stream: the peer's close, or a failure. */
type Ending = { readonly _tag: "Closed" } | { readonly _tag: "Failed"; readonly error: SocketError }

interface Listener {
  readonly onBytes: (bytes: Uint8Array | undefined) => boolean
  readonly onError: (error: SocketError) => void
}

const noop = (): void => undefined

export class PullAdapter implements Socket {
  readonly id: number
  private readonly received: Array<Uint8Array> = []
  private ending: Ending | undefined
  private listener: Listener | undefined
  private reading: (() => void) | undefined
  private readonly unsent: Array<Uint8Array> = []
  private writing: (() => void) | undefined
  private writeFailure: SocketError | undefined
  private readonly writable: Array<(failure: SocketError | undefined) => void> = []
  private destroyed = false

  constructor(
    private readonly pull: PullSocket,
    private readonly run: Run,
    /** The failure a write meets once the socket is gone without one of its own. */
    private readonly closed: () => SocketError,
  ) {
    this.id = pull.id
  }

  /** Hands what was received to the listener, then reads more while it still listens. */
  private deliver(): void {
    while (this.listener !== undefined) {
      const l = this.listener
      const chunk = this.received.shift()
      if (chunk !== undefined) {
        this.listener = undefined
        if (l.onBytes(chunk) && this.listener === undefined) this.listener = l
        continue
      }
      if (this.ending === undefined) {
        this.readNext()
        return
      }
      this.listener = undefined
      if (this.ending._tag === "Closed") l.onBytes(undefined)
      else l.onError(this.ending.error)
      return
    }
  }

  private readNext(): void {
    if (this.reading !== undefined || this.ending !== undefined || this.destroyed) return
    this.reading = this.run(this.pull.read, {
      onExit: (exit) => {
        this.reading = undefined
        if (exit._tag === "Success") {
          if (exit.value === undefined) this.ending = { _tag: "Closed" }
          else this.received.push(exit.value)
        } else {
          const error = Option.getOrUndefined(failureOf(exit.cause))
          if (error !== undefined) this.ending = { _tag: "Failed", error }
          else if (!this.destroyed) this.ending = { _tag: "Closed" }
        }
        this.deliver()
      },
    })
  }

  /** Writes what was sent, one write at a time, in order; then wakes the writers waiting for room. */
  private flush(): void {
    const next = this.unsent.shift()
    if (next === undefined || this.writeFailure !== undefined || this.destroyed) {
      for (const ready of this.writable.splice(0)) ready(this.writeFailure)
      return
    }
    this.writing = this.run(this.pull.write(next), {
      onExit: (exit) => {
        this.writing = undefined
        if (exit._tag === "Failure") {
          this.writeFailure = Option.getOrUndefined(failureOf(exit.cause)) ?? this.closed()
          this.unsent.length = 0
        }
        this.flush()
      },
    })
  }

  readonly send = (bytes: Uint8Array): SocketError | undefined => {
    if (this.writeFailure !== undefined) return this.writeFailure
    this.unsent.push(bytes)
    if (this.writing === undefined) this.flush()
    return undefined
  }

  readonly whenWritable = (ready: (failure: SocketError | undefined) => void): (() => void) => {
    if (this.writing === undefined && this.unsent.length === 0) {
      ready(this.writeFailure)
      return noop
    }
    this.writable.push(ready)
    return () => {
      const i = this.writable.indexOf(ready)
      if (i !== -1) this.writable.splice(i, 1)
    }
  }

  readonly listen = (onBytes: Listener["onBytes"], onError: Listener["onError"]): (() => void) => {
    const mine: Listener = { onBytes, onError }
    this.listener = mine
    this.deliver()
    return () => {
      if (this.listener === mine) this.listener = undefined
    }
  }

  readonly reusable = (): boolean =>
    this.ending === undefined && this.received.length === 0 && this.writeFailure === undefined && this.pull.reusable()

  /** Stops both fibers, then destroys the pull socket. */
  readonly destroy: Effect.Effect<void> = Effect.suspend(() => {
    this.destroyed = true
    this.listener = undefined
    this.reading?.()
    this.writing?.()
    return this.pull.destroy
  })
}
