/**
 * Proxy routing: which requests go through which proxy. An http request is forwarded (absolute-form
 * target, RFC 9112 §3.2.2); an https one is tunnelled with CONNECT (RFC 9110 §9.3.6). NO_PROXY entries
 * match a host, a domain and its subdomains (`example.com`, `.example.com`), optionally with a port, or
 * everything (`*`). Loopback destinations never go through a proxy, as in Go's net/http.
 * @internal
 */

import type { Socks } from "../../Connector.js"
import * as Headers from "../../Headers.js"
import { type HttpError, InvalidHeader, InvalidURL, type RequestInfo, UnknownProtocol } from "../../HttpError.js"
import type { Request } from "../../Request.js"
import * as Url from "../../Url.js"
import { basicAuthorization } from "../shared/credentials.js"
import { Result } from "../shared/edition.js"

/** Proxy settings; `Http1Transport.ProxyOptions` is this, documented for users. */
export interface ProxyOptions {
  /**
   * The proxy for `http:` URLs, e.g. `http://user:pass@proxy.internal:3128` (requests forwarded to it), or a
   * SOCKS5 proxy, `socks5://` (names resolved here) or `socks5h://` (resolved by the proxy), default port 1080.
   */
  readonly http?: string | undefined
  /** The proxy for `https:` URLs: an http(s) proxy opens a CONNECT tunnel; a SOCKS5 proxy a SOCKS tunnel. */
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

/** Why a proxy URL cannot be used, as the error of each request that would go through it. */
export type Unusable = (request: RequestInfo) => InvalidURL | UnknownProtocol

/** A SOCKS5 proxy (RFC 1928), with `key` — `socks5h://host:port`, no credentials — for pool keys and messages. */
export type SocksProxy = Socks & { readonly key: string }

export type Route =
  | { readonly _tag: "Direct" }
  | { readonly _tag: "Forward"; readonly proxy: Proxy }
  | { readonly _tag: "Tunnel"; readonly proxy: Proxy }
  | { readonly _tag: "Socks"; readonly proxy: SocksProxy }
  /** The proxy that should carry the request has a URL Courier cannot use: the request fails, never goes direct. */
  | { readonly _tag: "Invalid"; readonly error: Unusable }

const DIRECT: Route = { _tag: "Direct" }

/**
 * The proxy a setting names, or why it cannot be used: a scheme other than http, https, socks5 and socks5h
 * (`socks4:` is not spoken), a URL that does not parse (a port past 65535), or one with a path, query or fragment (what a raw
 * `/` or `#` in an unencoded password turns the rest of the URL into).
 */
const parseProxy = (value: string | undefined): Proxy | SocksProxy | Unusable | undefined => {
  if (value === undefined || value === "") return undefined
  const raw = value.includes("://") ? value : `http://${value}`
  // A proxy URL's user info is a credential, and one with a raw `/` or `#` does not parse as user info:
  // everything up to the last `@` is hidden.
  const at = raw.lastIndexOf("@")
  const start = raw.indexOf("://") + 3
  const input = at > start ? `${raw.slice(0, start)}<redacted>${raw.slice(at)}` : raw
  if (/^socks5h?:\/\//i.test(raw)) return parseSocks(raw, input)
  const parsed = Url.parse(raw)
  if (Result.isFailure(parsed)) {
    const e = Result.failure(parsed)
    return e._tag === "UnknownProtocol"
      ? (request) => new UnknownProtocol({ request, protocol: e.protocol })
      : (request) => new InvalidURL({ request, input, reason: `proxy URL: ${e.reason}` })
  }
  const u = Result.success(parsed)
  if (u.target !== "/" || raw.includes("#")) return notOrigin(input)
  const authorization = u.username === "" && u.password === "" ? undefined : basicAuthorization(u.username, u.password)
  return { origin: u.origin, authorization }
}

/** A proxy URL that is more than scheme, credentials, host and port: what a raw `/` or `#` in a password makes. */
const notOrigin =
  (input: string): Unusable =>
  (request) =>
    new InvalidURL({
      request,
      input,
      reason: "a proxy URL is scheme://[user:password@]host:port; percent-encode / # ? @ in its credentials",
    })

/**
 * A `socks5://` or `socks5h://` URL: host, port (1080 by default) and credentials, or why it cannot be used;
 * `input` is the URL with its credentials hidden.
 */
const parseSocks = (raw: string, input: string): SocksProxy | Unusable => {
  let u: URL
  try {
    u = new URL(raw)
  } catch {
    return (request) => new InvalidURL({ request, input, reason: "proxy URL: not a URL" })
  }
  if (u.hostname === "" || (u.pathname !== "" && u.pathname !== "/") || u.search !== "" || u.hash !== "") {
    return notOrigin(input)
  }
  const decode = (s: string) => {
    try {
      return decodeURIComponent(s)
    } catch {
      return s
    }
  }
  const scheme = u.protocol.slice(0, -1).toLowerCase()
  const host = u.hostname.replace(/^\[|\]$/g, "")
  const port = u.port === "" ? 1080 : Number(u.port)
  return {
    host,
    port,
    username: decode(u.username),
    password: decode(u.password),
    remoteDns: scheme === "socks5h",
    key: `${scheme}://${u.hostname}:${port}`,
  }
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
  const via = (proxy: Proxy | SocksProxy | Unusable | undefined, tag: "Forward" | "Tunnel"): Route =>
    proxy === undefined
      ? DIRECT
      : typeof proxy === "function"
        ? { _tag: "Invalid", error: proxy }
        : "remoteDns" in proxy
          ? { _tag: "Socks", proxy }
          : { _tag: tag, proxy }
  const forward = via(http, "Forward")
  const tunnel = via(https, "Tunnel")
  return (origin) => {
    if ((options?.proxyLoopback !== true && loopback(origin.host)) || bypassed(origin, noProxy)) return DIRECT
    return origin.scheme === "http" ? forward : tunnel
  }
}

/**
 * Why a request cannot take its route, if so: its proxy's URL is unusable, or it is tunnelled and carries a
 * `Proxy-Authorization` of its own, which belongs to the proxy alone and would reach the origin through the
 * tunnel (undici refuses it too; credentials for a tunnel go in the proxy URL).
 */
export const refusal = (route: Route, request: Request, info: RequestInfo): HttpError | undefined => {
  if (route._tag === "Invalid") return route.error(info)
  if ((route._tag === "Tunnel" || route._tag === "Socks") && Headers.has(request.headers, "proxy-authorization")) {
    const reason = "a tunnelled request cannot carry it to the origin; give the proxy's credentials in its URL"
    return new InvalidHeader({ request: info, name: "Proxy-Authorization", reason })
  }
  return undefined
}
