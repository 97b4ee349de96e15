/**
 * Dialling for the node Connector: TCP, TLS (verification on, SNI for host names only, ALPN as asked) and
 * CONNECT tunnels through a proxy. Each step is an interruptible Effect that destroys its socket when
 * interrupted or failed.
 * @internal
 */
import * as net from "node:net"
import * as tls from "node:tls"
import { Connector, type Url } from "@courier/core"
import * as Effect from "effect/Effect"
import type { Options } from "../NodeConnector.js"

const connectError = (e: NodeJS.ErrnoException): Connector.ConnectError =>
  new Connector.ConnectError({ code: e.code ?? "ECONNECT", reason: e.message })

/** What `settle` waits on: a connecting socket, or an HTTP/2 session waiting for its peer's settings. */
interface Connecting extends NodeJS.EventEmitter {
  destroy(): unknown
}

/**
 * Waits for `event` on something connecting; an error, or a close (`closed` says what it means), fails
 * first, and interruption destroys it.
 */
export const settle = <S extends Connecting>(target: S, event: string, closed = "the connection closed") =>
  Effect.async<S, Connector.ConnectError>((resume) => {
    const fail = (error: Connector.ConnectError) => {
      cleanup()
      target.destroy()
      resume(Effect.fail(error))
    }
    const onError = (e: NodeJS.ErrnoException) => fail(connectError(e))
    const onClose = () => fail(new Connector.ConnectError({ code: "ECONNRESET", reason: closed }))
    const onReady = () => {
      cleanup()
      resume(Effect.succeed(target))
    }
    const cleanup = () => {
      target.off("error", onError)
      target.off("close", onClose)
      target.off(event, onReady)
    }
    target.once("error", onError)
    target.once("close", onClose)
    target.once(event, onReady)
    return Effect.sync(() => {
      cleanup()
      target.destroy()
    })
  })

export const tcp = (host: string, port: number) =>
  Effect.suspend(() => {
    const socket = net.connect({ host, port })
    socket.setNoDelay(true)
    socket.setKeepAlive(true, 60_000)
    return settle(socket, "connect")
  })

const authority = (origin: Url.Origin) =>
  `${origin.host.includes(":") ? `[${origin.host}]` : origin.host}:${origin.port}`

/**
 * Asks the proxy on `socket` for a tunnel to `origin` (RFC 9110 §9.3.6) and waits for its answer: a 2xx
 * opens the tunnel, anything else fails with the proxy's status.
 */
export const tunnel = (socket: net.Socket, origin: Url.Origin, authorization: string | undefined) =>
  Effect.async<net.Socket, Connector.ConnectError>((resume) => {
    let head = ""
    const onData = (chunk: Buffer) => {
      head += chunk.toString("latin1")
      const end = head.indexOf("\r\n\r\n")
      if (end === -1) return
      cleanup()
      const status = /^HTTP\/1\.[01] (\d{3})(?: (.*))?/.exec(head.slice(0, head.indexOf("\r\n")))
      if (status !== null && status[1]?.startsWith("2") === true && end + 4 === head.length) {
        return resume(Effect.succeed(socket))
      }
      socket.destroy()
      const code = status === null ? "EPROXY" : `PROXY_${status[1]}`
      const reason =
        status === null
          ? "the proxy did not answer CONNECT with HTTP"
          : `proxy answered CONNECT with ${status[1]} ${status[2] ?? ""}`.trim()
      resume(Effect.fail(new Connector.ConnectError({ code, reason })))
    }
    const onEnd = () => {
      cleanup()
      resume(Effect.fail(new Connector.ConnectError({ code: "EPROXY", reason: "the proxy closed the connection" })))
    }
    const onError = (e: NodeJS.ErrnoException) => {
      cleanup()
      resume(Effect.fail(connectError(e)))
    }
    const cleanup = () => {
      socket.off("data", onData)
      socket.off("end", onEnd)
      socket.off("error", onError)
    }
    socket.on("data", onData)
    socket.once("end", onEnd)
    socket.once("error", onError)
    const auth = authorization === undefined ? "" : `Proxy-Authorization: ${authorization}\r\n`
    socket.write(`CONNECT ${authority(origin)} HTTP/1.1\r\nHost: ${authority(origin)}\r\n${auth}\r\n`)
    return Effect.sync(() => {
      cleanup()
      socket.destroy()
    })
  })

/**
 * TLS to `origin`, over `socket` when given (a tunnel), offering the application protocols `alpn` in order
 * of preference; the protocol the server chose is the socket's `alpnProtocol`.
 */
export const secure = (
  origin: Url.Origin,
  options: Options,
  socket: net.Socket | undefined,
  alpn: ReadonlyArray<string> = ["http/1.1"],
) =>
  Effect.suspend(() => {
    const t = options.tls ?? {}
    const name = t.servername ?? origin.host
    const tlsSocket = tls.connect({
      ...(socket === undefined ? { host: origin.host, port: origin.port } : { socket }),
      // RFC 6066 §3: SNI carries host names only, never IP literals.
      ...(net.isIP(name) === 0 ? { servername: name } : {}),
      ALPNProtocols: [...alpn],
      rejectUnauthorized: t.rejectUnauthorized ?? true,
      ...(t.ca === undefined ? {} : { ca: t.ca as string | Buffer | Array<string | Buffer> }),
      ...(t.cert === undefined ? {} : { cert: t.cert }),
      ...(t.key === undefined ? {} : { key: t.key }),
    })
    if (socket === undefined) {
      tlsSocket.setNoDelay(true)
      tlsSocket.setKeepAlive(true, 60_000)
    }
    return settle(tlsSocket, "secureConnect")
  })
