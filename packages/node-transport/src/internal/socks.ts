/**
 * The client side of a SOCKS5 tunnel (RFC 1928) with username/password authentication (RFC 1929), over a
 * socket connected to the proxy. Each reply is read to the length its own fields give (at most 262 bytes),
 * so a proxy cannot make it grow; every refusal is a typed `ConnectError` naming the proxy and its reply
 * code. Written here rather than taken from the `socks` package: it is small, and this way it runs under
 * the pool's connect deadline and interruption like every other step of a dial.
 * @internal
 */
import * as net from "node:net"
import { Connector } from "@courier/core"
import { callback } from "@courier/core/internal/edition"
import * as Effect from "effect/Effect"
import { discard } from "./discard.js"

/** The reply codes of RFC 1928 §6. */
const REPLIES = [
  "succeeded",
  "general SOCKS server failure",
  "connection not allowed by ruleset",
  "network unreachable",
  "host unreachable",
  "connection refused",
  "TTL expired",
  "command not supported",
  "address type not supported",
]

const hex = (n: number) => `0x${n.toString(16).padStart(2, "0")}`

/** The CONNECT request's address: an IPv4 or IPv6 address, or a name of at most 255 bytes (RFC 1928 §5). */
const addressOf = (host: string): Buffer | string => {
  if (net.isIPv4(host)) return Buffer.from([0x01, ...host.split(".").map(Number)])
  if (net.isIPv6(host)) {
    const groups = expandIPv6(host)
    return Buffer.from([0x04, ...groups.flatMap((g) => [g >> 8, g & 0xff])])
  }
  const name = Buffer.from(host, "utf8")
  return name.length > 255
    ? `the host name is longer than 255 bytes`
    : Buffer.concat([Buffer.from([0x03, name.length]), name])
}

/** The eight 16-bit groups of an IPv6 address, `::` expanded (an embedded IPv4 tail included). */
const expandIPv6 = (address: string): Array<number> => {
  const [head = "", tail] = address.split("::")
  const parts = (s: string) =>
    s === ""
      ? []
      : s.split(":").flatMap((p) => {
          if (!p.includes(".")) return [Number.parseInt(p, 16)]
          const [a = 0, b = 0, c = 0, d = 0] = p.split(".").map(Number)
          return [(a << 8) | b, (c << 8) | d]
        })
  const left = parts(head)
  const right = tail === undefined ? [] : parts(tail)
  return [...left, ...Array.from({ length: 8 - left.length - right.length }, () => 0), ...right]
}

/** What the proxy must answer next. */
type Step = "method" | "auth" | "reply"

/**
 * One handshake on a socket: the greeting, the credentials when the proxy asks for them, CONNECT, and the
 * reading of each answer to its own length. `done` is told once, with the socket's fate.
 */
class Handshake {
  private step: Step = "method"
  private held = Buffer.alloc(0)
  private readonly name: string
  private readonly withAuth: boolean

  constructor(
    private readonly socket: net.Socket,
    private readonly proxy: Connector.Socks,
    private readonly target: { readonly host: string; readonly port: number },
    private readonly done: (outcome: Connector.ConnectError | undefined) => void,
  ) {
    this.name = `${proxy.host.includes(":") ? `[${proxy.host}]` : proxy.host}:${proxy.port}`
    this.withAuth = proxy.username !== "" || proxy.password !== ""
  }

  greet(): void {
    this.socket.write(Buffer.from(this.withAuth ? [0x05, 0x02, 0x00, 0x02] : [0x05, 0x01, 0x00]))
  }

  /** Takes the bytes that arrived, and every answer they complete. */
  receive(chunk: Buffer): void {
    this.held = Buffer.concat([this.held, chunk])
    while (this.advance());
  }

  refuse(code: string, reason: string): false {
    this.done(new Connector.ConnectError({ code, reason: `SOCKS5 proxy ${this.name}: ${reason}` }))
    return false
  }

  /** Takes the next answer from what has arrived; false when more bytes are needed or the handshake is over. */
  private advance(): boolean {
    const held = this.held
    if (held.length < 2) return false
    if (this.step !== "auth" && held[0] !== 0x05) {
      return this.refuse("EPROXY", `not a SOCKS5 proxy (its reply starts with ${hex(held[0] ?? 0)})`)
    }
    if (this.step === "method") return this.onMethod(held[1] ?? 0)
    if (this.step === "auth") return this.onAuth(held[1] ?? 0)
    return this.onReply()
  }

  private onMethod(method: number): boolean {
    this.held = this.held.subarray(2)
    if (method === 0x00) return this.connect()
    if (method === 0x02 && this.withAuth) {
      this.step = "auth"
      return this.authenticate()
    }
    const why =
      method === 0xff
        ? "it accepts none of the offered authentication methods"
        : `it chose method ${hex(method)}, not offered`
    return this.refuse("SOCKS_AUTH", why)
  }

  private onAuth(status: number): boolean {
    if (status !== 0x00)
      return this.refuse("SOCKS_AUTH", `it refused the user name and password (status ${hex(status)})`)
    this.held = this.held.subarray(2)
    return this.connect()
  }

  private onReply(): boolean {
    const held = this.held
    if (held.length < 5) return false
    const code = held[1] ?? 0
    if (code !== 0x00) {
      const { host, port } = this.target
      const meaning = REPLIES[code] ?? "an unknown reply"
      return this.refuse(`SOCKS_${code}`, `CONNECT to ${host}:${port} failed with ${hex(code)} (${meaning})`)
    }
    const type = held[3] ?? 0
    const length = type === 0x01 ? 4 : type === 0x04 ? 16 : type === 0x03 ? 1 + (held[4] ?? 0) : -1
    if (length < 0) return this.refuse("EPROXY", `its reply has address type ${hex(type)}`)
    const total = 4 + length + 2
    if (held.length < total) return false
    // The origin speaks first on a tunnel that carries TLS, and the client on one that carries HTTP.
    if (held.length > total) return this.refuse("EPROXY", "it sent bytes after its reply")
    this.done(undefined)
    return false
  }

  private authenticate(): boolean {
    const user = Buffer.from(this.proxy.username, "utf8")
    const password = Buffer.from(this.proxy.password, "utf8")
    if (user.length > 255 || password.length > 255) {
      return this.refuse("EINVAL", "a user name or password longer than 255 bytes (RFC 1929)")
    }
    this.socket.write(Buffer.concat([Buffer.from([0x01, user.length]), user, Buffer.from([password.length]), password]))
    return true
  }

  private connect(): boolean {
    this.step = "reply"
    const { host, port } = this.target
    const address = addressOf(host)
    if (typeof address === "string") return this.refuse("EINVAL", address)
    this.socket.write(Buffer.concat([Buffer.from([0x05, 0x01, 0x00]), address, Buffer.from([port >> 8, port & 0xff])]))
    return true
  }
}

/**
 * Asks the SOCKS5 proxy on `socket` for a tunnel to `target`: the greeting (no authentication, and
 * username/password when `proxy.username` is set), the credentials if the proxy picks them, then CONNECT.
 * Succeeds with the socket once the proxy answers 0x00; anything else fails, the socket destroyed.
 */
export const socks5 = (
  socket: net.Socket,
  proxy: Connector.Socks,
  target: { readonly host: string; readonly port: number },
) =>
  callback<net.Socket, Connector.ConnectError>((resume) => {
    const cleanup = () => {
      socket.off("data", onData)
      socket.off("end", onEnd)
      socket.off("error", onError)
    }
    const handshake = new Handshake(socket, proxy, target, (outcome) => {
      cleanup()
      if (outcome === undefined) return resume(Effect.succeed(socket))
      discard(socket)
      resume(Effect.fail(outcome))
    })
    const onData = (chunk: Buffer) => handshake.receive(chunk)
    const onEnd = () => handshake.refuse("EPROXY", "it closed the connection")
    const onError = (e: NodeJS.ErrnoException) => {
      cleanup()
      discard(socket)
      resume(Effect.fail(new Connector.ConnectError({ code: e.code ?? "EPROXY", reason: e.message })))
    }
    socket.on("data", onData)
    socket.once("end", onEnd)
    socket.once("error", onError)
    handshake.greet()
    return Effect.sync(() => {
      cleanup()
      discard(socket)
    })
  })
