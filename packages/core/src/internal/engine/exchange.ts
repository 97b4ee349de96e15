/**
 * One request/response exchange on a leased connection, as a callback state machine — theory of operation.
 *
 * The exchange writes a prepared request (prepare.ts) and feeds what the socket delivers to the decoder.
 * It runs on the socket's callbacks only: no Effect runs inside it, so one object serves every way of
 * calling it, and the Effect form (binding/run.ts) is a thin `Effect.async` around it. Each state holds
 * what is valid in it (states.ts), and nothing outside this file writes them:
 *
 *   Queued ──► Sending ──► Head ──► Body ──► Ended
 *      │          │   └──────────────┘│
 *      └──────────┴──────────┴────────┴────► Failed / Abandoned
 *
 * - Queued: on a pipelined connection, waiting for its turn to write (pipeline.ts).
 * - Sending: a body not in memory in one piece is going out as the socket takes it (sending.ts). The
 *   socket is read meanwhile: a final head that comes first goes straight to Body, the rest of the body
 *   cut short and the connection not reused.
 * - Head: the request is written; no final head yet. 1xx heads are collected for the request's hook.
 * - Body: the head arrived. A buffered exchange reads on to the end; a streaming one hands the head out
 *   and reads only while its body is pulled.
 * - Ended: the last byte arrived; the connection went back to the pool (or was closed, if not reusable).
 * - Failed: the peer broke the protocol, the socket failed, a deadline passed, or the body could not be
 *   sent; the connection is destroyed. Abandoned: the caller gave up, and the connection is destroyed.
 *
 * Deadlines (`send`, `head`, `body`) are one timer per exchange on the transport's timer heap (timers.ts),
 * checked lazily: `since` says when the present wait began, and the timer, when it fires early, moves
 * itself to the real deadline. A deadline that passes fails the exchange, and every failure after it is
 * reported as the `Timeout`.
 *
 * What the connection's fate needs (closing a socket) is an Effect value handed to whoever is told how the
 * exchange ended, never run here; a state that ended with nobody to tell keeps it for the next to ask.
 * @internal
 */
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
import { type Host, type Next, Sending } from "./sending.js"
import {
  ABANDONED,
  type Closing,
  type Ended,
  type Failed,
  HEAD,
  type Outcome,
  type Phase,
  type Pulled,
  phaseOf,
  QUEUED,
  type Reading,
  type State,
} from "./states.js"
import type { Phases, Timer, Timers } from "./timers.js"
import { timer } from "./timers.js"

export type { Closing, Outcome, Pulled, State } from "./states.js"

/** What every exchange of one transport shares. */
export interface Engine {
  readonly pool: Pick<Pool, "release">
  readonly limits: Limits
  readonly timers: Timers
}

/** Read the whole body before answering (`fetch`), or answer at the head and read the body as pulled. */
export type Mode = "buffered" | "streaming"

/** Whether a phase's deadline counts from now, or from the next wait (`waiting`). */
type Clocked = "from now" | "from the next wait"

/** `since` when the exchange is not waiting (a streamed body nobody pulls, a request body being produced). */
const IDLE = -1

/** A socket failure, or an end before any byte: what a socket the server closed while idle shows. */
const deadSocketSign = (error: HttpError): boolean =>
  error._tag === "IOError" || (error._tag === "BadStatusLine" && error.line === "")

export class Exchange {
  state: State = HEAD
  readonly decoder: ResponseDecoder
  /** 1xx responses not yet handed to the request's hook. */
  readonly interim: Interim
  /** Whether any response byte arrived: before that, a dead reused socket may be retried. */
  private gotBytes = false
  /** The response body's budget: bytes received against the limit. */
  private readonly budget: BodyBudget
  private timer: Timer | undefined
  /** When the present wait began (Clock millis), or IDLE. */
  private since = IDLE
  /** Who waits for the response (`start`, `receive`), or for the body's next chunks (`pull`). */
  private reply: ((outcome: Outcome) => void) | undefined
  private puller: ((pulled: Pulled) => void) | undefined
  /** Whether the socket delivers to this exchange, and how to stop it. */
  private listening = false
  /** Someone asked to listen while the socket was delivering to this watch (see `onBytes`). */
  private wanted = false
  private unlisten: (() => void) | undefined
  /** Counts the watches begun, to tell the present one from an earlier one. */
  private watches = 0

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
    return this.state._tag === "Ended"
  }

  /**
   * Whether a failed request may be sent again on a fresh connection: it is replayable and either a failed
   * pipeline refused it, or its reused connection turned out dead before any byte of the response.
   */
  get retryable(): boolean {
    return this.state._tag === "Failed" && this.state.retryable
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
    this.state = QUEUED
    // A lease released meanwhile (the caller gave up) has nothing more to do when its turn comes.
    pipeline.whenWriteTurn(ticket, () => {
      if (!this.lease.active) return
      if (pipeline.dead || pipeline.closing) return this.refuse()
      if (!this.write()) return
      pipeline.wrote(ticket)
      pipeline.whenReadTurn(ticket, () => {
        if (!this.lease.active) return
        if (pipeline.dead) return this.refuse()
        this.enter(HEAD, "from now")
        const leftover = pipeline.takeLeftover()
        if (leftover === undefined || this.onBytes(leftover)) this.listen()
      })
    })
  }

  /**
   * Writes the head of a request whose body is not whole and enters Sending: a body in memory then goes
   * out by itself, a stream's pieces come through `offer` and `endBody`. `receive` waits for the outcome.
   */
  upload(): void {
    if (!this.write()) return
    const sending = new Sending(this.host(), this.prepared.body, this.prepared.expect)
    this.enter(sending, "from the next wait")
    this.listen()
    // Bytes the socket already held may have answered (or failed) the request: then nothing is written.
    if (this.state === sending) sending.begin()
  }

  /** Offers a request body stream's next piece; `next` says whether to go on. Returns a canceller. */
  offer(bytes: Uint8Array, next: Next): () => void {
    const s = this.state
    if (s._tag === "Sending") return s.offer(bytes, next)
    next(false)
    return noop
  }

  /** The request body stream ended; `next` is told once the end is written. Returns a canceller. */
  endBody(next: Next): () => void {
    const s = this.state
    if (s._tag === "Sending") return s.end(next)
    next(false)
    return noop
  }

  /**
   * The request body stream failed: the exchange fails, unless the server has answered already (the body
   * was cut short then, and the answer stands).
   */
  failBody(error: HttpError): void {
    if (this.state._tag === "Sending") this.report(error)
  }

  /** What the Sending state needs of this exchange. */
  private host(): Host {
    return {
      socket: this.socket,
      timers: this.engine.timers,
      info: this.prepared.info,
      waiting: () => this.waiting(),
      idle: () => {
        this.since = IDLE
      },
      fail: (error) => this.report(error),
      sent: () => {
        if (this.state._tag !== "Sending") return
        const ticket = this.lease.ticket
        if (ticket !== undefined) this.lease.conn.pipeline?.wrote(ticket)
        this.enter(HEAD, "from now")
      },
      ioError: (e) => ioError(this.prepared.info, e),
    }
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
    this.enter(HEAD, "from now")
    this.listen()
  }

  /** Reads what is still missing of the response (up to the head, or to the end); `done` is called once. */
  receive(done: (outcome: Outcome) => void): void {
    const s = this.state
    if (s._tag === "Abandoned") {
      done({ _tag: "Failed", error: this.cancelled(), closing: undefined })
      return
    }
    if (s._tag === "Failed") {
      done({ _tag: "Failed", error: s.error, closing: this.takeClosing() })
      return
    }
    this.reply = done
    if (!this.settledForReply()) this.listen()
  }

  /** Starts watching the socket for this exchange, unless it watches already. */
  private listen(): void {
    if (this.listening) {
      this.wanted = true
      return
    }
    this.listening = true
    const watch = ++this.watches
    const unlisten = this.socket.listen(this.onBytes, this.onError)
    // Bytes the socket held are delivered at once, and may have ended this watch (or begun another) already.
    if (this.listening && this.watches === watch) this.unlisten = unlisten
  }

  private stopListening(): void {
    const unlisten = this.unlisten
    this.listening = false
    this.unlisten = undefined
    unlisten?.()
  }

  /** The next chunks of a streamed body: at once if some are decoded, else when they arrive. */
  pull(deliver: (pulled: Pulled) => void): () => void {
    const s = this.state
    if ((s._tag === "Body" || s._tag === "Ended") && s.pending.length > 0) {
      const chunks = s.pending
      s.pending = []
      this.since = IDLE
      deliver({ _tag: "Chunks", chunks, closing: this.takeClosing() })
      return noop
    }
    switch (s._tag) {
      case "Failed":
        deliver({ _tag: "Failed", error: s.error, closing: this.takeClosing() })
        return noop
      case "Abandoned":
        deliver({ _tag: "Failed", error: this.gone(), closing: undefined })
        return noop
      case "Ended":
        deliver({ _tag: "End", closing: this.takeClosing() })
        return noop
    }
    this.puller = deliver
    this.waiting()
    this.listen()
    return () => {
      if (this.puller !== deliver) return
      this.puller = undefined
      this.since = IDLE
      this.stopListening()
    }
  }

  /**
   * The socket's delivery: returns whether to go on delivering. A caller that `take` answers may run at once,
   * inside this call (a runtime may resume its fiber synchronously), and ask for more before `take` returns:
   * its `listen` finds the watch still on and marks it `wanted`, and the watch then goes on.
   */
  private readonly onBytes = (chunk: Uint8Array | undefined): boolean => {
    this.wanted = false
    const more = this.take(chunk) || (this.wanted && !isOver(this.state))
    this.wanted = false
    if (!more) {
      this.listening = false
      this.unlisten = undefined
    }
    return more
  }

  private take(chunk: Uint8Array | undefined): boolean {
    if (isOver(this.state)) return false
    const failure = this.feed(chunk)
    if (failure !== undefined) {
      this.report(failure)
      return false
    }
    if (this.reply !== undefined) return !this.settledForReply()
    const s = this.state
    if (this.puller === undefined) {
      // Nobody waits yet: an upload reads on until its answer's head, which then waits for `receive`.
      return s._tag === "Sending"
    }
    if (s._tag !== "Ended" && (s._tag !== "Body" || s.pending.length === 0)) return true
    const deliver = this.puller
    this.puller = undefined
    const chunks = s.pending
    s.pending = []
    this.since = IDLE
    const closing = this.takeClosing()
    deliver(chunks.length > 0 ? { _tag: "Chunks", chunks, closing } : { _tag: "End", closing })
    return false
  }

  private readonly onError = (e: SocketError): void => {
    this.listening = false
    this.unlisten = undefined
    this.report(ioError(this.prepared.info, e))
  }

  /**
   * Answers the waiting caller if what it waits for is there (the head when streaming, the end when
   * buffered); returns whether it did.
   */
  private settledForReply(): boolean {
    const reply = this.reply
    const s = this.state
    if (reply === undefined) return false
    if (s._tag === "Ended" && s.head !== undefined) {
      this.reply = undefined
      reply({ _tag: "Answered", head: s.head, closing: this.takeClosing() })
      return true
    }
    if (s._tag === "Body" && this.mode === "streaming") {
      this.reply = undefined
      reply({ _tag: "Answered", head: s.head, closing: undefined })
      return true
    }
    return false
  }

  /** Feeds bytes (undefined: the peer closed) to the decoder; returns the failure, if any. */
  private feed(bytes: Uint8Array | undefined): HttpError | undefined {
    if (bytes !== undefined && bytes.length > 0) {
      this.gotBytes = true
      if (this.state._tag === "Body" && this.since !== IDLE) this.waiting()
    }
    return this.apply(bytes === undefined ? this.decoder.eof() : this.decoder.feed(bytes))
  }

  private apply(events: ReadonlyArray<Event>): HttpError | undefined {
    for (const e of events) {
      const s = this.state
      switch (e._tag) {
        case "Data": {
          const over = this.budget.receive(e.chunk.length)
          if (over !== undefined) return over
          if (s._tag === "Body") s.pending.push(e.chunk)
          break
        }
        case "Head": {
          // A body announced past the limit is refused before any of it is read, as undici's maxResponseSize.
          const over = this.budget.announced(e.contentLength, bodiless(this.prepared.method, e.status))
          if (over !== undefined) return over
          // A final answer while the body goes out cuts the body short: nothing more of it is written.
          if (s._tag === "Sending") s.stop()
          const reading: Reading = {
            _tag: "Body",
            head: e,
            cut: s._tag === "Sending",
            pending: [],
            response: undefined,
          }
          this.enter(reading, this.mode === "buffered" ? "from now" : "from the next wait")
          break
        }
        case "End":
          this.release(e.trailers)
          break
        case "Error":
          return fromFailure(this.prepared.info, e.failure)
        case "Informational": {
          if (e.status === 100 && s._tag === "Sending") s.release()
          this.interim.add(e.status, e.reason, e.headers)
          break
        }
        case "NeedData":
          break
      }
    }
    return undefined
  }

  /** Enters a state with a deadline, which counts from now or from the next wait. */
  private enter(state: State & { readonly _tag: "Sending" | "Head" | "Body" }, clocked: Clocked): void {
    this.state = state
    const phase = phaseOf(state)
    const ms = phase === undefined ? Number.POSITIVE_INFINITY : this.timeouts[phase]
    if (ms === Number.POSITIVE_INFINITY) return
    const timers = this.engine.timers
    const now = timers.now()
    this.since = clocked === "from now" ? now : IDLE
    this.timer ??= timer(this.onDeadline)
    const t = this.timer
    if (t.index === -1 || t.at > now + ms) timers.schedule(t, now + ms)
  }

  /** A wait of the present phase begins (a read of a streamed body, a write of the request body). */
  private waiting(): void {
    if (this.timer !== undefined) this.since = this.engine.timers.now()
  }

  private readonly onDeadline = (): Closing => {
    const phase: Phase | undefined = phaseOf(this.state)
    const t = this.timer
    if (phase === undefined || t === undefined || !this.lease.active) return undefined
    const ms = this.timeouts[phase]
    const timers = this.engine.timers
    const now = timers.now()
    if (this.since === IDLE || now < this.since + ms) {
      timers.schedule(t, (this.since === IDLE ? now : this.since) + ms)
      return undefined
    }
    this.report(new Timeout({ request: this.prepared.info, phase, millis: ms }))
    // Nobody was told: the timer's driver closes the connection.
    return this.takeClosing()
  }

  /**
   * Fails the exchange: the connection is destroyed, and the one waiting, if any, is told with the Effect
   * that closes it; with nobody waiting, the failed state keeps that Effect for the next to ask.
   */
  private report(error: HttpError, refused = false): void {
    const s = this.state
    if (isOver(s)) return
    const retryable =
      this.prepared.replayable && (refused || (this.lease.reused && !this.gotBytes && deadSocketSign(error)))
    const failed: Failed = { _tag: "Failed", error, retryable, closing: undefined }
    const closing = this.settle(failed, "destroy")
    if (s._tag === "Sending") s.stop()
    const reply = this.reply
    const puller = this.puller
    this.reply = undefined
    this.puller = undefined
    if (reply !== undefined) reply({ _tag: "Failed", error, closing })
    else if (puller !== undefined) puller({ _tag: "Failed", error, closing })
    else failed.closing = closing
  }

  /**
   * Gives up the exchange (its caller interrupted, its streamed body dropped): the connection is destroyed
   * and the deadline cancelled at once. Returns the Effect that closes the connection.
   */
  abandon(): Closing {
    const s = this.state
    if (s._tag === "Failed" || s._tag === "Ended") return this.takeClosing()
    if (s._tag === "Abandoned") return undefined
    this.reply = undefined
    this.puller = undefined
    if (s._tag === "Sending") s.stop()
    return this.settle(ABANDONED, "destroy")
  }

  /** The Effect that closes the connection, held by an ended state until someone is handed it. */
  private takeClosing(): Closing {
    const s = this.state
    if (s._tag !== "Failed" && s._tag !== "Ended") return undefined
    const closing = s.closing
    s.closing = undefined
    return closing
  }

  /** The body ended: the connection goes back to the pool, or is closed if it may not be reused. */
  private release(trailers: ReadonlyArray<readonly [string, string]>): void {
    const s = this.state
    // The decoder ends a response only after its head.
    if (s._tag !== "Body") return
    if (s.response !== undefined && trailers.length > 0) s.response.trailers = Headers.unsafeFromPairs(trailers)
    // On a pipelined connection, bytes past the end are the next response's: they go to the pipeline.
    const pipeline = this.lease.ticket === undefined ? undefined : this.lease.conn.pipeline
    if (pipeline !== undefined) pipeline.leftover = this.decoder.leftover
    const persistent = pipeline === undefined ? this.decoder.reusable : this.decoder.persistent
    const reusable = persistent && !this.prepared.close && !s.cut
    const ended: Ended = { _tag: "Ended", head: s.head, pending: s.pending, trailers, closing: undefined }
    ended.closing = this.settle(ended, reusable ? "reuse" : "destroy", s.head.keepAliveTimeout)
  }

  /** Ends the exchange: no deadline applies any more, delivery stops, and the lease is given up. */
  private settle(state: Ended | Failed | typeof ABANDONED, fate: Fate, keepAlive?: number): Closing {
    this.state = state
    if (this.timer !== undefined) this.engine.timers.cancel(this.timer)
    this.stopListening()
    return this.engine.pool.release(this.lease, fate, fate === "reuse" ? keepAlive : undefined)
  }

  /** An earlier exchange on the pipelined connection failed before this one's response was read. */
  private refuse(): void {
    const reason = "an earlier exchange on the pipelined connection failed before this response was read"
    this.report(new IOError({ request: this.prepared.info, code: "ECONNABORTED", reason }), true)
  }

  /** The failure of a pull after the exchange was abandoned (its scope closed, say). */
  private gone(): HttpError {
    const reason = "the response was abandoned before its body was read"
    return new IOError({ request: this.prepared.info, code: "ECONNABORTED", reason })
  }

  /** What a caller who gave the exchange up is told if it asks for the response anyway. */
  private cancelled(): HttpError {
    return new IOError({ request: this.prepared.info, code: "ECANCELED", reason: "abandoned" })
  }

  /**
   * Builds the response; `streamed` is the body's reader when the body has not ended. An exchange that is
   * over keeps nothing of it: the last callback that holds the exchange can outlive it by a scavenge, and
   * the head and response it pointed to were then promoted to the old generation (see docs/ARCHITECTURE.md,
   * "Measured choices").
   */
  respond(head: Head, streamed: Response.BodyReader | undefined): Response.Response {
    const s = this.state
    const over = s._tag === "Ended" || streamed === undefined
    let body: Uint8Array | Response.BodyReader = new Uint8Array(0)
    if (over) {
      if (s._tag === "Ended" || s._tag === "Body") {
        body = concatAll(s.pending)
        s.pending = []
      }
    } else body = streamed
    const response = Response.make({
      request: this.prepared.info,
      status: head.status,
      reason: head.reason,
      version: head.version === 10 ? "HTTP/1.0" : "HTTP/1.1",
      headers: head.headers,
      contentLength: head.contentLength,
      trailers: s._tag === "Ended" ? s.trailers : [],
      body,
      connection: {
        id: this.socket.id,
        reused: this.lease.reused,
        pinned: this.lease.pinned === true,
        peer: this.socket.peer,
      },
    })
    // A streamed body's trailers arrive later and need the response; an exchange that is over needs nothing.
    if (s._tag === "Ended") s.head = undefined
    else if (s._tag === "Body") s.response = response
    return response
  }
}

const noop = (): void => undefined

/** Whether the exchange is over: nothing it is fed matters any more. */
const isOver = (state: State): boolean =>
  state._tag === "Ended" || state._tag === "Failed" || state._tag === "Abandoned"
