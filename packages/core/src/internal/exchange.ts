/**
 * One request/response exchange over a leased connection, for a request already prepared (prepare.ts):
 * write the head with the body, then feed socket bytes to the decoder. In buffered mode reading runs to
 * the end of the body; in streaming mode it stops at the head and the Response pulls the rest. The
 * connection is released the moment the decoder reports the end. Two forms: `run`, as Effects (one
 * `matchEffect` per socket read), and `push`, driven by the socket's callbacks with no Effect until the end
 * (see Http1Transport's fast path). On a pipelined connection both wait for their turns (pipeline.ts).
 * @internal
 */

import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Stream from "effect/Stream"
import type { Socket, SocketError } from "../Connector.js"
import * as Headers from "../Headers.js"
import * as Http1 from "../Http1.js"
import {
  BadStatusLine,
  EncodeError,
  HeaderOverflow,
  type HttpError,
  IncompleteRead,
  IOError,
  ProtocolError,
  type RequestInfo,
  Timeout,
  UnknownTransferEncoding,
} from "../HttpError.js"
import * as Response from "../Response.js"
import type { Event, Failure, Head, Limits } from "./decoder.js"
import { concatAll } from "./latin1.js"
import type { Pipeline } from "./pipeline.js"
import type { Lease, Pool } from "./pool.js"
import type { PhaseTimeouts, Prepared } from "./prepare.js"

export const ioError = (info: RequestInfo, e: SocketError): HttpError =>
  new IOError({ request: info, code: e.code, reason: e.reason })

export const fromFailure = (info: RequestInfo, f: Failure): HttpError => {
  switch (f._tag) {
    case "BadStatusLine":
      return new BadStatusLine({ request: info, line: f.line })
    case "HeaderOverflow":
      return new HeaderOverflow({ request: info, limit: f.limit, max: f.max })
    case "ProtocolError":
      return new ProtocolError({ request: info, reason: f.reason, offset: f.offset })
    case "UnknownTransferEncoding":
      return new UnknownTransferEncoding({ request: info, encoding: f.encoding })
    case "IncompleteRead":
      return new IncompleteRead({ request: info, received: f.received, expected: f.expected })
  }
}

/** A socket with the push form (`Socket.send` and `Socket.listen`). */
export type PushSocket = Required<Pick<Socket, "send" | "listen">>

/** What `Wire.push` reports: the response or failure, and the Effect that closes the connection if any. */
type Done = (outcome: Either.Either<Response.Response, HttpError>, closing: Effect.Effect<void> | undefined) => void

/** One response on one leased connection: the decoder, what it has produced, and the reading loops. */
export class Wire {
  readonly decoder: Http1.ResponseDecoder
  head: Head | undefined
  /** Body chunks decoded but not yet handed out. */
  pending: Array<Uint8Array> = []
  ended = false
  trailers: ReadonlyArray<readonly [string, string]> = []
  /** 1xx responses not yet handed to the request's hook. */
  informational: Array<Response.Informational> | undefined
  /** Whether any response byte arrived: before that, a dead reused socket may be retried. */
  gotBytes = false
  /** The response once built, so trailers that arrive later reach it. */
  response: Response.Response | undefined
  /** An earlier exchange on the pipelined connection failed before this one's response was read. */
  refused = false

  constructor(
    readonly lease: Lease,
    readonly prepared: Prepared,
    readonly pool: Pick<Pool, "release">,
    limits: Limits,
    /** Read the whole body before returning the response. */
    readonly buffered: boolean,
    readonly timeouts: PhaseTimeouts,
    readonly onInformational: ((i: Response.Informational) => Effect.Effect<void>) | undefined,
  ) {
    this.decoder = new Http1.ResponseDecoder(prepared.method, limits)
  }

  /** Writes the request, then reads until the head (streaming) or the end (buffered). */
  run(): Effect.Effect<Response.Response, HttpError> {
    const reading =
      this.timeouts.head === undefined && this.timeouts.body === undefined && this.onInformational === undefined
        ? this.readLoop
        : this.readPhased()
    const pipeline = this.lease.conn.pipeline
    const ticket = this.lease.ticket
    if (pipeline !== undefined && ticket !== undefined) return this.runPipelined(pipeline, ticket, reading)
    const read = Effect.map(reading, this.makeResponse)
    const p = this.prepared
    // The common case, a body in memory, is one write; its failure maps to IOError in the same step.
    if (p.whole) {
      return Effect.matchEffect(this.lease.conn.socket.write(p.head), {
        onFailure: (e) => Effect.fail(ioError(p.info, e)),
        onSuccess: () => read,
      })
    }
    return Effect.zipRight(this.write(), read)
  }

  /**
   * On a pipelined connection: write in ticket order, then wait for the responses ahead, then read from
   * what the previous exchange read past its end.
   */
  private runPipelined(
    pipeline: Pipeline,
    ticket: number,
    reading: Effect.Effect<void, HttpError>,
  ): Effect.Effect<Response.Response, HttpError> {
    const refuse = () => this.refuse()
    const read = Effect.suspend(() => {
      const leftover = pipeline.takeLeftover()
      const ended = leftover === undefined ? undefined : this.onBytes(leftover)
      return ended ?? (this.head !== undefined && !this.buffered ? Effect.void : reading)
    })
    return pipeline
      .writeTurn(ticket)
      .pipe(
        Effect.mapError(refuse),
        Effect.zipRight(this.write()),
        Effect.zipRight(Effect.sync(() => pipeline.wrote(ticket))),
        Effect.zipRight(Effect.mapError(pipeline.readTurn(ticket), refuse)),
        Effect.zipRight(read),
        Effect.map(this.makeResponse),
      )
  }

  private write(): Effect.Effect<void, HttpError> {
    const p = this.prepared
    const socket = this.lease.conn.socket
    const body = p.body
    const io = (e: SocketError) => ioError(p.info, e)
    if (body._tag === "Fixed") {
      return Effect.mapError(
        p.whole ? socket.write(p.head) : Effect.zipRight(socket.write(p.head), socket.write(body.bytes)),
        io,
      )
    }
    const chunked = body.length === undefined
    let sent = 0
    const chunks = Stream.runForEach(
      Stream.mapError(body.stream, (e) => new EncodeError({ request: p.info, reason: String(e) })),
      (chunk) => {
        sent += chunk.length
        return Effect.mapError(socket.write(chunked ? Http1.encodeChunk(chunk) : chunk), io)
      },
    )
    const end = Effect.suspend((): Effect.Effect<void, HttpError> => {
      if (chunked) return Effect.mapError(socket.write(Http1.LAST_CHUNK), io)
      return sent === body.length
        ? Effect.void
        : Effect.fail(
            new EncodeError({ request: p.info, reason: `stream gave ${sent} bytes, ${body.length} announced` }),
          )
    })
    return Effect.mapError(socket.write(p.head), io).pipe(Effect.zipRight(chunks), Effect.zipRight(end))
  }

  private apply(events: ReadonlyArray<Event>): HttpError | undefined {
    for (const e of events) {
      if (e._tag === "Data") this.pending.push(e.chunk)
      else if (e._tag === "Head") this.head = e
      else if (e._tag === "End") {
        this.ended = true
        this.trailers = e.trailers
        if (this.response !== undefined && e.trailers.length > 0) {
          this.response.trailers = Headers.unsafeFromPairs(e.trailers)
        }
      } else if (e._tag === "Error") return fromFailure(this.prepared.info, e.failure)
      else if (e._tag === "Informational" && this.onInformational !== undefined) {
        this.informational ??= []
        this.informational.push({ status: e.status, reason: e.reason, headers: Headers.unsafeFromPairs(e.headers) })
      }
    }
    return undefined
  }

  /** Gives the connection back (or destroys it) once the body has ended or failed. */
  private finish<A>(reusable: boolean, then: Effect.Effect<A, HttpError>): Effect.Effect<A, HttpError> {
    const closing = this.pool.release(this.lease, reusable)
    return closing === undefined ? then : Effect.zipRight(closing, then)
  }

  /**
   * Feeds one read's bytes (undefined: the peer closed) to the decoder. Returns what ends the reading —
   * the failure, or the release after the last byte — or undefined when more bytes are needed.
   */
  private onBytes(bytes: Uint8Array | undefined): Effect.Effect<void, HttpError> | undefined {
    const failure = this.feed(bytes)
    if (failure !== undefined) return this.finish(false, Effect.fail(failure))
    if (this.ended) return this.release() ?? Effect.void
    return undefined
  }

  /** Feeds bytes (undefined: the peer closed) to the decoder; returns the failure, if any. */
  private feed(bytes: Uint8Array | undefined): HttpError | undefined {
    if (bytes !== undefined && bytes.length > 0) this.gotBytes = true
    return this.apply(bytes === undefined ? this.decoder.eof() : this.decoder.feed(bytes))
  }

  /** Gives the connection back after the last byte; returns the Effect that closes it, if it must. */
  private release(): Effect.Effect<void> | undefined {
    // On a pipelined connection, bytes past the end are the next response's: they go to the pipeline.
    const pipeline = this.lease.ticket === undefined ? undefined : this.lease.conn.pipeline
    if (pipeline !== undefined) pipeline.leftover = this.decoder.leftover
    const persistent = pipeline === undefined ? this.decoder.reusable : this.decoder.persistent
    return this.pool.release(this.lease, persistent && !this.prepared.close, this.head?.keepAliveTimeout)
  }

  /**
   * The exchange in push form, over `Socket.send` and `Socket.listen`: no Effect runs until it ends, and
   * `done` gets the response or the failure, with the Effect that closes the connection when it must be
   * closed. On a pipelined connection the turns are waited for with callbacks. Measured against the
   * Effect form (`run`): 36 -> 21 Effect operations per sequential GET, and with requests that wait in the
   * pool's line as callbacks (Http1Transport), the c64 benchmark went from 35k to 47k req/s.
   */
  push(socket: PushSocket, done: Done): void {
    const p = this.prepared
    const bytes = p.head
    const fail = (error: HttpError) => done(Either.left(error), this.pool.release(this.lease, false))
    const onBytes = (chunk: Uint8Array | undefined): boolean => {
      const failure = this.feed(chunk)
      if (failure !== undefined) fail(failure)
      else if (this.ended) {
        const closing = this.release()
        done(Either.right(this.makeResponse()), closing)
      } else return true
      return false
    }
    const onError = (e: SocketError) => fail(ioError(p.info, e))
    const pipeline = this.lease.conn.pipeline
    const ticket = this.lease.ticket
    if (pipeline === undefined || ticket === undefined) {
      const failure = socket.send(bytes)
      if (failure === undefined) socket.listen(onBytes, onError)
      else onError(failure)
      return
    }
    // A lease released meanwhile (its fiber interrupted) has nothing more to do when its turn comes.
    pipeline.whenWriteTurn(ticket, () => {
      if (!this.lease.active) return
      if (pipeline.dead || pipeline.closing) return fail(this.refuse())
      const failure = socket.send(bytes)
      if (failure !== undefined) return onError(failure)
      pipeline.wrote(ticket)
      pipeline.whenReadTurn(ticket, () => {
        if (!this.lease.active) return
        if (pipeline.dead) return fail(this.refuse())
        const leftover = pipeline.takeLeftover()
        if (leftover === undefined || onBytes(leftover)) socket.listen(onBytes, onError)
      })
    })
  }

  /** The failure of an exchange whose pipelined connection died before its response was read. */
  private refuse(): HttpError {
    this.refused = true
    const reason = "an earlier exchange on the pipelined connection failed before this response was read"
    return new IOError({ request: this.prepared.info, code: "ECONNABORTED", reason })
  }

  private readonly onReadFailure = (e: SocketError): Effect.Effect<never, HttpError> =>
    this.finish(false, Effect.fail(ioError(this.prepared.info, e)))

  /** The hot path: reads until the head has arrived (and in buffered mode until the end). */
  private readonly readLoop: Effect.Effect<void, HttpError> = Effect.suspend(() =>
    Effect.matchEffect(this.lease.conn.socket.read, {
      onFailure: this.onReadFailure,
      onSuccess: (bytes) =>
        this.onBytes(bytes) ?? (this.head === undefined || this.buffered ? this.readLoop : Effect.void),
    }),
  )

  // The effects below serve deadlines, 1xx hooks and streaming bodies. They are made on first use, so a
  // plain buffered request allocates none of them (the hot path makes one Wire per request).
  private once: Effect.Effect<void, HttpError> | undefined

  /** One read, fed to the decoder. */
  private readOnce(): Effect.Effect<void, HttpError> {
    this.once ??= Effect.suspend(() =>
      Effect.matchEffect(this.lease.conn.socket.read, {
        onFailure: this.onReadFailure,
        onSuccess: (bytes) => this.onBytes(bytes) ?? Effect.void,
      }),
    )
    return this.once
  }

  /** Hands collected 1xx responses to the hook. */
  private informed(): Effect.Effect<void> {
    const all = this.informational
    if (all === undefined || this.onInformational === undefined) return Effect.void
    this.informational = undefined
    return Effect.forEach(all, this.onInformational, { discard: true })
  }

  private timed<A>(effect: Effect.Effect<A, HttpError>, phase: "head" | "body", millis: number | undefined) {
    return millis === undefined
      ? effect
      : Effect.timeoutFail(effect, {
          duration: millis,
          onTimeout: () => new Timeout({ request: this.prepared.info, phase, millis }),
        })
  }

  /** Reads with deadlines and hooks: the head within `head`, each later read within `body`. */
  private readPhased(): Effect.Effect<void, HttpError> {
    const untilHead: Effect.Effect<void, HttpError> = Effect.suspend(() =>
      this.head === undefined
        ? Effect.zipRight(
            Effect.zipRight(
              this.readOnce(),
              Effect.suspend(() => this.informed()),
            ),
            untilHead,
          )
        : Effect.void,
    )
    const body = this.timed(this.readOnce(), "body", this.timeouts.body)
    const untilEnd: Effect.Effect<void, HttpError> = Effect.suspend(() =>
      this.ended ? Effect.void : Effect.zipRight(body, untilEnd),
    )
    const head = this.timed(untilHead, "head", this.timeouts.head)
    return this.buffered ? Effect.zipRight(head, untilEnd) : head
  }

  private readonly makeResponse = (): Response.Response => {
    const head = this.head as Head
    let body: Uint8Array | Wire = this
    if (this.ended) {
      body = concatAll(this.pending)
      this.pending = []
    }
    this.response = Response.make({
      request: this.prepared.info,
      status: head.status,
      reason: head.reason,
      version: head.version === 10 ? "HTTP/1.0" : "HTTP/1.1",
      headers: head.headers,
      contentLength: head.contentLength,
      trailers: this.trailers,
      body,
      connection: { id: this.lease.conn.socket.id, reused: this.lease.reused, pinned: this.lease.pinned === true },
    })
    return this.response
  }

  private pulling: Effect.Effect<ReadonlyArray<Uint8Array> | undefined, HttpError> | undefined

  /** The rest of the body, for a streaming Response. */
  get pull(): Effect.Effect<ReadonlyArray<Uint8Array> | undefined, HttpError> {
    this.pulling ??= Effect.suspend(() => {
      if (this.pending.length > 0) {
        const out = this.pending
        this.pending = []
        return Effect.succeed(out)
      }
      if (this.ended) return Effect.succeed(undefined)
      return Effect.zipRight(this.timed(this.readOnce(), "body", this.timeouts.body), this.pull)
    })
    return this.pulling
  }
}
