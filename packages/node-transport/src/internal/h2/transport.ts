/**
 * The HTTP/2 transport's binding to Effect: a request is prepared from `Request.outgoing` (the same checks as
 * HTTP/1.1, with no HTTP/1.1 framing to take off), the connection fields of the caller's own that HTTP/2
 * forbids dropped and the pseudo-headers added, takes a stream from the
 * session pool, and runs as an `Exchange` inside one `Effect.async`. A refused stream is sent again, up to
 * `MAX_REFUSED` times, when its body is in memory. Dialling runs here: TLS with ALPN (or TCP for h2c), then
 * an http2 session over that socket, handed to the pool once the peer's first SETTINGS arrived.
 * @internal
 */

import * as http2 from "node:http2"
import type * as net from "node:net"
import type * as tls from "node:tls"
import { Connector, Deadlines, Http1, HttpError, Request, type Response, type Url } from "@courier/core"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import type * as Fiber from "effect/Fiber"
import * as FiberId from "effect/FiberId"
import * as Stream from "effect/Stream"
import type { Options as ConnectorOptions } from "../../NodeConnector.js"
import { reach, settle, type Via } from "../dial.js"
import { discard } from "../discard.js"
import { peerOf } from "../socket.js"
import { Exchange, type Failure, type Mode, type Prepared, Refused } from "./exchange.js"
import { type Dialled, type Grant, Session, type SessionPool, type Waiter } from "./pool.js"

/** How many times a refused stream is sent again. */
const MAX_REFUSED = 2

/**
 * Fields of the caller's own that belong to an HTTP/1.1 connection and are malformed in HTTP/2 (RFC 9113
 * §8.2.2), Host, which is `:authority` here, and an `Expect` other than the `100-continue` that `outgoing`
 * turns into its flag.
 */
const DROPPED: ReadonlySet<string> = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "upgrade",
  "host",
  "expect",
])

/** Flow-control windows and limits of the sessions. */
export interface Windows {
  /** Bytes the peer may send on one stream before the reader takes them. */
  readonly streamWindowBytes: number
  /** Bytes the peer may send on the whole connection before readers take them. */
  readonly connectionWindowBytes: number
  /** The most header fields in a response head (HTTP/1.1's `maxHeaderCount`). */
  readonly maxHeaderCount: number
  /** The most bytes of a response head, as HPACK counts them (HTTP/1.1's `maxHeadBytes`). */
  readonly maxHeadBytes: number
}

/** The request as HTTP/2 fields, or the reason it cannot be sent. */
export const prepare = (
  request: Request.Request,
  url: Url.Url,
  defaults: Deadlines.Phases,
): Either.Either<Prepared, HttpError.HttpError> =>
  Either.flatMap(Request.outgoing(request), ({ fields: own, body, length, contentLength }) => {
    // The head's rules are HTTP's, whatever the framing: a token method and field names, clean values.
    const head = { method: request.method, target: url.target, host: url.hostHeader, headers: own }
    const invalid = Http1.invalidHead(head)
    if (invalid !== undefined) {
      return Either.left(new HttpError.InvalidHeader({ request: Request.info(request), ...invalid }))
    }
    const fields: http2.OutgoingHttpHeaders = {
      ":method": request.method,
      ":scheme": url.origin.scheme,
      ":authority": url.hostHeader,
      ":path": url.target,
    }
    for (const [name, value] of own) {
      const lower = name.toLowerCase()
      if (DROPPED.has(lower)) continue
      if (lower === "te" && value.trim().toLowerCase() !== "trailers") continue
      const had = fields[lower]
      fields[lower] = had === undefined ? value : Array.isArray(had) ? [...had, value] : [String(had), value]
    }
    // HTTP/2 frames the body itself; a known length is still announced (RFC 9113 §8.1.1).
    if (contentLength !== undefined) fields["content-length"] = String(contentLength)
    return Either.right({
      info: Request.info(request),
      headers: fields,
      body,
      empty: length === 0,
      replayable: body._tag === "Fixed",
      timeouts: Deadlines.phases(request.timeouts, defaults),
      maxBytes: request.maxResponseBytes,
      onInformational: request.onInformational,
    })
  })

/** The origin spoke HTTP/1.1 when dialled: the request goes over the HTTP/1.1 transport instead. */
export class UseHttp1 {
  readonly _tag = "UseHttp1"
}

export interface Binding {
  readonly pool: SessionPool
  readonly deadlines: Deadlines.Deadlines
  /** Runs an Effect in the transport's scope (dials, uploads). */
  readonly fork: <A, E>(effect: Effect.Effect<A, E>) => Fiber.RuntimeFiber<A, E>
}

const connectFailed = (p: Prepared, url: Url.Url, e: Connector.ConnectError): HttpError.HttpError =>
  Connector.toHttpError(e, p.info, url.origin, p.timeouts.connect)

/** Errors of `request` that mean the session cannot take a stream now; the request was never sent. */
const SESSION_GONE: ReadonlySet<string> = new Set([
  "ERR_HTTP2_INVALID_SESSION",
  "ERR_HTTP2_GOAWAY_SESSION",
  "ERR_HTTP2_OUT_OF_STREAMS",
])

/**
 * Why a stream could not be opened: the session closed under the request (a GOAWAY, say), which is refused
 * and tried again elsewhere, or node would not send this request at all.
 */
const unopened = (session: Session, p: Prepared, e: NodeJS.ErrnoException): Failure => {
  const code = e.code ?? "ERR_HTTP2"
  if (!SESSION_GONE.has(code)) return new HttpError.IOError({ request: p.info, code, reason: e.message })
  session.draining = true
  return new Refused(
    session.goawayCode === undefined
      ? new HttpError.IOError({ request: p.info, code, reason: e.message })
      : HttpError.StreamReset.of(p.info, http2.constants.NGHTTP2_REFUSED_STREAM, true),
  )
}

/** The outcome as an Effect, after the 1xx responses went to the request's hook. */
const outcomeOf = (ex: Exchange, outcome: Response.Response | Failure): Effect.Effect<Exchange, Failure> => {
  if (outcome instanceof Refused || HttpError.isHttpError(outcome)) return Effect.fail(outcome)
  const hooks = ex.interim.take()
  return hooks === undefined ? Effect.succeed(ex) : Effect.as(hooks, ex)
}

/** Sends a streamed body in pieces, each once the stream has room; a failing body resets the stream. */
const upload = (ex: Exchange, body: Stream.Stream<Uint8Array, unknown>): Effect.Effect<void> =>
  Stream.runForEach(body, (chunk) =>
    Effect.async<void, "closed">((resume) => {
      if (ex.ended || ex.stream.closed) return resume(Effect.fail("closed"))
      ex.stream.write(chunk)
      const cancel = ex.whenWritable((open) => resume(open ? Effect.void : Effect.fail("closed")))
      return Effect.sync(cancel)
    }),
  ).pipe(
    Effect.matchEffect({
      onSuccess: () => Effect.sync(() => ex.stream.end()),
      onFailure: (e) =>
        Effect.sync(() => {
          if (e === "closed") return
          const reason = e instanceof Error ? e.message : String(e)
          ex.fail(new HttpError.EncodeError({ request: ex.prepared.info, reason: `the body stream failed: ${reason}` }))
        }),
    }),
  )

/**
 * One attempt: a stream from the pool (at once, or after waiting in line with the acquire deadline), then
 * the exchange on it. Interruption leaves the line or cancels the stream.
 */
export const attempt = (
  b: Binding,
  p: Prepared,
  url: Url.Url,
  mode: Mode,
): Effect.Effect<Exchange, HttpError.HttpError | Refused | UseHttp1> =>
  Effect.async((resume) => {
    let cancel: () => void = () => undefined
    const run = (session: Session) => {
      let ex: Exchange
      try {
        ex = new Exchange(session, p, b.deadlines, mode, (s) => b.pool.release(s))
      } catch (e) {
        b.pool.release(session)
        return resume(Effect.fail(unopened(session, p, e as NodeJS.ErrnoException)))
      }
      cancel = () => ex.abandon()
      ex.start((outcome) => resume(outcomeOf(ex, outcome)))
      if (p.body._tag === "Streamed" && !p.empty) {
        const uploading = b.fork(upload(ex, p.body.stream))
        // A body whose source waits (or never ends) stops with its stream.
        ex.afterClose = () => uploading.unsafeInterruptAsFork(FiberId.none)
      }
    }
    const grant = (g: Grant) => {
      b.deadlines.cancel(deadline)
      if (g._tag === "Stream") return run(g.session)
      if (g._tag === "Http1") return resume(Effect.fail(new UseHttp1()))
      resume(Effect.fail(connectFailed(p, url, g.error)))
    }
    const waiter: Waiter = { grant, connectMillis: p.timeouts.connect }
    let deadline: Deadlines.Deadline | undefined
    const got = b.pool.request(url.origin, waiter)
    if (got instanceof Session) {
      run(got)
    } else {
      cancel = () => {
        b.deadlines.cancel(deadline)
        b.pool.cancel(url.origin.key, waiter)
      }
      deadline = b.deadlines.after(p.timeouts.acquire, () => {
        b.pool.cancel(url.origin.key, waiter)
        resume(Effect.fail(new HttpError.Timeout({ request: p.info, phase: "acquire", millis: p.timeouts.acquire })))
      })
    }
    return Effect.sync(() => cancel())
  })

/** Attempts until one is not refused, or the body cannot be sent again, or `MAX_REFUSED` retries are spent. */
export const exchange = (
  b: Binding,
  p: Prepared,
  url: Url.Url,
  mode: Mode,
  retries = 0,
): Effect.Effect<Exchange, HttpError.HttpError | UseHttp1> =>
  Effect.catchIf(
    attempt(b, p, url, mode),
    (e): e is Refused => e instanceof Refused,
    (refused) =>
      p.replayable && retries < MAX_REFUSED ? exchange(b, p, url, mode, retries + 1) : Effect.fail(refused.error),
  )

/** The next chunks of a streamed body. */
export const pull = (ex: Exchange): Effect.Effect<ReadonlyArray<Uint8Array> | undefined, HttpError.HttpError> =>
  Effect.async((resume) => {
    ex.pull((outcome) =>
      resume(
        outcome instanceof Refused
          ? Effect.fail(outcome.error)
          : outcome === undefined || Array.isArray(outcome)
            ? Effect.succeed(outcome as ReadonlyArray<Uint8Array> | undefined)
            : Effect.fail(outcome as HttpError.HttpError),
      ),
    )
    return Effect.sync(() => ex.abandon())
  })

// ---------------------------------------------------------------------------------------------------------
// Dialling

/** A GOAWAY before the peer's first SETTINGS: the server refused the connection. */
const goawayFirst = (code: unknown) =>
  new Connector.ConnectError({
    code: "ERR_HTTP2_GOAWAY_SESSION",
    reason: `the server sent GOAWAY (code ${String(code)}) before its settings`,
  })

/**
 * An http2 session over `socket`, once the peer's first SETTINGS arrived. The socket's own failure ends
 * the wait (a TLS alert after the handshake leaves the session silent until the socket closes), and a
 * socket that fails later is destroyed, so its session closes too.
 */
const session = (
  origin: Url.Origin,
  socket: net.Socket,
  windows: Windows,
): Effect.Effect<http2.ClientHttp2Session, Connector.ConnectError> =>
  Effect.suspend(() => {
    const host = origin.host.includes(":") ? `[${origin.host}]` : origin.host
    socket.on("error", () => socket.destroy())
    const s = http2.connect(`${origin.scheme}://${host}:${origin.port}`, {
      createConnection: () => socket,
      // The response head's limits are HTTP/1.1's; nghttp2 resets a stream past them (ENHANCE_YOUR_CALM for
      // too many fields, a size error for too large a head). The pseudo-header `:status` counts as one more.
      maxHeaderListPairs: windows.maxHeaderCount + 1,
      settings: {
        enablePush: false,
        initialWindowSize: windows.streamWindowBytes,
        maxHeaderListSize: windows.maxHeadBytes,
      },
    })
    const settled = settle(s, "remoteSettings", {
      closed: "the server closed the HTTP/2 connection before its settings",
      socket,
      refusals: { goaway: goawayFirst },
    })
    // In clear text nothing was negotiated: a peer that fails before its SETTINGS most likely speaks HTTP/1.1.
    const told =
      origin.scheme === "http"
        ? Effect.mapError(settled, (e) =>
            e.timeout === true
              ? e
              : new Connector.ConnectError({
                  code: e.code,
                  reason: `${e.reason}; the server did not answer in HTTP/2 (h2c, prior knowledge): it may speak only HTTP/1.1`,
                }),
          )
        : settled
    return Effect.tap(told, () => s.setLocalWindowSize(windows.connectionWindowBytes))
  })

export interface DialOptions {
  readonly tls: ConnectorOptions
  readonly windows: Windows
  /** Over TLS: also offer HTTP/1.1, and hand the socket over when the server picks it. */
  readonly fallback: ((origin: Url.Origin, socket: tls.TLSSocket) => void) | undefined
  /** Reach the origin through this tunnel (CONNECT or SOCKS5); TLS then runs inside it. */
  readonly tunnel: Via | undefined
}

/** Dials `origin` for HTTP/2: ALPN on TLS (inside a CONNECT tunnel when routed through a proxy), prior knowledge on cleartext. */
export const dial = (origin: Url.Origin, o: DialOptions): Effect.Effect<Dialled, Connector.ConnectError> =>
  // Each step is interruptible and destroys its own socket; between steps nothing is interruptible, so a
  // socket handed from one step to the next is always either in use or destroyed.
  Effect.uninterruptibleMask((restore) => {
    const h2 = (socket: net.Socket) =>
      restore(session(origin, socket, o.windows)).pipe(
        Effect.map((s): Dialled => ({ _tag: "H2", session: s, peer: peerOf(socket, o.tls.socketPath) })),
        Effect.onInterrupt(() => Effect.sync(() => discard(socket))),
      )
    const fallback = o.fallback
    const alpn = fallback === undefined ? ["h2"] : ["h2", "http/1.1"]
    const reached = restore(reach(origin, o.tls, o.tunnel, alpn))
    if (origin.scheme === "http") return Effect.flatMap(reached, h2)
    return Effect.flatMap(reached, (raw) => {
      const socket = raw as tls.TLSSocket
      if (socket.alpnProtocol === "h2") return h2(socket)
      if (fallback !== undefined) {
        fallback(origin, socket)
        return Effect.succeed<Dialled>({ _tag: "Http1" })
      }
      discard(socket)
      const offered = socket.alpnProtocol === false ? "none" : socket.alpnProtocol
      return Effect.fail(
        new Connector.ConnectError({
          code: "ERR_HTTP2_NOT_NEGOTIATED",
          reason: `the server did not agree to HTTP/2 (ALPN: ${offered})`,
        }),
      )
    })
  })
