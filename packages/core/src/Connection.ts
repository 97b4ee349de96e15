/**
 * httplib's low-level connection: one socket, one request at a time, driven step by step.
 *
 * `Connection.http("host:port")` (or `https`) opens nothing until the first request; the socket is closed
 * when the Scope closes or `close` is called. A request is sent whole with `request(method, url, body,
 * headers)` — Content-Length added — or in steps: `putrequest`, `putheader`…, `endheaders(body?)`,
 * `send(data)`. `getresponse` returns the response, read with `read(amt?)`. As in httplib, the whole
 * response must be read before the next request; breaking the order is a typed connection-state error.
 * `setDebugLevel(1)` logs the wire through Effect's logger, credentials redacted.
 *
 * @since 0.1.0
 */
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as ExecutionStrategy from "effect/ExecutionStrategy"
import * as Exit from "effect/Exit"
import * as Scope from "effect/Scope"
import { Connector, type Socket } from "./Connector.js"
import * as Headers from "./Headers.js"
import * as Http1 from "./Http1.js"
import { defaultTimeouts } from "./Http1Transport.js"
import {
  CannotSendHeader,
  CannotSendRequest,
  HTTPConnectionError,
  type HttpError,
  InvalidHeader,
  InvalidURL,
  NotConnected,
  type RequestInfo,
  ResponseNotReady,
  Timeout,
} from "./HttpError.js"
import { concat, encodeLatin1 } from "./internal/bytes.js"
import { fromFailure, ioError } from "./internal/engine/failures.js"
import { millisOf } from "./internal/engine/prepare.js"
import { read as socketRead, write as socketWrite } from "./internal/engine/socket.js"
import * as Url from "./Url.js"

/**
 * A response read from a Connection (httplib's HTTPResponse).
 *
 * @since 0.1.0
 * @category models
 */
export interface ConnectionResponse {
  readonly status: number
  readonly reason: string
  /** 10 for HTTP/1.0, 11 for HTTP/1.1, as httplib's `version`. */
  readonly version: 10 | 11
  readonly headers: Headers.Headers
  /** The body: all that is left, or at most `amt` bytes (empty once the body has ended). */
  readonly read: (amt?: number) => Effect.Effect<Uint8Array, HttpError>
  /** A header's value, or `fallback`. */
  readonly getheader: (name: string, fallback?: string) => string | undefined
  /** Every header as [name, value], in arrival order. */
  readonly getheaders: () => ReadonlyArray<readonly [string, string]>
  /** Whether the body has been read to its end. */
  readonly isclosed: () => boolean
}

/**
 * A connection (httplib's HTTPConnection).
 *
 * @since 0.1.0
 * @category models
 */
export interface Connection {
  readonly host: string
  readonly port: number
  /** Connects now; later calls connect on demand. */
  readonly connect: Effect.Effect<void, HttpError>
  /** Sends a whole request; a body gets its Content-Length. */
  readonly request: (
    method: string,
    url: string,
    body?: string | Uint8Array,
    headers?: Headers.Input,
  ) => Effect.Effect<void, HttpError>
  /** Starts a request: the request line, then `Host` and `Accept-Encoding: identity` unless skipped. */
  readonly putrequest: (
    method: string,
    target: string,
    options?: { readonly skipHost?: boolean; readonly skipAcceptEncoding?: boolean },
  ) => Effect.Effect<void, HttpError>
  /** Adds a header; several values are joined with `, ` (RFC 9110 §5.3, not httplib's folded lines). */
  readonly putheader: (name: string, ...values: ReadonlyArray<string | number>) => Effect.Effect<void, HttpError>
  /** Ends the head and sends it, with `body` if given. */
  readonly endheaders: (body?: string | Uint8Array) => Effect.Effect<void, HttpError>
  /** Sends body bytes after `endheaders`. */
  readonly send: (data: string | Uint8Array) => Effect.Effect<void, HttpError>
  /** The response to the request sent. */
  readonly getresponse: Effect.Effect<ConnectionResponse, HttpError>
  /** 0: quiet; 1 or more: every line sent and received is logged, credentials redacted. */
  readonly setDebugLevel: (level: number) => Effect.Effect<void>
  /** Closes the socket; a later request opens a new one. */
  readonly close: Effect.Effect<void>
}

type State = "Idle" | "Request-started" | "Request-sent" | "Closed"

const utf8 = new TextEncoder()
const bytesOf = (data: string | Uint8Array): Uint8Array => (typeof data === "string" ? utf8.encode(data) : data)

/** Redacts sensitive header values in wire text for the debug log. */
const redactWire = (text: string): string =>
  text.replace(/^([^:\r\n]+):[ \t]*(.*)$/gm, (line, name: string) =>
    Headers.isSensitive(name) ? `${name}: <redacted>` : line,
  )

/**
 * An `http:` connection to `host` (`host:port` accepted), port 80 by default, as `HTTPConnection(host, port)`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const http = (host: string, port?: number, options?: Options) => make("http", host, port, options)

/**
 * An `https:` connection, port 443 by default; TLS settings come from the Connector (see NodeConnector's `tls`).
 *
 * @since 0.1.0
 * @category constructors
 */
export const https = (host: string, port?: number, options?: Options) => make("https", host, port, options)

/**
 * Options of a connection, as httplib's `HTTPConnection(host, port, timeout)`.
 *
 * @since 0.2.0
 * @category models
 */
export interface Options {
  /**
   * The deadline of every blocking step — connecting, each write, waiting for the head, each read of the
   * body — ending in `Timeout` with the step's phase. Without it, the HTTP/1.1 transport's defaults apply
   * (`Http1Transport.defaultTimeouts`: connect 10 s, the others 300 s), so no step waits forever.
   */
  readonly timeout?: Duration.DurationInput
}

/**
 * A connection with an explicit scheme.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  scheme: "http" | "https",
  host: string,
  port?: number,
  options?: Options,
): Effect.Effect<Connection, InvalidURL, Connector | Scope.Scope> =>
  Effect.gen(function* () {
    const connector = yield* Connector
    const scope = yield* Effect.scope
    const parsed = Url.parse(`${scheme}://${host}${port === undefined ? "" : `:${port}`}/`)
    if (Either.isLeft(parsed)) {
      return yield* Effect.fail(
        parsed.left._tag === "InvalidURL"
          ? parsed.left
          : new InvalidURL({ request: { method: "-", url: host }, input: host, reason: "bad host" }),
      )
    }
    const url = parsed.right
    const origin = url.origin
    let socket: Socket | undefined
    let state: State = "Idle"
    let current: RequestInfo = { method: "-", url: url.href }
    let lines: Array<readonly [string, string]> = []
    let requestLine = ""
    let response: { readonly done: () => boolean } | undefined
    let debug = 0

    const one = options?.timeout === undefined ? undefined : millisOf(options.timeout, 0)
    /** Runs a blocking step within its phase's deadline. */
    const within = <A>(
      phase: "connect" | "send" | "head" | "body",
      effect: Effect.Effect<A, HttpError>,
    ): Effect.Effect<A, HttpError> => {
      const millis = one ?? defaultTimeouts[phase]
      return millis === Number.POSITIVE_INFINITY
        ? effect
        : Effect.timeoutFail(effect, {
            duration: millis,
            onTimeout: () => new Timeout({ request: current, phase, millis }),
          })
    }

    const log = (what: string, text: string) =>
      debug > 0 ? Effect.log(`${what}: ${JSON.stringify(redactWire(text))}`) : Effect.void

    // Each socket gets a scope of its own inside the connection's, closed with it.
    let socketScope: Scope.CloseableScope | undefined
    const drop = Effect.suspend(() => {
      const s = socketScope
      socket = undefined
      socketScope = undefined
      return s === undefined ? Effect.void : Scope.close(s, Exit.void)
    })

    const connect: Connection["connect"] = Effect.suspend(() => {
      if (socket !== undefined) return Effect.void
      return Scope.fork(scope, ExecutionStrategy.sequential).pipe(
        Effect.flatMap((child) =>
          Scope.extend(connector.connect(origin, {}), child).pipe(
            Effect.tap((s) => {
              socket = s
              socketScope = child
            }),
            Effect.tapError(() => Scope.close(child, Exit.void)),
          ),
        ),
        Effect.mapError(
          (e): HttpError =>
            new HTTPConnectionError({
              request: current,
              host: origin.host,
              port: origin.port,
              code: e.code,
              reason: e.reason,
            }),
        ),
        Effect.asVoid,
        (connecting) => within("connect", connecting),
      )
    })

    const write = (bytes: Uint8Array): Effect.Effect<void, HttpError> =>
      Effect.flatMap(connect, () =>
        socket === undefined
          ? Effect.fail(new NotConnected({ request: current }))
          : within(
              "send",
              Effect.mapError(socketWrite(socket as Socket, bytes), (e) => ioError(current, e)),
            ).pipe(Effect.tapError((e) => (e._tag === "Timeout" ? drop : Effect.void))),
      )

    const putrequest: Connection["putrequest"] = (method, target, options) =>
      Effect.suspend((): Effect.Effect<void, HttpError> => {
        current = { method, url: `${origin.scheme}://${url.hostHeader}${target}` }
        if (response !== undefined && !response.done()) {
          return Effect.fail(new CannotSendRequest({ request: current, state: "Response-unread" }))
        }
        if (state !== "Idle" && state !== "Closed")
          return Effect.fail(new CannotSendRequest({ request: current, state }))
        const invalid = Http1.invalidHead({ method, target, host: url.hostHeader, headers: [] })
        if (invalid !== undefined) return Effect.fail(new InvalidHeader({ request: current, ...invalid }))
        state = "Request-started"
        response = undefined
        requestLine = `${method} ${target} HTTP/1.1\r\n`
        lines = []
        if (options?.skipHost !== true) lines.push(["Host", url.hostHeader])
        if (options?.skipAcceptEncoding !== true) lines.push(["Accept-Encoding", "identity"])
        return Effect.void
      })

    const putheader: Connection["putheader"] = (name, ...values) =>
      Effect.suspend((): Effect.Effect<void, HttpError> => {
        if (state !== "Request-started") return Effect.fail(new CannotSendHeader({ request: current, state }))
        const value = values.map(String).join(", ")
        if (!Headers.isToken(name)) {
          return Effect.fail(new InvalidHeader({ request: current, name, reason: "name is not a token" }))
        }
        const reason = Headers.invalidValueReason(value)
        if (reason !== undefined) return Effect.fail(new InvalidHeader({ request: current, name, reason }))
        lines.push([name, value])
        return Effect.void
      })

    const endheaders: Connection["endheaders"] = (body) =>
      Effect.suspend(() => {
        if (state !== "Request-started") return Effect.fail(new CannotSendHeader({ request: current, state }))
        state = "Request-sent"
        const head = `${requestLine}${lines.map(([k, v]) => `${k}: ${v}\r\n`).join("")}\r\n`
        const bytes = body === undefined ? encodeLatin1(head) : concat(encodeLatin1(head), bytesOf(body))
        return Effect.zipRight(log("send", head), write(bytes))
      })

    const send: Connection["send"] = (data) =>
      Effect.suspend(() =>
        state === "Request-sent" || state === "Request-started"
          ? write(bytesOf(data))
          : Effect.fail(new CannotSendRequest({ request: current, state })),
      )

    const request: Connection["request"] = (method, target, body, headers) =>
      Effect.gen(function* () {
        const given = Headers.fromInput(headers)
        yield* putrequest(method, target, {
          skipHost: Headers.has(given, "host"),
          skipAcceptEncoding: Headers.has(given, "accept-encoding"),
        })
        for (const [k, v] of given.entries) yield* putheader(k, v)
        const bytes = body === undefined ? undefined : bytesOf(body)
        if (
          !Headers.has(given, "content-length") &&
          (bytes !== undefined || ["POST", "PUT", "PATCH"].includes(method))
        ) {
          yield* putheader("Content-Length", bytes?.length ?? 0)
        }
        yield* endheaders(bytes)
      })

    const getresponse: Connection["getresponse"] = Effect.suspend(() => {
      if (state === "Closed") return Effect.fail(new NotConnected({ request: current }))
      if (state !== "Request-sent" || response !== undefined) {
        return Effect.fail(new ResponseNotReady({ request: current, state }))
      }
      const sock = socket
      if (sock === undefined) return Effect.fail(new NotConnected({ request: current }))
      const info = current
      const decoder = Http1.makeDecoder(info.method)
      let head: Http1.Head | undefined
      let buffered: Uint8Array = new Uint8Array(0)
      let ended = false
      const feed = (bytes: Uint8Array | undefined): Effect.Effect<void, HttpError> => {
        for (const e of bytes === undefined ? decoder.eof() : decoder.feed(bytes)) {
          if (e._tag === "Head") head = e
          else if (e._tag === "Data") buffered = concat(buffered, e.chunk)
          else if (e._tag === "End") ended = true
          else if (e._tag === "Error") return Effect.fail(fromFailure(info, e.failure))
        }
        return Effect.void
      }
      // A read past its deadline leaves the connection mid-response: it is dropped.
      const readOnce = Effect.suspend(() =>
        within(
          head === undefined ? "head" : "body",
          Effect.mapError(socketRead(sock), (e) => ioError(info, e)),
        ),
      ).pipe(
        Effect.tapError((e) => (e._tag === "Timeout" ? drop : Effect.void)),
        Effect.flatMap(feed),
      )
      const afterEnd = Effect.suspend(() => {
        state = "Idle"
        return decoder.reusable ? Effect.void : drop
      })
      const untilHead: Effect.Effect<void, HttpError> = Effect.suspend(() =>
        head === undefined ? Effect.zipRight(readOnce, untilHead) : Effect.void,
      )
      const read = (amt?: number): Effect.Effect<Uint8Array, HttpError> =>
        Effect.suspend(() => {
          const enough = amt !== undefined && buffered.length >= amt
          if (!enough && !ended) return Effect.zipRight(readOnce, read(amt))
          const n = amt === undefined ? buffered.length : Math.min(amt, buffered.length)
          const out = buffered.subarray(0, n)
          buffered = buffered.subarray(n)
          return ended && buffered.length === 0 ? Effect.as(afterEnd, out) : Effect.succeed(out)
        })
      return Effect.gen(function* () {
        yield* untilHead
        const h = head as Http1.Head
        yield* log(
          "reply",
          `HTTP/${h.version === 10 ? "1.0" : "1.1"} ${h.status} ${h.reason}\r\n${h.headers.map(([k, v]) => `${k}: ${v}\r\n`).join("")}`,
        )
        const headers = Headers.unsafeFromPairs(h.headers)
        const r: ConnectionResponse = {
          status: h.status,
          reason: h.reason,
          version: h.version,
          headers,
          read,
          getheader: (name, fallback) =>
            Headers.get(headers, name).pipe((o) => (o._tag === "Some" ? o.value : fallback)),
          getheaders: () => headers.entries,
          isclosed: () => ended && buffered.length === 0,
        }
        response = { done: r.isclosed }
        if (ended && buffered.length === 0) yield* afterEnd
        return r
      }).pipe(
        Effect.tapError(() =>
          Effect.suspend(() => {
            state = "Idle"
            response = undefined
            return drop
          }),
        ),
      )
    })

    // Closing with a request in flight leaves "Closed": its getresponse is NotConnected; a new request reconnects.
    const close: Connection["close"] = Effect.suspend(() => {
      state = state === "Request-sent" && response === undefined ? "Closed" : "Idle"
      response = undefined
      return drop
    })

    yield* Effect.addFinalizer(() => close)

    return {
      host: origin.host,
      port: origin.port,
      connect,
      request,
      putrequest,
      putheader,
      endheaders,
      send,
      getresponse,
      setDebugLevel: (level) =>
        Effect.sync(() => {
          debug = level
        }),
      close,
    } satisfies Connection
  })
