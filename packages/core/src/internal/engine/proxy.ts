/**
 * Proxy routing: which requests go through which proxy. An http request is forwarded (absolute-form
 * target, RFC 9112 §3.2.2); an https one is tunnelled with CONNECT (RFC 9110 §9.3.6). NO_PROXY entries
 * match a host, a domain and its subdomains (`example.com`, `.example.com`), optionally with a port, or
 * everything (`*`). Loopback destinations never go through a proxy, as in Go's net/http.
 * @internal
 */
import * as Either from "effect/Either"
import * as Url from "../../Url.js"
import { basicAuthorization } from "../credentials.js"

/** Proxy settings; `Http1Transport.ProxyOptions` is this, documented for users. */
export interface ProxyOptions {
  /** The proxy for `http:` URLs, e.g. `http://user:pass@proxy.internal:3128`. */
  readonly http?: string | undefined
  /** The proxy for `https:` URLs (a CONNECT tunnel). */
  readonly https?: string | undefined
  /** Hosts reached directly: `example.com` (and its subdomains), `.example.com`, `host:port`, or `*`. */
  readonly noProxy?: ReadonlyArray<string> | undefined
  /**
   * Send requests to loopback addresses (localhost, 127/8, ::1) through the proxy too; by default they go
   * directly, as in Go's net/http.
   * @default false
   */
  readonly proxyLoopback?: boolean | undefined
}

export interface Proxy {
  readonly origin: Url.Origin
  /** `Proxy-Authorization` value from the proxy URL's user info. */
  readonly authorization: string | undefined
}

export type Route =
  | { readonly _tag: "Direct" }
  | { readonly _tag: "Forward"; readonly proxy: Proxy }
  | { readonly _tag: "Tunnel"; readonly proxy: Proxy }

const DIRECT: Route = { _tag: "Direct" }

const parseProxy = (value: string | undefined): Proxy | undefined => {
  if (value === undefined || value === "") return undefined
  const parsed = Url.parse(value.includes("://") ? value : `http://${value}`)
  if (Either.isLeft(parsed)) return undefined
  const u = parsed.right
  const authorization = u.username === "" && u.password === "" ? undefined : basicAuthorization(u.username, u.password)
  return { origin: u.origin, authorization }
}

const loopback = (host: string): boolean =>
  host === "localhost" || host.endsWith(".localhost") || /^127\./.test(host) || host === "::1"

const bypassed = (origin: Url.Origin, noProxy: ReadonlyArray<string>): boolean =>
  noProxy.some((raw) => {
    const entry = raw.trim().toLowerCase()
    if (entry === "") return false
    if (entry === "*") return true
    const [host = "", port] = entry.replace(/^\[|\](?=:|$)/g, "").split(/:(?=\d+$)/)
    if (port !== undefined && Number(port) !== origin.port) return false
    const name = host.startsWith(".") ? host.slice(1) : host
    return origin.host === name || origin.host.endsWith(`.${name}`)
  })

/** Decides the route for each origin from the options. */
export const router = (options: ProxyOptions | undefined): ((origin: Url.Origin) => Route) => {
  const http = parseProxy(options?.http)
  const https = parseProxy(options?.https)
  const noProxy = options?.noProxy ?? []
  if (http === undefined && https === undefined) return () => DIRECT
  return (origin) => {
    if ((options?.proxyLoopback !== true && loopback(origin.host)) || bypassed(origin, noProxy)) return DIRECT
    if (origin.scheme === "http") return http === undefined ? DIRECT : { _tag: "Forward", proxy: http }
    return https === undefined ? DIRECT : { _tag: "Tunnel", proxy: https }
  }
}
