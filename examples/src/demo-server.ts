/**
 * The embedded demo server every example runs against: node:http on 127.0.0.1, an ephemeral port, and
 * only in-memory state. It plays the live-event REST API of seed 000 (and, as other seeds land, an
 * httpbin-like echo service).
 */
import { randomUUID } from "node:crypto"
import * as http from "node:http"
import type * as net from "node:net"
import * as Effect from "effect/Effect"
import { httpbinLike } from "./demo-httpbin.js"

export const DEMO_API_KEY = "xxxyyyxxxyyyxxyy"
export const DEMO_USER = { email: "hochul.shin@example.com", password: "hochul.shin0password" }

interface LiveEvent {
  readonly id: string
  readonly title: string
  readonly start_time: number
}

const readBody = (req: http.IncomingMessage): Promise<string> =>
  new Promise((resolve, reject) => {
    let body = ""
    req.setEncoding("utf8")
    req.on("data", (d: string) => {
      body += d
    })
    req.on("end", () => resolve(body))
    req.on("error", reject)
  })

const send = (res: http.ServerResponse, status: number, body: unknown) => {
  const text = JSON.stringify(body)
  res.writeHead(status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text) })
  res.end(text)
}

const liveEventApi = () => {
  const sessions = new Map<string, string>()
  const events = new Map<string, Array<LiveEvent>>()
  return async (req: http.IncomingMessage, res: http.ServerResponse, path: string) => {
    if (req.headers["x-api-key"] !== DEMO_API_KEY) return send(res, 403, { error: "bad api key" })
    if (req.method === "POST" && path === "/user/authenticate") {
      const creds = JSON.parse(await readBody(req)) as { email?: string; password?: string }
      if (creds.email !== DEMO_USER.email || creds.password !== DEMO_USER.password) {
        return send(res, 401, { error: "bad credentials" })
      }
      const token = randomUUID()
      sessions.set(token, creds.email)
      return send(res, 200, { session_token: token, user_id: creds.email })
    }
    const match = /^\/user\/([^/]+)\/live_event$/.exec(path)
    if (match !== null) {
      const userId = decodeURIComponent(match[1] as string)
      if (sessions.get(String(req.headers["x-session-token"])) !== userId)
        return send(res, 401, { error: "no session" })
      const list = events.get(userId) ?? []
      if (req.method === "POST") {
        const payload = JSON.parse(await readBody(req)) as { title: string; start_time: number }
        const event = { id: `ev-${list.length + 1}`, title: payload.title, start_time: payload.start_time }
        events.set(userId, [...list, event])
        return send(res, 200, { live_event_id: event.id })
      }
      const last = list.at(-1)
      if (last === undefined) return send(res, 404, { error: "no live event" })
      const origin = `http://${req.headers.host}`
      return send(res, 200, {
        live_events: { down: `${origin}/stream/${last.id}/down`, up: `${origin}/stream/${last.id}/up` },
      })
    }
    return send(res, 404, { error: "not found" })
  }
}

/** Starts the demo server for the life of the scope and gives its base URL. */
export const demoServer = Effect.gen(function* () {
  const api = liveEventApi()
  const server = http.createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://demo").pathname
    if (path.startsWith("/maintenance/")) {
      // A captive-portal page in place of the API, with a 200: clients must fail with a typed error, not crash.
      res.writeHead(200, { "Content-Type": "text/html" })
      res.end("<html><body><h1>Down for maintenance</h1></body></html>")
      return
    }
    if (path === "/index.html") {
      const page = "<html><head><title>Courier demo</title></head><body>Hello from the demo server.</body></html>"
      res.writeHead(200, { "Content-Type": "text/html; charset=utf-8", "Content-Length": Buffer.byteLength(page) })
      res.end(page)
      return
    }
    if (req.method === "POST" && path === "/cgi-bin/query") {
      readBody(req).then(
        (body) => {
          const fields = Object.fromEntries(new URLSearchParams(body))
          const text = `query received: ${JSON.stringify(fields)} (Accept: ${req.headers.accept ?? "-"})\n`
          res.writeHead(200, { "Content-Type": "text/plain", "Content-Length": Buffer.byteLength(text) })
          res.end(text)
        },
        () => send(res, 400, { error: "bad request" }),
      )
      return
    }
    if (path.startsWith("/api/")) {
      api(req, res, path.slice(4)).catch(() => send(res, 400, { error: "bad request" }))
      return
    }
    httpbinLike(req, res, new URL(req.url ?? "/", `http://${req.headers.host}`)).then(
      (answered) => {
        if (!answered) send(res, 404, { error: "not found" })
      },
      () => send(res, 400, { error: "bad request" }),
    )
  })
  yield* Effect.acquireRelease(
    Effect.promise(() => new Promise<void>((listening) => server.listen(0, "127.0.0.1", listening))),
    () =>
      Effect.promise(
        () =>
          new Promise<void>((closed) => {
            server.closeAllConnections()
            server.close(() => closed())
          }),
      ),
  )
  const port = (server.address() as net.AddressInfo).port
  return { url: `http://127.0.0.1:${port}` }
})
