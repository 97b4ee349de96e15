/**
 * The Sending state of an exchange: the body of a request not in memory in one piece (a stream, or bytes
 * over 64 KiB) goes out as the socket takes it. A body in memory is written by this state alone, a piece
 * each time the socket has room; a stream's pieces are offered by whoever pulls the stream (the binding's
 * pump), and each offer is answered once the socket has taken it. HTTP/1.1 framing is added here: a body of
 * unknown length goes out chunked, and a body of known length may give exactly that many bytes.
 *
 * With `Expect: 100-continue` the body is held until the `100`, a final response (which ends this state),
 * or CONTINUE_WAIT_MILLIS, whichever comes first (RFC 9110 §10.1.1). The exchange's `send` deadline counts
 * only while a piece waits for the socket (`waiting` / `idle`).
 * @internal
 */
import type * as Body from "../../Body.js"
import type { Socket, SocketError } from "../../Connector.js"
import * as Http1 from "../../Http1.js"
import { EncodeError, type HttpError, type RequestInfo } from "../../HttpError.js"
import { type Timer, type Timers, timer } from "./timers.js"

/**
 * How long a request with `Expect: 100-continue` holds its body when the server says nothing: 1 s, curl's
 * default (`CURLOPT_EXPECT_100_TIMEOUT_MS`).
 */
export const CONTINUE_WAIT_MILLIS = 1000

/** A body in memory is written in pieces of at most this size, so the send deadline measures progress. */
const PIECE_BYTES = 1024 * 1024

/** Told once whether the next piece may be offered (true), or the body is no longer wanted (false). */
export type Next = (more: boolean) => void

/** What the Sending state needs of its exchange. */
export interface Host {
  readonly socket: Socket
  readonly timers: Timers
  readonly info: RequestInfo
  /** A piece waits for the socket: the send deadline counts from now. */
  readonly waiting: () => void
  /** No piece waits for the socket (the next is being produced). */
  readonly idle: () => void
  /** A write failed, or the body broke its framing: the exchange fails. */
  readonly fail: (error: HttpError) => void
  /** The whole body is written. */
  readonly sent: () => void
  readonly ioError: (error: SocketError) => HttpError
}

export class Sending {
  readonly _tag = "Sending"
  /** Whether the body waits for `100 Continue`. */
  private held: boolean
  private continueTimer: Timer | undefined
  /** Body bytes written so far, framing not counted. */
  private written = 0
  /** A piece offered while the body was held, with who offered it. */
  private parked: { readonly bytes: Uint8Array; readonly last: boolean; readonly next: Next } | undefined
  /** Who waits for the socket to take the last piece, and how to stop waiting. */
  private next: Next | undefined
  private cancelWrite: (() => void) | undefined
  /** The next piece of a body in memory, by offset, or ALL_WRITTEN once its last piece went out. */
  private at = 0
  /** The exchange left this state: nothing more is written, whoever offers is told to stop. */
  private stopped = false

  constructor(
    private readonly host: Host,
    private readonly body: Body.Encoded,
    expect: boolean,
  ) {
    this.held = expect
    if (!expect) return
    const timers = host.timers
    this.continueTimer = timer(() => {
      this.release()
      return undefined
    })
    timers.schedule(this.continueTimer, timers.now() + CONTINUE_WAIT_MILLIS)
  }

  /** Starts a body in memory going out; a stream's body waits for its pieces to be offered. */
  begin(): void {
    if (this.body._tag === "Fixed") this.nextPiece(true)
  }

  /** The server sent `100 Continue`: a held body goes. */
  release(): void {
    if (!this.held) return
    this.held = false
    if (this.continueTimer !== undefined) this.host.timers.cancel(this.continueTimer)
    const parked = this.parked
    this.parked = undefined
    if (parked !== undefined) this.write(parked.bytes, parked.last, parked.next)
  }

  /** Offers a stream's next piece; `next` is told when the socket has taken it. Returns a canceller. */
  offer(bytes: Uint8Array, next: Next): () => void {
    const body = this.body
    if (body._tag === "Streamed" && body.length !== undefined && this.written + bytes.length > body.length) {
      this.host.fail(this.miscounted(this.written + bytes.length))
      next(false)
      return noop
    }
    this.put(body._tag === "Streamed" && body.length === undefined ? Http1.encodeChunk(bytes) : bytes, false, next)
    this.written += bytes.length
    return () => this.forget(next)
  }

  /** The stream ended: a chunked body gets its last chunk; a body of known length must have given it all. */
  end(next: Next): () => void {
    const body = this.body
    if (body._tag !== "Streamed" || body.length === undefined) {
      this.put(body._tag === "Streamed" ? Http1.LAST_CHUNK : EMPTY, true, next)
      return () => this.forget(next)
    }
    if (this.written !== body.length) {
      this.host.fail(this.miscounted(this.written))
      next(false)
      return noop
    }
    this.put(EMPTY, true, next)
    return () => this.forget(next)
  }

  /** The exchange leaves this state (answered, failed, or given up): nothing more is written. */
  stop(): void {
    this.stopped = true
    if (this.continueTimer !== undefined) this.host.timers.cancel(this.continueTimer)
    this.cancelWrite?.()
    this.cancelWrite = undefined
    const waiting = this.next ?? this.parked?.next
    this.next = undefined
    this.parked = undefined
    waiting?.(false)
  }

  /** Writes a body in memory, piece after piece, as the socket takes them. */
  private nextPiece(more: boolean): void {
    const body = this.body
    if (!more || body._tag !== "Fixed" || this.at === ALL_WRITTEN) return
    const from = this.at
    const to = Math.min(from + PIECE_BYTES, body.bytes.length)
    const last = to === body.bytes.length
    this.at = last ? ALL_WRITTEN : to
    this.put(body.bytes.subarray(from, to), last, (m) => this.nextPiece(m))
  }

  private put(bytes: Uint8Array, last: boolean, next: Next): void {
    if (this.stopped) next(false)
    else if (this.held) this.parked = { bytes, last, next }
    else this.write(bytes, last, next)
  }

  private write(bytes: Uint8Array, last: boolean, next: Next): void {
    const host = this.host
    const failure = bytes.length === 0 ? undefined : host.socket.send(bytes)
    if (failure !== undefined) {
      host.fail(host.ioError(failure))
      next(false)
      return
    }
    this.next = next
    host.waiting()
    let fired = false
    const cancel = host.socket.whenWritable((e) => {
      fired = true
      this.cancelWrite = undefined
      this.next = undefined
      host.idle()
      if (e !== undefined) {
        host.fail(host.ioError(e))
        next(false)
        return
      }
      if (last) host.sent()
      next(true)
    })
    // A socket with room answers at once, and what that answer wrote next has its own canceller by now.
    if (!fired) this.cancelWrite = cancel
  }

  /** Stops waiting for `next`'s piece: its offerer gave up (the exchange is abandoned with it). */
  private forget(next: Next): void {
    if (this.next === next) {
      this.next = undefined
      this.cancelWrite?.()
      this.cancelWrite = undefined
    }
    if (this.parked?.next === next) this.parked = undefined
  }

  private miscounted(given: number): HttpError {
    const announced = this.body._tag === "Streamed" ? this.body.length : undefined
    const reason = `stream gave ${given} bytes, ${announced} announced`
    return new EncodeError({ request: this.host.info, reason })
  }
}

const EMPTY = new Uint8Array(0)

const ALL_WRITTEN = -1

const noop = (): void => undefined
