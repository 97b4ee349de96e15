/**
 * One request/response exchange on a leased connection, as a callback state machine — theory of operation.
 *
 * The exchange writes a prepared request (prepare.ts) and feeds what the socket delivers to the decoder.
 * It runs on the socket's callbacks only: no Effect runs inside it, so one object serves every way of
 * calling it, and the Effect form (run.ts) is a thin `Effect.async` around it. States:
 *
 *   Queued ──► Sending ──► Head ──► Body ──► Ended
 *      │          │          │        │
 *      └──────────┴──────────┴────────┴────► Failed
 *
 * - Queued: on a pipelined connection, waiting for its turn to write (pipeline.ts).
 * - Sending: a body not in memory is being written (upload.ts drives it, and feeds what arrives meanwhile).
 * - Head: the request is written; no final head yet. 1xx heads are collected for the request's hook.
 * - Body: the head arrived. A buffered exchange reads on to the end; a streaming one hands the head out
 *   and reads only while its body is pulled.
 * - Ended: the last byte arrived; the connection went back to the pool (or was closed, if not reusable).
 * - Failed: the peer broke the protocol, the socket failed, a deadline passed, or the caller gave up; the
 *   connection is destroyed.
 *
 * Deadlines (`send`, `head`, `body`) are one timer per exchange on the transport's timer heap (timers.ts),
 * checked lazily: `since` says when the present wait began, and the timer, when it fires early, moves
 * itself to the real deadline. A deadline that passes fails the exchange, and every failure after it is
 * reported as the `Timeout`.
 *
 * What the connection's fate needs (closing a socket) is an Effect value handed back to the caller, never
 * run here.
 * @internal
 */
import type * as Effect from "effect/Effect"
import type { Socket, SocketError } from "../../Connector.js"
import * as Headers from "../../Headers.js"
import type { HttpError } from "../../HttpError.js"
import { IOError, Timeout } from "../../HttpError.js"
import * as Response from "../../Response.js"
import { BodyBudget, Interim } from "../../Transport.js"
import { ResponseDecoder } from "../http1/decoder.js"
import { bodiless } from "../http1/framing.js"
import type { Event, Head, Limits } from "../http1/model.js"
import { concatAll } from "../shared/bytes.js"
import { fromFailure, ioError } from "./failures.js"
import type { Fate, Lease, Pool } from "./pool.js"
import { headOf, type Prepared } from "./prepare.js"
import { type Phases, type Timer, type Timers, timer } from "./timers.js"

/** What every exchange of one transport shares. */
export interface Engine {
  readonly pool: Pick<Pool, "release">
  readonly limits: Limits
  readonly timers: Timers
}

/** Read the whole body before answering (`fetch`), or answer at the head and read the body as pulled. */
export type Mode = "buffered" | "streaming"

export type State = "Queued" | "Sending" | "Head" | "Body" | "Ended" | "Failed"

/** The phases with a deadline inside an exchange. */
export type Phase = "send" | "head" | "body"

/** The Effect that closes the connection, when it must be closed; undefined when there is nothing to wait for. */
export type Closing = Effect.Effect<void> | undefined

/** How an exchange ends for the one waiting on its response. */
export type Outcome =
  | { readonly _tag: "Answered"; readonly head: Head; readonly closing: Closing }
  | { readonly _tag: "Failed"; readonly error: HttpError; readonly closing: Closing }

/** What a pull of a streamed body gets. */
export type Pulled =
  | { readonly _tag: "Chunks"; readonly chunks: ReadonlyArray<Uint8Array>; readonly closing: Closing }
  | { readonly _tag: "End" }
  | { readonly _tag: "Failed"; readonly error: HttpError; readonly closing: Closing }

/** Whether a phase's deadline counts from now, or from the next wait (`waiting`). */
type Clocked = "from now" | "from the next wait"

/** `since` when the exchange is not waiting (a streamed body nobody pulls, a request body being produced). */
const IDLE = -1

/** The states with a deadline, and the phase each one's deadline is. */
const PHASES: { readonly [S in "Sending" | "Head" | "Body"]: Phase } = { Sending: "send", Head: "head", Body: "body" }

const phaseOf = (state: State): Phase | undefined =>
  state === "Sending" || state === "Head" || state === "Body" ? PHASES[state] : undefined

/** A socket failure, or an end before any byte: what a socket the server closed while idle shows. */
const deadSocketSign = (error: HttpError): boolean =>
  error._tag === "IOError" || (error._tag === "BadStatusLine" && error.line === "")

export class Exchange {
  state: State = "Head"
  readonly decoder: ResponseDecoder
  head: Head | undefined
  /** Body chunks decoded but not yet handed out. */
  private pending: Array<Uint8Array> = []
  trailers: ReadonlyArray<readonly [string, string]> = []
  /** 1xx responses not yet handed to the request's hook. */
  readonly interim: Interim
  /** A `100 Continue` arrived. */
  continued = false
  /** The request body was cut short (a final response came first): the connection is not reused. */
  bodyCut = false
  /** The response once built, so trailers that arrive later reach it. */
  response: Response.Response | undefined
  /** Whether any response byte arrived: before that, a dead reused socket may be retried. */
  private gotBytes = false
  /** An earlier exchange on the pipelined connection failed before this one's response was read. */
  private refused = false
  /** The failure, once failed: every later report repeats it. */
  failure: HttpError | undefined
  /** The response body's budget: bytes received against the limit. */
  private readonly budget: BodyBudget
  private timer: Timer | undefined
  /** When the present wait began (Clock millis), or IDLE. */
  private since = IDLE
  /** Who waits for the response (`start`, `receive`), or for the body's next chunks (`pull`). */
  private reply: ((outcome: Outcome) => void) | undefined
  private puller: ((pulled: Pulled) => void) | undefined
  /** Stops the socket's delivery to this exchange. */
  private unlisten: (() => void) | undefined
  /** Told of every decoder event while an upload watches the socket (upload.ts). */
  onProgress: (() => void) | undefined

  constructor(
    readonly lease: Lease,
    readonly prepared: Prepared,
    readonly engine: Engine,
    readonly mode: Mode,
  ) {
    this.decoder = new ResponseDecoder(prepared.method, engine.limits)
    this.budget = new BodyBudget(prepared.info, prepared.maxResponseBytes, mode === "buffered")
    this.interim = Interim.of(prepared.onInformational)
  }

  get socket(): Socket {
    return this.lease.conn.socket
  }

  get timeouts(): Phases {
    return this.prepared.timeouts
  }

  /** Whether the body has ended. */
  get ended(): boolean {
    return this.state === "Ended"
  }

  /**
   * Whether a failed request may be sent again on a fresh connection: it is replayable and either a failed
   * pipeline refused it, or its reused connection turned out dead before any byte of the response.
   */
  get retryable(): boolean {
    const e = this.failure
    return (
      e !== undefined &&
      this.prepared.replayable &&
      (this.refused || (this.lease.reused && !this.gotBytes && deadSocketSign(e)))
    )
  }

  /**
   * Writes a request held whole in memory (on a pipelined connection, in its turn), then reads until the
   * head (streaming) or the end (buffered); `done` is called once.
   */
  start(done: (outcome: Outcome) => void): void {
    this.reply = done
    const pipeline = this.lease.conn.pipeline
    const ticket = this.lease.ticket
    if (pipeline === undefined || ticket === undefined) {
      if (this.write()) this.read()
      return
    }
    this.state = "Queued"
    // A lease released meanwhile (the caller gave up) has nothing more to do when its turn comes.
    pipeline.whenWriteTurn(ticket, () => {
      if (!this.lease.active) return
      if (pipeline.dead || pipeline.closing) return this.report(this.refuse())
      if (!this.write()) return
      pipeline.wrote(ticket)
      pipeline.whenReadTurn(ticket, () => {
        if (!this.lease.active) return
        if (pipeline.dead) return this.report(this.refuse())
        this.enter("Head", "from now")
        const leftover = pipeline.takeLeftover()
        if (leftover === undefined || this.onBytes(leftover)) this.listen()
      })
    })
  }

  /** Sends the prepared bytes (the head, with the body when whole). */
  private write(): boolean {
    const failure = this.socket.send(headOf(this.prepared))
    if (failure !== undefined) {
      this.onError(failure)
      return false
    }
    return true
  }

  private read(): void {
    this.enter("Head", "from now")
    this.listen()
  }

  /** After an upload: reads what is still missing (up to the head, or to the end); `done` is called once. */
  receive(done: (outcome: Outcome) => void): void {
    if (this.state === "Failed") {
      // Failed with no failure of its own: its caller gave it up (`abandon`), and nobody reads on.
      const error = this.failure ?? new IOError({ request: this.prepared.info, code: "ECANCELED", reason: "abandoned" })
      done({ _tag: "Failed", error, closing: undefined })
      return
    }
    this.reply = done
    if (this.failure !== undefined) {
      this.report(this.failure)
      return
    }
    if (this.state === "Sending") {
      // What arrived during the upload was only decoded: the end, if it came, now releases the connection.
      if (this.decoder.done) this.release()
      else if (this.head === undefined) this.enter("Head", "from now")
      else this.enter("Body", this.mode === "buffered" ? "from now" : "from the next wait")
    }
    if (!this.settledForReply()) this.listen()
  }

  /** Starts watching the socket for this exchange. */
  private listen(): void {
    this.unlisten = this.socket.listen(this.onBytes, this.onError)
  }

  /** The next chunks of a streamed body: at once if some are decoded, else when they arrive. */
  pull(deliver: (pulled: Pulled) => void): () => void {
    if (this.pending.length > 0) {
      const chunks = this.pending
      this.pending = []
      this.since = IDLE
      deliver({ _tag: "Chunks", chunks, closing: undefined })
      return noop
    }
    if (this.state === "Failed") {
      deliver({ _tag: "Failed", error: this.failure ?? this.gone(), closing: undefined })
      return noop
    }
    if (this.ended) {
      deliver({ _tag: "End" })
      return noop
    }
    this.puller = deliver
    this.waiting()
    this.listen()
    return () => {
      if (this.puller !== deliver) return
      this.puller = undefined
      this.since = IDLE
      this.unlisten?.()
    }
  }

  private readonly onBytes = (chunk: Uint8Array | undefined): boolean => {
    if (this.state === "Ended" || this.state === "Failed") return false
    const failure = this.feed(chunk)
    if (failure !== undefined) {
      this.report(failure)
      return false
    }
    if (this.reply !== undefined) return !this.settledForReply()
    if (this.puller !== undefined && (this.pending.length > 0 || this.ended)) {
      const deliver = this.puller
      this.puller = undefined
      const closing = this.ended ? this.lastClosing : undefined
      this.lastClosing = undefined
      const chunks = this.pending
      this.pending = []
      this.since = IDLE
      deliver(chunks.length > 0 ? { _tag: "Chunks", chunks, closing } : { _tag: "End" })
      return false
    }
    return true
  }

  private readonly onError = (e: SocketError): void => {
    this.report(ioError(this.prepared.info, e))
  }

  /**
   * Answers the waiting caller if what it waits for is there (the head when streaming, the end when
   * buffered); returns whether it did.
   */
  private settledForReply(): boolean {
    const reply = this.reply
    // The decoder reaches the end only through a head: without one there is nothing to answer yet.
    const head = this.head
    if (reply === undefined || head === undefined) return false
    if (this.state === "Ended" || this.mode === "streaming") {
      this.reply = undefined
      const closing = this.lastClosing
      this.lastClosing = undefined
      reply({ _tag: "Answered", head, closing })
      return true
    }
    return false
  }

  /** The Effect that closes the connection after the last byte, until someone is handed it. */
  private lastClosing: Closing

  /** Feeds bytes (undefined: the peer closed) to the decoder; returns the failure, if any. */
  feed(bytes: Uint8Array | undefined): HttpError | undefined {
    if (bytes !== undefined && bytes.length > 0) {
      this.gotBytes = true
      if (this.state === "Body" && this.since !== IDLE) this.waiting()
    }
    return this.apply(bytes === undefined ? this.decoder.eof() : this.decoder.feed(bytes))
  }

  private apply(events: ReadonlyArray<Event>): HttpError | undefined {
    for (const e of events) {
      switch (e._tag) {
        case "Data": {
          const over = this.budget.receive(e.chunk.length)
          if (over !== undefined) return over
          this.pending.push(e.chunk)
          break
        }
        case "Head": {
          // A body announced past the limit is refused before any of it is read, as undici's maxResponseSize.
          const over = this.budget.announced(e.contentLength, bodiless(this.prepared.method, e.status))
          if (over !== undefined) return over
          this.head = e
          if (this.state !== "Sending") this.enter("Body", this.mode === "buffered" ? "from now" : "from the next wait")
          break
        }
        case "End": {
          this.trailers = e.trailers
          if (this.response !== undefined && e.trailers.length > 0) {
            this.response.trailers = Headers.unsafeFromPairs(e.trailers)
          }
          if (this.state !== "Sending") this.release()
          break
        }
        case "Error":
          return fromFailure(this.prepared.info, e.failure)
        case "Informational": {
          if (e.status === 100) this.continued = true
          this.interim.add(e.status, e.reason, e.headers)
          break
        }
        case "NeedData":
          break
      }
    }
    this.onProgress?.()
    return undefined
  }

  /** Enters a state with a deadline, which counts from now or from the next wait. */
  enter(state: "Sending" | "Head" | "Body", clocked: Clocked): void {
    this.state = state
    const ms = this.timeouts[PHASES[state]]
    if (ms === Number.POSITIVE_INFINITY) return
    const timers = this.engine.timers
    const now = timers.now()
    this.since = clocked === "from now" ? now : IDLE
    this.timer ??= timer(this.onDeadline)
    const t = this.timer
    if (t.index === -1 || t.at > now + ms) timers.schedule(t, now + ms)
  }

  /** A wait of the present phase begins (a read of a streamed body, a write of the request body). */
  waiting(): void {
    if (this.timer !== undefined) this.since = this.engine.timers.now()
  }

  /** The present wait ended (the caller has its bytes; the request body's next piece is being produced). */
  idle(): void {
    this.since = IDLE
  }

  private readonly onDeadline = (): Closing => {
    const phase = phaseOf(this.state)
    const t = this.timer
    if (phase === undefined || t === undefined || !this.lease.active) return undefined
    const ms = this.timeouts[phase]
    const timers = this.engine.timers
    const now = timers.now()
    if (this.since === IDLE || now < this.since + ms) {
      timers.schedule(t, (this.since === IDLE ? now : this.since) + ms)
      return undefined
    }
    return this.report(new Timeout({ request: this.prepared.info, phase, millis: ms }))
  }

  /**
   * Fails the exchange: the connection is destroyed, and the one waiting, if any, is told with the Effect
   * that closes it; with nobody waiting, that Effect is returned (the timer driver runs it) and the failure
   * kept for the next to ask.
   */
  report(error: HttpError): Closing {
    if (this.state === "Failed" || this.state === "Ended") return undefined
    this.failure = error
    const closing = this.settle("Failed")
    const reply = this.reply
    const puller = this.puller
    this.reply = undefined
    this.puller = undefined
    if (reply !== undefined) reply({ _tag: "Failed", error, closing })
    else if (puller !== undefined) puller({ _tag: "Failed", error, closing })
    else {
      this.onProgress?.()
      return closing
    }
    return undefined
  }

  /**
   * Gives up the exchange (its caller interrupted, its streamed body dropped): the connection is destroyed
   * and the deadline cancelled at once. Returns the Effect that closes the connection.
   */
  abandon(): Closing {
    if (this.state === "Failed" || this.state === "Ended") return undefined
    this.reply = undefined
    this.puller = undefined
    return this.settle("Failed")
  }

  /** The body ended: the connection goes back to the pool, or is closed if it may not be reused. */
  private release(): void {
    // On a pipelined connection, bytes past the end are the next response's: they go to the pipeline.
    const pipeline = this.lease.ticket === undefined ? undefined : this.lease.conn.pipeline
    if (pipeline !== undefined) pipeline.leftover = this.decoder.leftover
    const persistent = pipeline === undefined ? this.decoder.reusable : this.decoder.persistent
    const reusable = persistent && !this.prepared.close && !this.bodyCut
    this.lastClosing = this.settle("Ended", reusable ? "reuse" : "destroy")
  }

  /** Ends the exchange: no deadline applies any more, delivery stops, and the lease is given up. */
  private settle(state: "Ended" | "Failed", fate: Fate = "destroy"): Closing {
    this.state = state
    if (this.timer !== undefined) this.engine.timers.cancel(this.timer)
    this.unlisten?.()
    this.unlisten = undefined
    return this.engine.pool.release(this.lease, fate, fate === "reuse" ? this.head?.keepAliveTimeout : undefined)
  }

  /**
   * Ends an upload that failed (a body stream that failed, a write that failed): a failure reported
   * meanwhile, a passed deadline say, wins. Returns what to report, with the Effect that closes the
   * connection.
   */
  failUpload(error: HttpError): { readonly error: HttpError; readonly closing: Closing } {
    const reported = this.failure ?? error
    this.failure = reported
    return { error: reported, closing: this.state === "Failed" ? undefined : this.settle("Failed") }
  }

  /** On a pipelined connection, the upload is written: the next request may write. */
  wrote(): void {
    const ticket = this.lease.ticket
    if (ticket !== undefined) this.lease.conn.pipeline?.wrote(ticket)
  }

  /** The failure of a pull after the exchange was abandoned (its scope closed, say). */
  private gone(): HttpError {
    const reason = "the response was abandoned before its body was read"
    return new IOError({ request: this.prepared.info, code: "ECONNABORTED", reason })
  }

  /** The failure of an exchange whose pipelined connection died before its response was read. */
  private refuse(): HttpError {
    this.refused = true
    const reason = "an earlier exchange on the pipelined connection failed before this response was read"
    return new IOError({ request: this.prepared.info, code: "ECONNABORTED", reason })
  }

  /**
   * Builds the response; `streamed` is the body's reader when the body has not ended. An exchange that is
   * over keeps nothing of it: the last callback that holds the exchange can outlive it by a scavenge, and
   * the head and response it pointed to were then promoted to the old generation (see docs/ARCHITECTURE.md,
   * "Measured choices").
   */
  respond(head: Head, streamed: Response.BodyReader | undefined): Response.Response {
    const over = this.ended || streamed === undefined
    let body: Uint8Array | Response.BodyReader
    if (over) {
      body = concatAll(this.pending)
      this.pending = []
    } else body = streamed
    const response = Response.make({
      request: this.prepared.info,
      status: head.status,
      reason: head.reason,
      version: head.version === 10 ? "HTTP/1.0" : "HTTP/1.1",
      headers: head.headers,
      contentLength: head.contentLength,
      trailers: this.trailers,
      body,
      connection: {
        id: this.socket.id,
        reused: this.lease.reused,
        pinned: this.lease.pinned === true,
        peer: this.socket.peer,
      },
    })
    // A streamed body's trailers arrive later and need the response; an exchange that is over needs nothing.
    if (over) this.head = undefined
    else this.response = response
    return response
  }
}

const noop = (): void => undefined
