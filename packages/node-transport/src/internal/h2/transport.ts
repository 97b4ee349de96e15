/**
 * HTTP/2 as the socket transport's Multiplexer: what a dial offers (ALPN `h2, http/1.1`, or h2c with prior
 * knowledge), an http2 session over a socket that negotiated `h2` (handed to the pool once the peer's first
 * SETTINGS arrived), and one request on a stream of it: the request as core prepared it (`Request.outgoing`,
 * checked by the same rules as HTTP/1.1), the connection fields of the caller's own that HTTP/2 forbids
 * dropped and the pseudo-headers added, run as an `Exchange` inside one `Effect.async`. The pool, the line,
 * the deadlines' timer heap and the retry of a refused stream are core's, shared with HTTP/1.1.
 * @internal
 */

import * as http2 from "node:http2"
import type * as net from "node:net"
import { Connector, HttpError, type Multiplex, Response, type Url } from "@courier/core"
import { callback, type Fork } from "@courier/core/internal/edition"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { settle } from "../dial.js"
import { NodeSocket } from "../socket.js"
import { Exchange, type Failure, type Prepared, Refused } from "./exchange.js"
import { type Run, Session } from "./session.js"

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

/** The request as HTTP/2 fields: core checked it already, by the rules both protocols share. */
export const prepare = (p: Multiplex.Prepared): Prepared => {
  const { fields: own, body, length, contentLength } = p.outgoing
  const url = p.url
  const fields: http2.OutgoingHttpHeaders = {
    ":method": p.method,
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
  return {
    info: p.info,
    headers: fields,
    body,
    empty: length === 0,
    timeouts: p.timeouts,
    maxBytes: p.maxResponseBytes,
    onInformational: p.onInformational,
  }
}

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
  const io = new HttpError.IOError({ request: p.info, code, reason: e.message })
  if (!SESSION_GONE.has(code)) return io
  session.drain()
  const refusedStream = HttpError.StreamReset.of(p.info, http2.constants.NGHTTP2_REFUSED_STREAM, true)
  return new Refused(session.goawayCode === undefined ? io : refusedStream)
}

/** A failure as the pool's outcome: refused (never processed), or failed. */
const failed = (failure: Failure): Multiplex.Outcome =>
  failure instanceof Refused ? { _tag: "Refused", error: failure.error } : { _tag: "Failed", error: failure }

/** The exchange's outcome for the pool, with the 1xx responses for the request's hook. */
const outcomeOf = (ex: Exchange, outcome: Response.Response | Failure): Multiplex.Outcome => {
  if (!Response.isResponse(outcome)) return failed(outcome)
  if (!ex.ended) outcome.body = { pull: pull(ex) }
  return { _tag: "Answered", response: outcome, abandon: () => ex.abandon(), informational: ex.interim.take() }
}

/** Sends a streamed body in pieces, each once the stream has room; a failing body resets the stream. */
const upload = (ex: Exchange, body: Stream.Stream<Uint8Array, unknown>): Effect.Effect<void> =>
  Stream.runForEach(body, (chunk) =>
    callback<void, "closed">((resume) => {
      if (ex.ended || ex.stream.closed) return resume(Effect.fail("closed"))
      ex.stream.write(chunk)
      const cancel = ex.whenWritable((open) => resume(open ? Effect.void : Effect.fail("closed")))
      return Effect.sync(() => cancel())
    }),
  ).pipe(
    Effect.matchEffect({
      onSuccess: () =>
        Effect.sync(() => {
          ex.stream.end()
        }),
      onFailure: (e) =>
        Effect.sync(() => {
          if (e === "closed") return
          const reason = e instanceof Error ? e.message : String(e)
          ex.fail(new HttpError.EncodeError({ request: ex.prepared.info, reason: `the body stream failed: ${reason}` }))
        }),
    }),
  )

/**
 * One request on a new stream of `session`, started at once; the function returned resets the stream. A
 * body not in memory is uploaded by a fiber of the transport's (`fork`) as the stream takes it.
 */
export const runner =
  (fork: Fork): Run =>
  (session, request, mode, lease, done) => {
    const p = prepare(request)
    let ex: Exchange
    try {
      ex = new Exchange(session, p, mode, lease)
    } catch (e) {
      lease.release()
      done(failed(unopened(session, p, e as NodeJS.ErrnoException)))
      return () => undefined
    }
    ex.start((outcome) => done(outcomeOf(ex, outcome)))
    if (p.body._tag === "Streamed" && !p.empty) {
      // A body whose source waits (or never ends) stops with its stream.
      ex.afterClose = fork(upload(ex, p.body.stream))
    }
    return () => ex.abandon()
  }

/** The next chunks of a streamed body. */
export const pull = (ex: Exchange): Effect.Effect<ReadonlyArray<Uint8Array> | undefined, HttpError.HttpError> =>
  callback((resume) => {
    ex.pull((outcome) =>
      resume(
        outcome instanceof Refused
          ? Effect.fail(outcome.error)
          : HttpError.isHttpError(outcome)
            ? Effect.fail(outcome)
            : Effect.succeed(outcome),
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
    return Effect.tap(told, () => Effect.sync(() => s.setLocalWindowSize(windows.connectionWindowBytes)))
  })

export interface Http2Options {
  readonly windows: Windows
  /** The local cap on streams per session. */
  readonly maxStreamsPerSession: number
  /** `"2"`: HTTP/2 only (h2c with prior knowledge in clear text); `"auto"`: h2 or HTTP/1.1 over TLS. */
  readonly version: "auto" | "2"
  /** Runs the uploads of streamed bodies, in the transport's scope. */
  readonly fork: Fork
}

/** What a server that would not speak HTTP/2 when only HTTP/2 was asked for fails with. */
const notNegotiated = (protocol: string | undefined) =>
  new Connector.ConnectError({
    code: "ERR_HTTP2_NOT_NEGOTIATED",
    reason: `the server did not agree to HTTP/2 (ALPN: ${protocol ?? "none"})`,
  })

/** HTTP/2 for the socket transport's pool. */
export const multiplexer = (o: Http2Options): Multiplex.Multiplexer => {
  const run = runner(o.fork)
  const tls: ReadonlyArray<string> = o.version === "2" ? ["h2"] : ["h2", "http/1.1"]
  const clear: ReadonlyArray<string> | undefined = o.version === "2" ? ["h2"] : undefined
  return {
    offer: (origin) => (origin.scheme === "https" ? tls : clear),
    open: (socket, origin, changed, deadlines) => {
      if (socket.protocol !== "h2") {
        return o.version === "2" ? Effect.fail(notNegotiated(socket.protocol)) : Effect.succeed(undefined)
      }
      const raw = socket instanceof NodeSocket ? socket.takeOver() : undefined
      if (raw === undefined || raw instanceof Connector.SocketError) {
        const reason = raw === undefined ? "HTTP/2 needs a node socket" : raw.reason
        return Effect.fail(new Connector.ConnectError({ code: raw?.code ?? "ERR_HTTP2", reason }))
      }
      return Effect.flatMap(session(origin, raw, o.windows), (s) =>
        Effect.as(
          Effect.addFinalizer(() => Effect.sync(() => s.destroy())),
          new Session(socket.id, s, o.maxStreamsPerSession, socket.peer, deadlines, run, changed),
        ),
      )
    },
  }
}
