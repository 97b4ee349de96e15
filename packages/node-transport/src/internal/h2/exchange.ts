/**
 * One request on an HTTP/2 stream, as a callback state machine whose states carry their data: Head
 * (waiting for the response's head), Body (its body arriving, with the response), Ended, Failed (with the
 * failure), or Abandoned by its caller. node:http2 (nghttp2) does the framing and the flow control;
 * this reads the stream and pauses it while the reader is behind, so that node stops consuming, nghttp2
 * stops returning window to the peer, and the peer stops sending: a slow reader holds at most the stream's
 * window plus one queue of this exchange's, never the whole body.
 *
 * A stream the peer refused (`RST_STREAM` with `REFUSED_STREAM`, or above the last stream id of its
 * `GOAWAY`) was never processed, so it fails with `Refused` for the binding to send again; every other
 * reset is a `StreamReset`, a broken connection an `IOError`.
 * @internal
 */
import * as http2 from "node:http2"
import {
  type Body,
  type Deadlines,
  Headers,
  Http1,
  HttpError,
  type Multiplex,
  Response,
  Transport,
} from "@courier/core"
import type * as Effect from "effect/Effect"
import type { Session } from "./session.js"

const { NGHTTP2_CANCEL, NGHTTP2_REFUSED_STREAM } = http2.constants

/** Pause the stream once this much of its body waits for the reader. */
const QUEUE_BYTES = 64 * 1024

/** A request ready for a stream. */
export interface Prepared {
  readonly info: HttpError.RequestInfo
  readonly headers: http2.OutgoingHttpHeaders
  readonly body: Body.Encoded
  /** No body at all: the HEADERS frame ends the stream. */
  readonly empty: boolean
  /** Deadlines of each phase, in milliseconds (Infinity: none). */
  readonly timeouts: Multiplex.Prepared["timeouts"]
  /** The request's limit on body bytes received, if it set one. */
  readonly maxBytes: number | undefined
  readonly onInformational: ((i: Response.Informational) => Effect.Effect<void>) | undefined
}

/** The stream was never processed by the peer: safe to send again; `error` is what to report otherwise. */
export class Refused {
  readonly _tag = "Refused"
  constructor(readonly error: HttpError.HttpError) {}
}

export type Failure = HttpError.HttpError | Refused

export type Mode = "buffered" | "streaming"

/**
 * Where the exchange is, with what is valid there: waiting for the head; reading the body of a response;
 * ended with the whole body read; failed; or abandoned by its caller, which nobody waits on any more.
 */
type State =
  | { readonly _tag: "Head" }
  | { readonly _tag: "Body"; readonly response: Response.Response }
  | { readonly _tag: "Ended"; readonly response: Response.Response }
  | { readonly _tag: "Failed"; readonly failure: Failure }
  | { readonly _tag: "Abandoned" }

const HEAD: State = { _tag: "Head" }
const ABANDONED: State = { _tag: "Abandoned" }

const pairsOf = (raw: ReadonlyArray<string>): Array<readonly [string, string]> => {
  const pairs: Array<readonly [string, string]> = []
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]
    const value = raw[i + 1]
    if (name !== undefined && value !== undefined && name.charCodeAt(0) !== 58 /* ':' */) pairs.push([name, value])
  }
  return pairs
}

const fieldsOf = (headers: http2.IncomingHttpHeaders): Array<readonly [string, string]> => {
  const pairs: Array<readonly [string, string]> = []
  for (const [name, value] of Object.entries(headers)) {
    if (name.startsWith(":") || value === undefined) continue
    if (Array.isArray(value)) for (const v of value) pairs.push([name, v])
    else pairs.push([name, String(value)])
  }
  return pairs
}

export class Exchange {
  private state: State = HEAD
  readonly stream: http2.ClientHttp2Stream
  private readonly chunks: Array<Uint8Array> = []
  private queued = 0
  /** The response body's budget: bytes received against the limit. */
  private readonly budget: Transport.BodyBudget
  private deadline: Deadlines.Deadline | undefined
  /** Called once the stream has closed, whatever the outcome (the binding stops the upload). */
  afterClose: (() => void) | undefined
  /** What node reported when the stream failed: a reset, or the connection's own failure. */
  private streamError: NodeJS.ErrnoException | undefined
  /** A delivery to the waiting reader is scheduled for the end of this turn. */
  private delivering = false
  /** The 1xx responses received, for the binding to hand to the request's hook. */
  readonly interim: Transport.Interim
  /** Waiting for the head (or, when buffered, the whole response). */
  private onResponse: ((outcome: Response.Response | Failure) => void) | undefined
  /** A reader waiting for more of the body. */
  private onPull: ((outcome: ReadonlyArray<Uint8Array> | undefined | Failure) => void) | undefined

  constructor(
    readonly session: Session,
    readonly prepared: Prepared,
    readonly mode: Mode,
    /** The pool's lease on the stream: given back once the stream closes. */
    private readonly lease: Multiplex.Lease,
  ) {
    this.budget = new Transport.BodyBudget(prepared.info, prepared.maxBytes, mode === "buffered")
    this.interim = Transport.Interim.of(prepared.onInformational)
    // `request` throws for a session that is closing or out of stream ids; the caller catches it.
    this.stream = session.session.request(prepared.headers, { endStream: prepared.empty })
    session.open.add(this)
    this.listen()
  }

  /** Starts waiting for the response: its head when streaming, the whole of it when buffered. */
  start(onResponse: (outcome: Response.Response | Failure) => void): void {
    this.onResponse = onResponse
    this.arm(this.prepared.timeouts.head, "head")
    if (this.prepared.body._tag === "Fixed" && !this.prepared.empty) this.stream.end(this.prepared.body.bytes)
  }

  private listen(): void {
    const s = this.stream
    s.on("response", (headers: http2.IncomingHttpHeaders, _flags: number, raw: Array<string>) =>
      this.head(headers, raw),
    )
    s.on("headers", (headers: http2.IncomingHttpHeaders) => {
      if (this.state._tag === "Head") this.interim.add(Number(headers[":status"]), "", fieldsOf(headers))
    })
    s.on("data", (chunk: Buffer) => this.data(chunk))
    s.on("trailers", (headers: http2.IncomingHttpHeaders) => {
      const response = this.answer
      if (response !== undefined) response.trailers = Headers.unsafeFromPairs(fieldsOf(headers))
    })
    s.on("end", () => this.end())
    s.on("error", (e: NodeJS.ErrnoException) => {
      this.streamError = e
    })
    s.on("close", () => this.closed())
  }

  private head(headers: http2.IncomingHttpHeaders, raw: Array<string>): void {
    if (this.state._tag !== "Head") return
    const status = Number(headers[":status"])
    const length = headers["content-length"]
    const announced = length === undefined ? undefined : Number(length)
    const bodiless = Http1.isBodiless(String(this.prepared.headers[":method"]), status)
    // A body announced past the limit is refused before any of it is read, as over HTTP/1.1.
    const refused = this.budget.announced(announced, bodiless)
    if (refused !== undefined) {
      this.fail(refused)
      return
    }
    const response = Response.make({
      request: this.prepared.info,
      status,
      version: "HTTP/2",
      headers: Headers.unsafeFromPairs(pairsOf(raw)),
      contentLength: announced,
      connection: { id: this.session.id, reused: this.lease.reused, pinned: false, peer: this.session.peer },
    })
    this.state = { _tag: "Body", response }
    this.disarm()
    if (this.mode === "streaming") {
      const onResponse = this.onResponse
      this.onResponse = undefined
      onResponse?.(response)
    } else {
      this.arm(this.prepared.timeouts.body, "body")
    }
  }

  private data(chunk: Buffer): void {
    if (this.state._tag !== "Body") return
    const over = this.budget.receive(chunk.length)
    if (over !== undefined) {
      this.fail(over)
      return
    }
    this.chunks.push(chunk)
    this.queued += chunk.length
    if (this.mode === "buffered") {
      this.arm(this.prepared.timeouts.body, "body")
      return
    }
    if (this.onPull !== undefined) {
      this.disarm()
      // One socket read carries many DATA frames, each delivered in its own callback: the reader gets them
      // together once the read is done, rather than waking once per frame (8 KiB from nginx).
      if (!this.delivering) {
        this.delivering = true
        setImmediate(this.deliver)
      }
    } else if (this.queued >= QUEUE_BYTES) {
      this.stream.pause()
    }
  }

  private readonly deliver = (): void => {
    this.delivering = false
    const onPull = this.onPull
    if (onPull === undefined || this.chunks.length === 0) return
    this.onPull = undefined
    onPull(this.drain())
  }

  private end(): void {
    if (this.state._tag !== "Body") return
    const response = this.state.response
    // RFC 9113 §8.1.1: a body shorter than its content-length is malformed; node ends the stream when the
    // connection goes, so this is where a cut body shows.
    const expected = response.contentLength
    const bodiless = Http1.isBodiless(String(this.prepared.headers[":method"]), response.status)
    if (expected !== undefined && !bodiless && this.budget.received !== expected) {
      this.fail(new HttpError.IncompleteRead({ request: this.prepared.info, received: this.budget.received, expected }))
      return
    }
    this.state = { _tag: "Ended", response }
    this.disarm()
    if (this.mode === "buffered") {
      const only = this.chunks.length === 1 ? this.chunks[0] : undefined
      response.body = only ?? Buffer.concat(this.chunks)
      this.chunks.length = 0
      const onResponse = this.onResponse
      this.onResponse = undefined
      onResponse?.(response)
      return
    }
    const onPull = this.onPull
    if (onPull !== undefined) {
      this.onPull = undefined
      onPull(this.chunks.length > 0 ? this.drain() : undefined)
    }
  }

  /** The stream closed: its room goes back to the session; a close before the end is a failure. */
  private closed(): void {
    this.disarm()
    this.session.open.delete(this)
    this.lease.release()
    this.afterClose?.()
    if (this.state._tag === "Head" || this.state._tag === "Body") this.fail(this.closeFailure(this.state))
  }

  /** Why the stream closed early: refused (never processed), reset, or the connection failed. */
  private closeFailure(state: Extract<State, { readonly _tag: "Head" | "Body" }>): Failure {
    const info = this.prepared.info
    const code = this.stream.rstCode ?? 0
    const id = this.stream.id
    const goawayCode = this.session.goawayCode
    const goaway = goawayCode !== undefined
    if (
      state._tag === "Head" &&
      (code === NGHTTP2_REFUSED_STREAM || (goaway && (id === undefined || id > this.session.lastStreamId)))
    ) {
      return new Refused(HttpError.StreamReset.of(info, code === 0 ? NGHTTP2_REFUSED_STREAM : code, goaway))
    }
    if (goawayCode !== undefined && goawayCode !== 0) return HttpError.StreamReset.of(info, goawayCode, goaway)
    // A reset the peer sent reaches the stream while its connection lives on; a connection that failed
    // (reset, closed, cut) takes the stream with it, and node then fills in a code of its own.
    const connectionLost = this.streamError?.code !== "ERR_HTTP2_STREAM_ERROR" && this.session.session.destroyed
    if (code !== 0 && !connectionLost) return HttpError.StreamReset.of(info, code, goaway)
    if (state._tag === "Body") {
      return new HttpError.IncompleteRead({
        request: info,
        received: this.budget.received,
        expected: state.response.contentLength,
      })
    }
    const e = this.streamError
    const reason = e === undefined || e.code === "ERR_HTTP2_STREAM_ERROR" ? "the HTTP/2 connection closed" : e.message
    return new HttpError.IOError({
      request: info,
      code: e?.errno === undefined ? "ECONNRESET" : (e.code ?? "ECONNRESET"),
      reason,
    })
  }

  /**
   * The session received GOAWAY: a stream above its last id was not processed and will never be answered,
   * so it is refused now (and its stream reset) for the binding to send again on another connection.
   */
  goaway(lastStreamId: number): void {
    const id = this.stream.id
    if (this.state._tag !== "Head" || (id !== undefined && id <= lastStreamId)) return
    const errorCode = http2.constants.NGHTTP2_REFUSED_STREAM
    this.fail(new Refused(HttpError.StreamReset.of(this.prepared.info, errorCode, true)))
  }

  /** Fails the exchange, tells whoever waits, and resets the stream if it is still open. */
  fail(failure: Failure): void {
    if (this.ended) return
    this.state = { _tag: "Failed", failure }
    this.disarm()
    this.chunks.length = 0
    if (!this.stream.closed) this.stream.close(NGHTTP2_CANCEL)
    const onResponse = this.onResponse
    const onPull = this.onPull
    this.onResponse = undefined
    this.onPull = undefined
    onResponse?.(failure)
    onPull?.(failure)
  }

  /** The caller gave up (interrupted, or the scope closed mid-body): `RST_STREAM(CANCEL)` frees the stream at once. */
  abandon(): void {
    this.onResponse = undefined
    this.onPull = undefined
    if (this.ended) return
    this.state = ABANDONED
    this.disarm()
    this.chunks.length = 0
    if (!this.stream.closed) this.stream.close(NGHTTP2_CANCEL)
  }

  /** The next chunks of a streamed body, `undefined` at its end, or the failure. */
  pull(onPull: (outcome: ReadonlyArray<Uint8Array> | undefined | Failure) => void): void {
    if (this.chunks.length > 0) onPull(this.drain())
    else if (this.state._tag === "Ended") onPull(undefined)
    else if (this.state._tag === "Failed") onPull(this.state.failure)
    // Nobody reads a body it gave up; should anything, it is cut short, never complete.
    else if (this.state._tag === "Abandoned")
      onPull(new HttpError.IOError({ request: this.prepared.info, code: "ECANCELED", reason: "abandoned" }))
    else this.wait(onPull)
  }

  private wait(onPull: (outcome: ReadonlyArray<Uint8Array> | undefined | Failure) => void): void {
    this.onPull = onPull
    this.arm(this.prepared.timeouts.body, "body")
    if (this.stream.isPaused()) this.stream.resume()
  }

  private drain(): ReadonlyArray<Uint8Array> {
    const out = this.chunks.splice(0)
    this.queued = 0
    if (this.stream.isPaused() && this.state._tag === "Body") this.stream.resume()
    return out
  }

  /** The response, once its head arrived. */
  get answer(): Response.Response | undefined {
    return this.state._tag === "Body" || this.state._tag === "Ended" ? this.state.response : undefined
  }

  /** Nothing more will arrive: the body was read to its end, the exchange failed, or its caller gave up. */
  get ended(): boolean {
    return this.state._tag === "Ended" || this.state._tag === "Failed" || this.state._tag === "Abandoned"
  }

  private arm(millis: number, phase: "head" | "body"): void {
    this.session.deadlines.cancel(this.deadline)
    this.deadline = this.session.deadlines.after(millis, () => {
      this.deadline = undefined
      this.fail(new HttpError.Timeout({ request: this.prepared.info, phase, millis }))
    })
  }

  private disarm(): void {
    this.session.deadlines.cancel(this.deadline)
    this.deadline = undefined
  }

  /** Waits until the stream takes more of the upload, with the send deadline; `ready(false)` when it closed. */
  whenWritable(ready: (open: boolean) => void): () => void {
    const s = this.stream
    if (!s.writableNeedDrain) {
      ready(!s.closed && !s.destroyed)
      return () => undefined
    }
    const timer = this.session.deadlines.after(this.prepared.timeouts.send, () => {
      cancel()
      this.fail(
        new HttpError.Timeout({ request: this.prepared.info, phase: "send", millis: this.prepared.timeouts.send }),
      )
      ready(false)
    })
    const drained = () => {
      cancel()
      ready(true)
    }
    const gone = () => {
      cancel()
      ready(false)
    }
    const cancel = () => {
      this.session.deadlines.cancel(timer)
      s.off("drain", drained)
      s.off("close", gone)
    }
    s.on("drain", drained)
    s.on("close", gone)
    return cancel
  }
}
