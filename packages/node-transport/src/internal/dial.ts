/**
 * Dialling for the node Connector: TCP or a Unix domain socket, TLS (verification on, SNI for host names
 * only, ALPN as asked) and CONNECT tunnels through a proxy (TLS to the proxy too when its URL is https). Each step is an
 * interruptible Effect that destroys its socket when interrupted or failed.
 *
 * A socket or session that a step gives up on keeps an `error` listener after it is destroyed: node may
 * still emit an error on it (an HTTP/2 session emits the socket's error when it finally closes), and an
 * error with no listener would take the process down.
 * @internal
 */
import * as dns from "node:dns"
import type { EventEmitter } from "node:events"
import * as net from "node:net"
import * as tls from "node:tls"
import { Connector, Http1, type Url } from "@courier/core"
import { callback, nowMillis } from "@courier/core/internal/edition"
import * as Effect from "effect/Effect"
import type { Options, TlsOptions } from "../NodeConnector.js"
import { type Discardable, discard } from "./discard.js"
import { cached, defaultCacheOptions, fixed, type Lookup, resolveTable, systemResolver, withFamily } from "./dns.js"
import { socks5 } from "./socks.js"

const connectError = (e: NodeJS.ErrnoException): Connector.ConnectError =>
  new Connector.ConnectError({ code: e.code ?? "ECONNECT", reason: e.message })

/** What `settle` waits on: a connecting socket, or an HTTP/2 session waiting for its peer's settings. */
type Connecting = Discardable

/** What else ends a wait in `settle`. */
export interface SettleOptions {
  /** What a close before the event means. */
  readonly closed?: string
  /**
   * The socket under the target (an HTTP/2 session's): its error or close fails the wait too, since a
   * session over a socket that failed after the TLS handshake (an alert such as `certificate required`)
   * emits nothing until that socket closes.
   */
  readonly socket?: net.Socket | undefined
  /** Events that mean the peer refused, each with the error it becomes (an HTTP/2 GOAWAY before SETTINGS). */
  readonly refusals?: Readonly<Record<string, (first: unknown) => Connector.ConnectError>>
}

/**
 * Waits for `event` on something connecting; an error, a close or a refusal fails first, and interruption
 * destroys it (and the socket under it).
 */
export const settle = <S extends Connecting>(target: S, event: string, options: SettleOptions = {}) =>
  callback<S, Connector.ConnectError>((resume) => {
    const under = options.socket
    const listeners: Array<readonly [EventEmitter, string, (...args: Array<unknown>) => void]> = []
    const on = (emitter: EventEmitter, name: string, listener: (...args: Array<unknown>) => void) => {
      emitter.once(name, listener)
      listeners.push([emitter, name, listener])
    }
    const cleanup = () => {
      for (const [emitter, name, listener] of listeners) emitter.off(name, listener)
    }
    const giveUp = () => {
      cleanup()
      discard(target)
      if (under !== undefined) discard(under)
    }
    const fail = (error: Connector.ConnectError) => {
      giveUp()
      resume(Effect.fail(error))
    }
    const onError = (e: unknown) => fail(connectError(e as NodeJS.ErrnoException))
    const onClose = () =>
      fail(new Connector.ConnectError({ code: "ECONNRESET", reason: options.closed ?? "the connection closed" }))
    for (const emitter of under === undefined ? [target] : [target, under]) {
      on(emitter, "error", onError)
      on(emitter, "close", onClose)
    }
    for (const [name, refused] of Object.entries(options.refusals ?? {})) {
      on(target, name, (first) => fail(refused(first)))
    }
    on(target, event, () => {
      cleanup()
      resume(Effect.succeed(target))
    })
    return Effect.sync(giveUp)
  })

/** How a TCP connection finds its address: a lookup, a family, happy eyeballs (RFC 8305) and its attempt delay. */
export type TcpOptions = Pick<
  net.TcpNetConnectOpts,
  "lookup" | "family" | "autoSelectFamily" | "autoSelectFamilyAttemptTimeout"
>

export const tcp = (host: string, port: number, how: TcpOptions = {}) =>
  Effect.suspend(() => {
    const socket = net.connect({ ...how, host, port })
    socket.setNoDelay(true)
    socket.setKeepAlive(true, 60_000)
    return settle(socket, "connect")
  })

/** The resolution options of each connector's options, made once: the `--resolve` table and the DNS cache. */
const dialers = new WeakMap<Options, Dialer>()

/** Where the connections of one connector's options go: the TCP options for each host and port. */
class Dialer {
  /** The clock of the last dial, which the DNS cache keeps its TTLs by (the Effect Clock: TestClock in tests). */
  now: () => number = Date.now
  private readonly table: Map<string, ReadonlyArray<{ address: string; family: 4 | 6 }>> | string
  private readonly general: Lookup | undefined

  constructor(private readonly options: Options) {
    this.table = resolveTable(options.resolve ?? [])
    const cache = options.dnsCache
    this.general =
      options.lookup ??
      (cache === undefined || cache === false
        ? undefined
        : cached(systemResolver(), { ...defaultCacheOptions, ...(cache === true ? {} : cache) }, () => this.now()))
  }

  /** The TCP options for `host` and `port`, or why the options cannot be used. */
  tcpFor(host: string, port: number): TcpOptions | string {
    if (typeof this.table === "string") return this.table
    const pinned = this.table.get(`${host.toLowerCase()}:${port}`)
    const chosen = pinned === undefined ? this.general : fixed(pinned)
    const family = this.options.family
    const lookup = chosen === undefined || family === undefined ? chosen : withFamily(chosen, family)
    const eyeballs = this.options.happyEyeballs ?? true
    return {
      ...(lookup === undefined ? {} : { lookup }),
      ...(this.options.family === undefined ? {} : { family: this.options.family }),
      autoSelectFamily: eyeballs !== false,
      ...(typeof eyeballs === "object" && eyeballs.attemptDelayMillis !== undefined
        ? { autoSelectFamilyAttemptTimeout: Math.max(10, eyeballs.attemptDelayMillis) }
        : {}),
    }
  }
}

/** The options' Dialer, its DNS cache on the clock of this dial. */
const dialerOf = (options: Options) =>
  Effect.clockWith((clock) => {
    let dialer = dialers.get(options)
    if (dialer === undefined) {
      dialer = new Dialer(options)
      dialers.set(options, dialer)
    }
    dialer.now = () => nowMillis(clock)
    return Effect.succeed(dialer)
  })

/** A TCP connection to `host` and `port` as the options resolve them. */
const tcpTo = (host: string, port: number, options: Options) =>
  Effect.flatMap(dialerOf(options), (dialer) => {
    const how = dialer.tcpFor(host, port)
    return typeof how === "string"
      ? Effect.fail(new Connector.ConnectError({ code: "EINVAL", reason: how }))
      : tcp(host, port, how)
  })

/** A connection to the Unix domain socket at `path`; failures name the path (`connect ENOENT /run/x.sock`). */
export const unix = (path: string) =>
  Effect.suspend(() =>
    Effect.mapError(settle(net.connect({ path }), "connect"), (e) =>
      e.reason.includes(path) ? e : new Connector.ConnectError({ code: e.code, reason: `${e.reason} (${path})` }),
    ),
  )

const authority = (origin: Url.Origin) =>
  `${origin.host.includes(":") ? `[${origin.host}]` : origin.host}:${origin.port}`

/** The CONNECT request for `origin` (RFC 9110 §9.3.6), through the codec's head checks and encoder. */
const connectHead = (origin: Url.Origin, authorization: string | undefined) => {
  const head: Http1.RequestHead = {
    method: "CONNECT",
    target: authority(origin),
    host: authority(origin),
    headers: authorization === undefined ? [] : [["Proxy-Authorization", authorization]],
  }
  const invalid = Http1.invalidHead(head)
  return invalid === undefined
    ? Effect.succeed(Http1.encodeHead(head))
    : Effect.fail(new Connector.ConnectError({ code: "EPROXY", reason: `CONNECT ${invalid.name}: ${invalid.reason}` }))
}

/** What the proxy's reply to CONNECT, as decoded so far, means for the tunnel. */
const replyOutcome = (
  events: ReadonlyArray<Http1.Event>,
  decoder: Http1.ResponseDecoder,
): Connector.ConnectError | "open" | "more" => {
  for (const event of events) {
    if (event._tag === "Error") {
      return new Connector.ConnectError({
        code: "EPROXY",
        reason: `the proxy's reply to CONNECT is not HTTP/1.1 (${event.failure._tag})`,
        proxyReply: event.failure,
      })
    }
    if (event._tag !== "Head") continue
    if (event.status < 200 || event.status > 299) {
      const reason = `proxy answered CONNECT with ${event.status} ${event.reason}`.trim()
      return new Connector.ConnectError({ code: `PROXY_${event.status}`, reason })
    }
    // The origin speaks first in a tunnel (a TLS ClientHello is ours to send): bytes before it are not its.
    if (decoder.leftover.length > 0) {
      return new Connector.ConnectError({ code: "EPROXY", reason: "the proxy sent bytes after its 2xx to CONNECT" })
    }
    return "open"
  }
  return "more"
}

/**
 * Asks the proxy on `socket` for a tunnel to `origin` (RFC 9110 §9.3.6) and reads its answer with the
 * HTTP/1.1 decoder and its head limits, so a reply that never ends or is not HTTP fails as soon as that is
 * known: a 2xx opens the tunnel, any other status fails with it.
 */
export const tunnel = (
  socket: net.Socket,
  origin: Url.Origin,
  authorization: string | undefined,
  limits: Partial<Http1.Limits> = {},
) =>
  Effect.flatMap(connectHead(origin, authorization), (head) =>
    callback<net.Socket, Connector.ConnectError>((resume) => {
      const decoder = Http1.makeDecoder("CONNECT", limits)
      const conclude = (outcome: Connector.ConnectError | "open" | "more") => {
        if (outcome === "more") return
        cleanup()
        if (outcome === "open") return resume(Effect.succeed(socket))
        discard(socket)
        resume(Effect.fail(outcome))
      }
      const onData = (chunk: Buffer) => conclude(replyOutcome(decoder.feed(chunk), decoder))
      const onEnd = () => {
        const outcome = replyOutcome(decoder.eof(), decoder)
        // Closed before a byte of the reply: no malformed reply to report, only the close.
        const silent = outcome instanceof Connector.ConnectError && outcome.proxyReply?._tag === "BadStatusLine"
        conclude(
          silent && outcome.proxyReply.line === ""
            ? new Connector.ConnectError({ code: "EPROXY", reason: "the proxy closed the connection" })
            : outcome,
        )
      }
      const onError = (e: NodeJS.ErrnoException) => conclude(connectError(e))
      const cleanup = () => {
        socket.off("data", onData)
        socket.off("end", onEnd)
        socket.off("error", onError)
      }
      socket.on("data", onData)
      socket.once("end", onEnd)
      socket.once("error", onError)
      socket.write(head)
      return Effect.sync(() => {
        cleanup()
        discard(socket)
      })
    }),
  )

/**
 * TLS to `origin`, over `socket` when given (a tunnel), offering the application protocols `alpn` in order
 * of preference; the protocol the server chose is the socket's `alpnProtocol`.
 */
export const secure = (
  origin: Url.Origin,
  t: TlsOptions,
  socket: net.Socket,
  alpn: ReadonlyArray<string> = ["http/1.1"],
) =>
  Effect.suspend(() => {
    const name = t.servername ?? origin.host
    const tlsSocket = tls.connect({
      socket,
      // The name the certificate is checked against: over a socket of its own node would otherwise check
      // an IP literal (which sends no SNI) against "localhost".
      host: name,
      // RFC 6066 §3: SNI carries host names only, never IP literals.
      ...(net.isIP(name) === 0 ? { servername: name } : {}),
      ALPNProtocols: [...alpn],
      rejectUnauthorized: t.rejectUnauthorized ?? true,
      ...(t.ca === undefined ? {} : { ca: t.ca as string | Buffer | Array<string | Buffer> }),
      ...(t.cert === undefined ? {} : { cert: t.cert }),
      ...(t.key === undefined ? {} : { key: t.key }),
    })
    return settle(tlsSocket, "secureConnect", { socket })
  })

/** A connection to a proxy: TCP, then TLS with the proxy TLS settings when its URL is https. */
export const toProxy = (proxy: Url.Origin, options: Options): Effect.Effect<net.Socket, Connector.ConnectError> =>
  Effect.uninterruptibleMask((restore) => {
    const raw = restore(tcpTo(proxy.host, proxy.port, options))
    return proxy.scheme === "https"
      ? Effect.flatMap(raw, (socket) => restore(secure(proxy, options.proxyTls ?? {}, socket)))
      : raw
  })

/** How a connection reaches its origin through a proxy: a CONNECT tunnel, or a SOCKS5 one. */
export type Via =
  | { readonly _tag: "Connect"; readonly proxy: Url.Origin; readonly authorization: string | undefined }
  /** `key`: the route's, for parking a socket under the key the HTTP/1.1 pool gives it. */
  | ({ readonly _tag: "Socks"; readonly key?: string } & Connector.Socks)

/** The proxy a connector is asked to reach an origin through, if any. */
export const viaOf = (connect: Connector.ConnectOptions): Via | undefined =>
  connect.socks !== undefined
    ? { _tag: "Socks", ...connect.socks }
    : connect.tunnel === undefined
      ? undefined
      : { _tag: "Connect", ...connect.tunnel }

/** The address `host` resolves to here, as the options resolve it (for `socks5:`, which sends an address). */
const resolveHere = (host: string, port: number, options: Options) =>
  Effect.flatMap(dialerOf(options), (dialer) =>
    callback<string, Connector.ConnectError>((resume) => {
      if (net.isIP(host) !== 0) return resume(Effect.succeed(host))
      const how = dialer.tcpFor(host, port)
      if (typeof how === "string")
        return resume(Effect.fail(new Connector.ConnectError({ code: "EINVAL", reason: how })))
      const lookup: Lookup = how.lookup ?? dns.lookup
      lookup(host, { all: false, ...(how.family === undefined ? {} : { family: how.family }) }, (err, address) => {
        if (err !== null) resume(Effect.fail(connectError(err)))
        else resume(Effect.succeed(typeof address === "string" ? address : (address[0]?.address ?? host)))
      })
    }),
  )

/**
 * The socket an exchange with `origin` runs over: TCP or TLS to it, or a CONNECT tunnel through `via` with
 * TLS inside for an https origin, offering `alpn` there. Between steps nothing is interruptible, so a socket
 * handed from one step to the next is always either in use or destroyed.
 */
export const reach = (
  origin: Url.Origin,
  options: Options,
  via: Via | undefined,
  alpn?: ReadonlyArray<string>,
): Effect.Effect<net.Socket, Connector.ConnectError> =>
  Effect.uninterruptibleMask((restore) => {
    const inside = (socket: net.Socket): Effect.Effect<net.Socket, Connector.ConnectError> =>
      origin.scheme === "https" ? restore(secure(origin, options.tls ?? {}, socket, alpn)) : Effect.succeed(socket)
    // Over a Unix domain socket the URL gives only Host and path: the socket file is the first hop.
    const path = options.socketPath
    if (path !== undefined) return Effect.flatMap(restore(unix(path)), inside)
    if (via === undefined) return Effect.flatMap(restore(tcpTo(origin.host, origin.port, options)), inside)
    if (via._tag === "Socks") {
      // socks5h: the proxy resolves the name; socks5: it is resolved here and the address sent.
      const target = via.remoteDns
        ? Effect.succeed(origin.host)
        : restore(resolveHere(origin.host, origin.port, options))
      return Effect.flatMap(target, (host) =>
        Effect.flatMap(restore(tcpTo(via.host, via.port, options)), (raw) =>
          Effect.flatMap(restore(socks5(raw, via, { host, port: origin.port })), inside),
        ),
      )
    }
    return Effect.flatMap(restore(toProxy(via.proxy, options)), (raw) =>
      Effect.flatMap(restore(tunnel(raw, origin, via.authorization, options.limits)), inside),
    )
  })
