/**
 * The httpbin-like part of the demo server: the endpoints the Cookbook (seed 001) and Zerynth (seed 004)
 * examples call, answering as httpbin does — an echo of args, form, files, JSON and headers — plus cookies,
 * Basic auth, HEAD on a page, a streamed body and a PyPI-like login page.
 */

import { createHash } from "node:crypto"
import type * as http from "node:http"

const readAll = (req: http.IncomingMessage): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const chunks: Array<Buffer> = []
    req.on("data", (d: Buffer) => chunks.push(d))
    req.on("end", () => resolve(Buffer.concat(chunks)))
    req.on("error", reject)
  })

const reply = (
  res: http.ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string | Array<string>> = {},
) => {
  const text = `${JSON.stringify(body, null, 2)}\n`
  res.writeHead(status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text), ...headers })
  res.end(text)
}

/** Header names as httpbin shows them: Title-Case. */
const titled = (req: http.IncomingMessage) =>
  Object.fromEntries(
    Object.entries(req.headers).map(([k, v]) => [
      k.replace(/(^|-)([a-z])/g, (_, a: string, b: string) => a + b.toUpperCase()),
      String(v),
    ]),
  )

const echo = async (req: http.IncomingMessage, url: URL) => {
  const raw = await readAll(req)
  const type = req.headers["content-type"] ?? ""
  const form: Record<string, string> = {}
  const files: Record<string, string> = {}
  let json: unknown = null
  if (type.startsWith("application/x-www-form-urlencoded")) {
    for (const [k, v] of new URLSearchParams(raw.toString())) form[k] = v
  } else if (type.startsWith("multipart/form-data")) {
    const parsed = await new globalThis.Request("http://demo/", {
      method: "POST",
      body: new Uint8Array(raw),
      headers: { "content-type": type },
    }).formData()
    for (const [k, v] of parsed as unknown as Iterable<[string, string | File]>) {
      if (typeof v === "string") form[k] = v
      else files[k] = await v.text()
    }
  } else if (type.startsWith("application/json")) {
    try {
      json = JSON.parse(raw.toString())
    } catch {
      json = null
    }
  }
  return {
    args: Object.fromEntries(url.searchParams),
    data: type.startsWith("application/json") || type === "" ? raw.toString() : "",
    files,
    form,
    headers: titled(req),
    json,
    method: req.method,
    origin: req.socket.remoteAddress,
    url: url.href,
    sha256: createHash("sha256").update(raw).digest("hex"),
    length: raw.length,
  }
}

const cookiesOf = (req: http.IncomingMessage) =>
  Object.fromEntries(
    (req.headers.cookie ?? "")
      .split(";")
      .map((c) => c.trim())
      .filter((c) => c.includes("="))
      .map((c) => [c.slice(0, c.indexOf("=")), c.slice(c.indexOf("=") + 1)]),
  )

const basicUser = (req: http.IncomingMessage) => {
  const auth = req.headers.authorization ?? ""
  if (!auth.startsWith("Basic ")) return undefined
  const [user, ...rest] = Buffer.from(auth.slice(6), "base64").toString().split(":")
  return { user: user ?? "", password: rest.join(":") }
}

/** Answers the request if it is one of the httpbin-like routes; returns false when it is not. */
export const httpbinLike = async (req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<boolean> => {
  const path = url.pathname
  if (req.method === "OPTIONS") {
    res.writeHead(204, { Allow: "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS" })
    res.end()
    return true
  }
  if (["/get", "/post", "/put", "/patch", "/delete", "/anything"].includes(path) || path.startsWith("/anything/")) {
    reply(res, 200, await echo(req, url))
    return true
  }
  if (path === "/headers") {
    reply(res, 200, { headers: titled(req) })
    return true
  }
  const set = /^\/cookies\/set\/([^/]+)\/([^/]+)$/.exec(path)
  if (set !== null) {
    res.writeHead(302, { Location: "/cookies", "Set-Cookie": `${set[1]}=${set[2]}; Path=/` })
    res.end()
    return true
  }
  if (path === "/cookies") {
    reply(res, 200, { cookies: cookiesOf(req) })
    return true
  }
  const basic = /^\/basic-auth\/([^/]+)\/([^/]+)$/.exec(path)
  if (basic !== null) {
    const got = basicUser(req)
    if (got !== undefined && got.user === basic[1] && got.password === basic[2]) {
      reply(res, 200, { authenticated: true, user: got.user })
    } else reply(res, 401, { authenticated: false }, { "WWW-Authenticate": 'Basic realm="demo"' })
    return true
  }
  if (path === "/pypi") {
    // The Cookbook's PyPI login, played locally: Basic credentials give the logged-in page.
    await readAll(req)
    const got = basicUser(req)
    if (got === undefined || got.user !== "joseamaita" || got.password !== "demo-password") {
      res.writeHead(401, { "WWW-Authenticate": 'Basic realm="pypi"', "Content-Type": "text/html" })
      res.end("<html><body>Login required</body></html>")
      return true
    }
    res.writeHead(200, { "Content-Type": "text/html; charset=utf-8" })
    res.end(
      `<html><head><title>PyPI - the Python Package Index</title></head><body><h4>Welcome ${got.user}</h4></body></html>`,
    )
    return true
  }
  if (path === "/") {
    const page = "<html><head><title>Welcome to the Courier demo</title></head><body>Courier</body></html>"
    res.writeHead(200, {
      Server: "courier-demo",
      "Content-Type": "text/html; charset=utf-8",
      "Content-Length": Buffer.byteLength(page),
    })
    res.end(req.method === "HEAD" ? undefined : page)
    return true
  }
  const stream = /^\/stream-bytes\/(\d+)$/.exec(path)
  if (stream !== null) {
    const total = Number(stream[1])
    res.writeHead(200, { "Content-Type": "application/octet-stream" })
    let sent = 0
    const step = () => {
      while (sent < total) {
        const n = Math.min(1000, total - sent)
        sent += n
        if (!res.write(Buffer.alloc(n, 0x61 + ((sent / 1000) % 26)))) return res.once("drain", step)
      }
      res.end()
    }
    step()
    return true
  }
  return false
}
