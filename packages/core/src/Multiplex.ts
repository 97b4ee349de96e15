/**
 * The seam for protocols that carry many exchanges on one connection at once (HTTP/2).
 *
 * The socket transport (`Http1Transport.make`) keeps one pool per origin for every connection, whatever it
 * speaks. A `Multiplexer` given to it says which protocols a dial offers (ALPN) and turns a socket that
 * negotiated a multiplexed protocol into a `Connection`; the pool then hands a request a stream on it
 * rather than a whole connection. The protocol is decided once, when the dial completes. The node
 * transport's HTTP/2 is a Multiplexer over node:http2.
 *
 * @since 0.6.0
 */
import type * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import type { ConnectError, Socket } from "./Connector.js"
import type { Deadlines, Phases } from "./Deadlines.js"
import type { HttpError, RequestInfo } from "./HttpError.js"
import type { Outgoing } from "./Request.js"
import type { Informational, Response } from "./Response.js"
import type { Origin, Url } from "./Url.js"

/**
 * A request checked and ready for any protocol: its own fields and encoded body (`Request.outgoing`), with
 * the deadlines it gets and what it asks of the exchange. Each protocol adds its own framing when it
 * writes (HTTP/1.1 its head, HTTP/2 its pseudo-header fields).
 *
 * @since 0.6.0
 * @category models
 */
export interface Prepared {
  readonly info: RequestInfo
  readonly method: string
  readonly url: Url
  readonly outgoing: Outgoing
  /** Phase deadlines in milliseconds; Infinity for none. */
  readonly timeouts: Phases
  /** The request's limit on the response body as received, if it set one. */
  readonly maxResponseBytes: number | undefined
  readonly onInformational: ((i: Informational) => Effect.Effect<void>) | undefined
}

/**
 * How an exchange on a stream ends for the request waiting on it: `Answered` with the response (its body
 * read whole, or still arriving, which `abandon` stops) after the 1xx responses went to the request's hook
 * (`informational`, for the caller's fiber to run first); `Failed`; or `Refused` when the peer never
 * processed the request (HTTP/2 `REFUSED_STREAM`, or a stream above a `GOAWAY`'s last id), so the
 * transport may send it again, on another stream or connection, when its body is in memory — `error` is
 * what the caller sees when it is not sent again.
 *
 * @since 0.6.0
 * @category models
 */
export type Outcome =
  | {
      readonly _tag: "Answered"
      readonly response: Response
      readonly abandon: () => void
      readonly informational: Effect.Effect<void> | undefined
    }
  | { readonly _tag: "Failed"; readonly error: HttpError }
  | { readonly _tag: "Refused"; readonly error: HttpError }

/**
 * What the exchange on a stream is told by the pool.
 *
 * @since 0.6.0
 * @category models
 */
export interface Lease {
  /** The connection carried an exchange before this one. */
  readonly reused: boolean
  /** Gives the stream's room back to the pool; called once, when the stream has closed. */
  readonly release: () => void
}

/**
 * A connection that carries many exchanges at once, as the pool sees it.
 *
 * @since 0.6.0
 * @category models
 */
export interface Connection {
  /** Exchanges it may carry at once now: the peer's limit, capped; 0 while the peer grants none. */
  readonly capacity: () => number
  /** It takes no new exchange: the peer said it is going away, or the connection closed. */
  readonly draining: () => boolean
  /**
   * Opens a new stream and starts one exchange on it, at once: `buffered` reads the whole body before it
   * answers, `streaming` answers at the head. `done` gets the outcome, once. The function returned gives
   * up the exchange, resetting its stream.
   */
  readonly exchange: (
    request: Prepared,
    mode: "buffered" | "streaming",
    lease: Lease,
    done: (outcome: Outcome) => void,
  ) => () => void
  /** Closes the connection at once; exchanges still open on it fail. */
  readonly close: () => void
}

/**
 * A multiplexed protocol for the socket transport.
 *
 * @since 0.6.0
 * @category models
 */
export interface Multiplexer {
  /**
   * The protocols a connection to `origin` offers, most preferred first (ALPN over TLS; in clear text,
   * `["h2"]` alone means HTTP/2 with prior knowledge), or undefined for HTTP/1.1 without negotiation.
   */
  readonly offer: (origin: Origin) => ReadonlyArray<string> | undefined
  /**
   * Takes a socket just dialled: a `Connection` when it speaks the multiplexed protocol, undefined when it
   * speaks HTTP/1.1, or a `ConnectError` when neither will do. `changed` is to be called whenever its
   * capacity changes or it starts draining; `deadlines` is the transport's timer heap. What it opens lives
   * in the scope.
   */
  readonly open: (
    socket: Socket,
    origin: Origin,
    changed: () => void,
    deadlines: Deadlines,
  ) => Effect.Effect<Connection | undefined, ConnectError, Scope.Scope>
}
