/**
 * httplib's HTTPConnection, step by step over one socket — theory of operation.
 *
 * The connection is a state machine, as httplib's is, with the state that httplib keeps apart (an unread
 * response) made one of its states:
 *
 *   Idle ──putrequest──► Request-started ──endheaders──► Request-sent ──getresponse──► Response-unread
 *    ▲                                                        │                            │
 *    └─────────────────── the body read to its end ───────────┴────────────────────────────┘
 *
 * `close` (or the scope's end) with a request in flight leaves `Closed`, where `getresponse` is
 * `NotConnected` and a new `putrequest` reconnects. Every call checks the state with an exhaustive switch
 * and answers a call out of order with httplib's typed error. Each blocking step has its deadline; a step
 * past it drops the socket, since the connection is then mid-message.
 * @internal
 */
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Scope from "effect/Scope"
import type { ConnectionResponse } from "../../Connection.js"
import type { Service as ConnectorService, Socket } from "../../Connector.js"
import * as Headers from "../../Headers.js"
import * as Http1 from "../../Http1.js"
import { defaultTimeouts } from "../../Http1Transport.js"
import {
  CannotSendHeader,
  CannotSendRequest,
  HTTPConnectionError,
  type HttpError,
  InvalidHeader,
  NotConnected,
  type RequestInfo,
  ResponseNotReady,
  Timeout,
} from "../../HttpError.js"
import type * as Url from "../../Url.js"
import { read as socketRead, write as socketWrite } from "../binding/socket.js"
import { fromFailure, ioError } from "../engine/failures.js"
import { concat, encodeLatin1 } from "../shared/bytes.js"
import type { CloseableScope } from "../shared/edition.js"
import { forkScope, inScope, timeoutFail } from "../shared/edition-effect.js"
import { redactUrl } from "../shared/request.js"

/** Where the connection is in its exchange. */
export type State = "Idle" | "Request-started" | "Request-sent" | "Response-unread" | "Closed"

/** The headers `putrequest` leaves out, as httplib's `skip_host` and `skip_accept_encoding`. */
export interface Skip {
  readonly skipHost?: boolean | undefined
  readonly skipAcceptEncoding?: boolean | undefined
}

/** The phases a blocking step of the connection belongs to. */
type Phase = "connect" | "send" | "head" | "body"

const utf8 = new TextEncoder()
export const bytesOf = (data: string | Uint8Array): Uint8Array => (typeof data === "string" ? utf8.encode(data) : data)

/** Redacts sensitive header values in wire text for the debug log. */
const redactWire = (text: string): string =>
  text.replace(/^([^:\r\n]+):[ \t]*(.*)$/gm, (line, name: string) =>
    Headers.isSensitive(name) ? `${name}: <redacted>` : line,
  )

const headText = (h: Http1.Head): string =>
  `HTTP/${h.version === 10 ? "1.0" : "1.1"} ${h.status} ${h.reason}\r\n${h.headers.map(([k, v]) => `${k}: ${v}\r\n`).join("")}`

export class HttpConnection {
  state: State = "Idle"
  /** The request being made, for errors and logs. */
  current: RequestInfo
  debug = 0
  private socket: Socket | undefined
  /** Each socket gets a scope of its own inside the connection's, closed with it. */
  private socketScope: CloseableScope | undefined
  private requestLine = ""
  private lines: Array<readonly [string, string]> = []

  constructor(
    private readonly connector: ConnectorService,
    private readonly scope: Scope.Scope,
    readonly url: Url.Url,
    /** The deadline of every blocking step, when the caller gave one (httplib's `timeout`). */
    private readonly timeoutMillis: number | undefined,
  ) {
    this.current = { method: "-", url: redactUrl(url.href) }
  }

  /** Runs a blocking step within its phase's deadline. */
  within<A>(phase: Phase, effect: Effect.Effect<A, HttpError>): Effect.Effect<A, HttpError> {
    const millis = this.timeoutMillis ?? defaultTimeouts[phase]
    const request = this.current
    return millis === Number.POSITIVE_INFINITY
      ? effect
      : timeoutFail(effect, millis, () => new Timeout({ request, phase, millis }))
  }

  log(what: string, text: string): Effect.Effect<void> {
    return this.debug > 0 ? Effect.log(`${what}: ${JSON.stringify(redactWire(text))}`) : Effect.void
  }

  /** Closes the socket, if one is open. */
  readonly drop: Effect.Effect<void> = Effect.suspend(() => {
    const s = this.socketScope
    this.socket = undefined
    this.socketScope = undefined
    return s === undefined ? Effect.void : Scope.close(s, Exit.void)
  })

  readonly connect: Effect.Effect<void, HttpError> = Effect.suspend(() => {
    if (this.socket !== undefined) return Effect.void
    const origin = this.url.origin
    const opening = Effect.flatMap(forkScope(this.scope), (child) =>
      inScope(this.connector.connect(origin, {}), child).pipe(
        Effect.tap((s) =>
          Effect.sync(() => {
            this.socket = s
            this.socketScope = child
          }),
        ),
        Effect.tapError(() => Scope.close(child, Exit.void)),
      ),
    )
    const request = this.current
    const failed = (e: { readonly code: string; readonly reason: string }): HttpError =>
      new HTTPConnectionError({ request, host: origin.host, port: origin.port, code: e.code, reason: e.reason })
    return this.within("connect", Effect.asVoid(Effect.mapError(opening, failed)))
  })

  /** Writes bytes, connecting first if needed; a write past its deadline drops the socket. */
  write(bytes: Uint8Array): Effect.Effect<void, HttpError> {
    return Effect.flatMap(this.connect, () => {
      const socket = this.socket
      if (socket === undefined) return Effect.fail(new NotConnected({ request: this.current }))
      return this.within(
        "send",
        Effect.mapError(socketWrite(socket, bytes), (e) => ioError(this.current, e)),
      ).pipe(Effect.tapError((e) => (e._tag === "Timeout" ? this.drop : Effect.void)))
    })
  }

  /** Starts a request: the request line, then `Host` and `Accept-Encoding: identity` unless skipped. */
  putrequest(method: string, target: string, skip: Skip = {}) {
    return Effect.suspend((): Effect.Effect<void, HttpError> => {
      const host = this.url.hostHeader
      this.current = { method, url: redactUrl(`${this.url.origin.scheme}://${host}${target}`) }
      switch (this.state) {
        case "Idle":
        case "Closed":
          break
        case "Request-started":
        case "Request-sent":
        case "Response-unread":
          return Effect.fail(new CannotSendRequest({ request: this.current, state: this.state }))
      }
      const invalid = Http1.invalidHead({ method, target, host, headers: [] })
      if (invalid !== undefined) return Effect.fail(new InvalidHeader({ request: this.current, ...invalid }))
      this.state = "Request-started"
      this.requestLine = `${method} ${target} HTTP/1.1\r\n`
      this.lines = []
      if (skip.skipHost !== true) this.lines.push(["Host", host])
      if (skip.skipAcceptEncoding !== true) this.lines.push(["Accept-Encoding", "identity"])
      return Effect.void
    })
  }

  /** Fails unless a request has been started and its head not yet sent. */
  private headerAllowed(): Effect.Effect<void, HttpError> | undefined {
    switch (this.state) {
      case "Request-started":
        return undefined
      case "Idle":
      case "Request-sent":
      case "Response-unread":
      case "Closed":
        return Effect.fail(new CannotSendHeader({ request: this.current, state: this.state }))
    }
  }

  putheader(name: string, values: ReadonlyArray<string | number>): Effect.Effect<void, HttpError> {
    return Effect.suspend(() => {
      const refused = this.headerAllowed()
      if (refused !== undefined) return refused
      const value = values.map(String).join(", ")
      if (!Headers.isToken(name)) {
        return Effect.fail(new InvalidHeader({ request: this.current, name, reason: "name is not a token" }))
      }
      const reason = Headers.invalidValueReason(value)
      if (reason !== undefined) return Effect.fail(new InvalidHeader({ request: this.current, name, reason }))
      this.lines.push([name, value])
      return Effect.void
    })
  }

  endheaders(body: string | Uint8Array | undefined): Effect.Effect<void, HttpError> {
    return Effect.suspend(() => {
      const refused = this.headerAllowed()
      if (refused !== undefined) return refused
      this.state = "Request-sent"
      const head = `${this.requestLine}${this.lines.map(([k, v]) => `${k}: ${v}\r\n`).join("")}\r\n`
      const bytes = body === undefined ? encodeLatin1(head) : concat(encodeLatin1(head), bytesOf(body))
      return Effect.andThen(this.log("send", head), this.write(bytes))
    })
  }

  send(data: string | Uint8Array): Effect.Effect<void, HttpError> {
    return Effect.suspend(() => {
      switch (this.state) {
        case "Request-started":
        case "Request-sent":
          return this.write(bytesOf(data))
        case "Idle":
        case "Response-unread":
        case "Closed":
          return Effect.fail(new CannotSendRequest({ request: this.current, state: this.state }))
      }
    })
  }

  readonly getresponse: Effect.Effect<ConnectionResponse, HttpError> = Effect.suspend(() => {
    switch (this.state) {
      case "Closed":
        return Effect.fail(new NotConnected({ request: this.current }))
      case "Idle":
      case "Request-started":
      case "Response-unread":
        return Effect.fail(new ResponseNotReady({ request: this.current, state: this.state }))
      case "Request-sent":
        break
    }
    const socket = this.socket
    if (socket === undefined) return Effect.fail(new NotConnected({ request: this.current }))
    const reading = new Reading(this, socket)
    return reading.untilHead.pipe(
      Effect.flatMap(() => reading.response()),
      Effect.tapError(() =>
        Effect.suspend(() => {
          this.state = "Idle"
          return this.drop
        }),
      ),
    )
  })

  /** Closing with a request in flight leaves `Closed`: its getresponse is NotConnected. */
  readonly close: Effect.Effect<void> = Effect.suspend(() => {
    this.state = this.state === "Request-sent" ? "Closed" : "Idle"
    return this.drop
  })
}

/** One response being read from the connection's socket. */
class Reading {
  private readonly decoder: Http1.ResponseDecoder
  private readonly info: RequestInfo
  private head: Http1.Head | undefined
  private buffered: Uint8Array = new Uint8Array(0)
  private ended = false

  constructor(
    private readonly conn: HttpConnection,
    private readonly socket: Socket,
  ) {
    this.info = conn.current
    this.decoder = Http1.makeDecoder(this.info.method)
  }

  private feed(bytes: Uint8Array | undefined): Effect.Effect<void, HttpError> {
    for (const e of bytes === undefined ? this.decoder.eof() : this.decoder.feed(bytes)) {
      if (e._tag === "Head") this.head = e
      else if (e._tag === "Data") this.buffered = concat(this.buffered, e.chunk)
      else if (e._tag === "End") this.ended = true
      else if (e._tag === "Error") return Effect.fail(fromFailure(this.info, e.failure))
    }
    return Effect.void
  }

  /** One read, within the head's or the body's deadline; a read past it drops the socket. */
  private readonly readOnce: Effect.Effect<void, HttpError> = Effect.suspend(() =>
    this.conn.within(
      this.head === undefined ? "head" : "body",
      Effect.mapError(socketRead(this.socket), (e) => ioError(this.info, e)),
    ),
  ).pipe(
    Effect.tapError((e) => (e._tag === "Timeout" ? this.conn.drop : Effect.void)),
    Effect.flatMap((bytes) => this.feed(bytes)),
  )

  readonly untilHead: Effect.Effect<void, HttpError> = Effect.suspend(() =>
    this.head === undefined ? Effect.andThen(this.readOnce, this.untilHead) : Effect.void,
  )

  /** The body's end: the connection is idle again, and its socket kept only if it may be reused. */
  private readonly afterEnd = Effect.suspend(() => {
    this.conn.state = "Idle"
    return this.decoder.reusable ? Effect.void : this.conn.drop
  })

  private get closed(): boolean {
    return this.ended && this.buffered.length === 0
  }

  readonly read = (amt?: number): Effect.Effect<Uint8Array, HttpError> =>
    Effect.suspend(() => {
      const enough = amt !== undefined && this.buffered.length >= amt
      if (!enough && !this.ended) return Effect.andThen(this.readOnce, this.read(amt))
      const n = amt === undefined ? this.buffered.length : Math.min(amt, this.buffered.length)
      const out = this.buffered.subarray(0, n)
      this.buffered = this.buffered.subarray(n)
      return this.closed ? Effect.as(this.afterEnd, out) : Effect.succeed(out)
    })

  /** The response, once its head has arrived; the connection holds an unread response until its end. */
  response(): Effect.Effect<ConnectionResponse> {
    const h = this.head as Http1.Head
    const headers = Headers.unsafeFromPairs(h.headers)
    const r: ConnectionResponse = {
      status: h.status,
      reason: h.reason,
      version: h.version,
      headers,
      read: this.read,
      getheader: (name, fallback) => Headers.get(headers, name).pipe((o) => (o._tag === "Some" ? o.value : fallback)),
      getheaders: () => headers.entries,
      isclosed: () => this.closed,
    }
    this.conn.state = "Response-unread"
    return this.conn
      .log("reply", headText(h))
      .pipe(Effect.andThen(this.closed ? this.afterEnd : Effect.void), Effect.as(r))
  }
}
