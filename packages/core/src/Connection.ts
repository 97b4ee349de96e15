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
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import { Connector } from "./Connector.js"
import * as Headers from "./Headers.js"
import { type HttpError, InvalidURL } from "./HttpError.js"
import { millisOf } from "./internal/binding/phases.js"
import { bytesOf, HttpConnection } from "./internal/client/connection.js"
import { type DurationInput, Result } from "./internal/shared/edition.js"
import { METHODS_EXPECTING_BODY } from "./internal/shared/semantics.js"
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
  readonly timeout?: DurationInput
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
    if (Result.isFailure(parsed)) {
      const error = Result.failure(parsed)
      return yield* Effect.fail(
        error._tag === "InvalidURL"
          ? error
          : new InvalidURL({ request: { method: "-", url: host }, input: host, reason: "bad host" }),
      )
    }
    const conn = new HttpConnection(
      connector,
      scope,
      Result.success(parsed),
      options?.timeout === undefined ? undefined : millisOf(options.timeout, 0),
    )
    yield* Effect.addFinalizer(() => conn.close)
    const bytes = (body: string | Uint8Array | undefined) => (body === undefined ? undefined : bytesOf(body))
    return {
      host: conn.url.origin.host,
      port: conn.url.origin.port,
      connect: conn.connect,
      request: (method, target, body, headers) =>
        Effect.gen(function* () {
          const given = Headers.fromInput(headers)
          yield* conn.putrequest(method, target, {
            skipHost: Headers.has(given, "host"),
            skipAcceptEncoding: Headers.has(given, "accept-encoding"),
          })
          for (const [k, v] of given.entries) yield* conn.putheader(k, [v])
          const payload = bytes(body)
          if (!Headers.has(given, "content-length") && (payload !== undefined || METHODS_EXPECTING_BODY.has(method))) {
            yield* conn.putheader("Content-Length", [payload?.length ?? 0])
          }
          yield* conn.endheaders(payload)
        }),
      putrequest: (method, target, options) => conn.putrequest(method, target, options),
      putheader: (name, ...values) => conn.putheader(name, values),
      endheaders: (body) => conn.endheaders(body),
      send: (data) => conn.send(data),
      getresponse: conn.getresponse,
      setDebugLevel: (level) =>
        Effect.sync(() => {
          conn.debug = level
        }),
      close: conn.close,
    } satisfies Connection
  })
