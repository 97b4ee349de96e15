// The low-level Connection (httplib's HTTPConnection) over real sockets.
import { Connection } from "@courier/core"
import { NodeConnector } from "@courier/node-transport"
import { describe, expect } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { scoped, withLog } from "../../core/test/edition.js"
import { httpServer, scriptedServer } from "./servers.js"

const echo = httpServer((req, res) => {
  let body = ""
  req.on("data", (d: Buffer) => {
    body += d.toString("latin1")
  })
  req.on("end", () => {
    if (req.url === "/missing") {
      res.writeHead(404, { "Content-Type": "text/plain" })
      res.end("nothing here")
      return
    }
    const text = JSON.stringify({ method: req.method, url: req.url, headers: req.rawHeaders, body })
    res.writeHead(200, { "Content-Type": "application/json", "X-Multi": ["a", "b"] })
    res.end(text)
  })
})

const hostPort = (url: string) => url.replace("http://", "")
const decode = (b: Uint8Array) => new TextDecoder().decode(b)

describe("Connection (httplib)", () => {
  scoped("request/getresponse twice on one socket: 200 then 404, status, reason, version, headers", () =>
    Effect.gen(function* () {
      const server = yield* echo
      const conn = yield* Connection.http(hostPort(server.url))
      yield* conn.request("GET", "/index.html")
      const r1 = yield* conn.getresponse
      expect([r1.status, r1.reason, r1.version]).toEqual([200, "OK", 11])
      expect(r1.getheader("content-type")).toBe("application/json")
      expect(r1.getheader("x-absent", "default")).toBe("default")
      expect(r1.getheaders().filter(([k]) => k === "X-Multi")).toEqual([
        ["X-Multi", "a"],
        ["X-Multi", "b"],
      ])
      const sent = JSON.parse(decode(yield* r1.read())) as { headers: Array<string> }
      expect(sent.headers).toEqual(["Host", hostPort(server.url), "Accept-Encoding", "identity"])
      yield* conn.request("GET", "/missing")
      const r2 = yield* conn.getresponse
      expect([r2.status, r2.reason]).toEqual([404, "Not Found"])
      expect(decode(yield* r2.read())).toBe("nothing here")
      expect(server.connections()).toBe(1)
    }).pipe(Effect.provide(NodeConnector.layer())),
  )

  scoped("request adds Content-Length to a body, and the step-by-step API sends the same", () =>
    Effect.gen(function* () {
      const server = yield* echo
      const conn = yield* Connection.http(hostPort(server.url))
      yield* conn.request("POST", "/q", "spam=1&eggs=2", { "Content-type": "application/x-www-form-urlencoded" })
      const r = JSON.parse(decode(yield* (yield* conn.getresponse).read())) as { headers: Array<string>; body: string }
      expect(r.body).toBe("spam=1&eggs=2")
      expect(r.headers).toContain("13")
      yield* conn.putrequest("PUT", "/steps", { skipAcceptEncoding: true })
      yield* conn.putheader("Content-Length", 6)
      yield* conn.putheader("X-List", "a", "b")
      yield* conn.endheaders()
      yield* conn.send("abc")
      yield* conn.send(new TextEncoder().encode("def"))
      const steps = JSON.parse(decode(yield* (yield* conn.getresponse).read())) as {
        method: string
        headers: Array<string>
        body: string
      }
      expect(steps.method).toBe("PUT")
      expect(steps.body).toBe("abcdef")
      expect(steps.headers).toEqual(["Host", hostPort(server.url), "Content-Length", "6", "X-List", "a, b"])
    }).pipe(Effect.provide(NodeConnector.layer())),
  )

  scoped("read(amt) returns the body in pieces, then empty", () =>
    Effect.gen(function* () {
      const server = yield* echo
      const conn = yield* Connection.http(hostPort(server.url))
      yield* conn.request("GET", "/missing")
      const r = yield* conn.getresponse
      expect(decode(yield* r.read(4))).toBe("noth")
      expect(r.isclosed()).toBe(false)
      expect(decode(yield* r.read(100))).toBe("ing here")
      expect(r.isclosed()).toBe(true)
      expect((yield* r.read()).length).toBe(0)
    }).pipe(Effect.provide(NodeConnector.layer())),
  )

  scoped("the order of calls is enforced with typed connection-state errors", () =>
    Effect.gen(function* () {
      const server = yield* echo
      const conn = yield* Connection.http(hostPort(server.url))
      expect((yield* Effect.flip(conn.getresponse))._tag).toBe("ResponseNotReady")
      expect((yield* Effect.flip(conn.putheader("X", "1")))._tag).toBe("CannotSendHeader")
      expect((yield* Effect.flip(conn.endheaders()))._tag).toBe("CannotSendHeader")
      yield* conn.putrequest("GET", "/")
      expect((yield* Effect.flip(conn.putrequest("GET", "/again")))._tag).toBe("CannotSendRequest")
      yield* conn.endheaders()
      const r = yield* conn.getresponse
      expect((yield* Effect.flip(conn.getresponse))._tag).toBe("ResponseNotReady")
      const unread = yield* Effect.flip(conn.request("GET", "/next"))
      expect(unread).toMatchObject({ _tag: "CannotSendRequest", state: "Response-unread" })
      expect(unread.message).toContain("read the whole response first")
      yield* r.read()
      yield* conn.request("GET", "/next")
      yield* conn.close
      expect((yield* Effect.flip(conn.getresponse))._tag).toBe("NotConnected")
      yield* conn.request("GET", "/after-close")
      expect((yield* conn.getresponse).status).toBe(200)
    }).pipe(Effect.provide(NodeConnector.layer())),
  )

  scoped("an HTTP/1.0 server gives version 10", () =>
    Effect.gen(function* () {
      const server = yield* scriptedServer("HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok")
      const conn = yield* Connection.http(hostPort(server.url))
      yield* conn.request("GET", "/")
      const r = yield* conn.getresponse
      expect(r.version).toBe(10)
      expect(decode(yield* r.read())).toBe("ok")
    }).pipe(Effect.provide(NodeConnector.layer())),
  )

  scoped("a bad port is InvalidURL; a refused one is HTTPConnectionError", () =>
    Effect.gen(function* () {
      expect((yield* Effect.flip(Connection.http("localhost:notaport")))._tag).toBe("InvalidURL")
      const conn = yield* Connection.http("127.0.0.1", 1)
      expect((yield* Effect.flip(conn.request("GET", "/")))._tag).toBe("HTTPConnectionError")
    }).pipe(Effect.provide(NodeConnector.layer())),
  )

  scoped("debug level 1 logs the wire through Effect's logger with credentials redacted", () =>
    Effect.gen(function* () {
      const lines: Array<string> = []
      const server = yield* echo
      yield* Effect.gen(function* () {
        const conn = yield* Connection.http(hostPort(server.url))
        yield* conn.setDebugLevel(1)
        yield* conn.request("GET", "/", undefined, { Authorization: "Bearer secret-token", "X-Plain": "visible" })
        yield* (yield* conn.getresponse).read()
      }).pipe((effect) => withLog(effect, (line) => lines.push(line)))
      const log = lines.join("\n")
      expect(log).toContain("send:")
      expect(log).toContain("GET / HTTP/1.1")
      expect(log).toContain("Authorization: <redacted>")
      expect(log).toContain("X-Plain: visible")
      expect(log).not.toContain("secret-token")
      expect(log).toContain("reply:")
      expect(log).toContain("HTTP/1.1 200 OK")
    }).pipe(Effect.provide(NodeConnector.layer())),
  )
})
