/**
 * Seed 002 in Courier: httplib's two example sessions over one low-level Connection each — a GET of
 * /index.html then a 404 on the same connection, and a form POST with headers — against the demo server.
 */
import { Connection, Url } from "@courier/core"
import { NodeConnector } from "@courier/node-transport"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import { demoServer } from "../demo-server.js"

const say = (line: string) => Console.log(`  ${line}`)
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes)

/** conn.request("GET", "/index.html"); r1 = conn.getresponse(); … then /parrot.spam on the same connection. */
export const getSession = (hostPort: string) =>
  Effect.gen(function* () {
    const conn = yield* Connection.http(hostPort)
    yield* conn.request("GET", "/index.html")
    const r1 = yield* conn.getresponse
    yield* say(`GET /index.html -> ${r1.status} ${r1.reason} (HTTP/${r1.version === 11 ? "1.1" : "1.0"})`)
    const data1 = yield* r1.read()
    yield* say(`read ${data1.length} bytes; Content-Type: ${r1.getheader("content-type", "none")}`)
    yield* conn.request("GET", "/parrot.spam")
    const r2 = yield* conn.getresponse
    yield* say(`GET /parrot.spam -> ${r2.status} ${r2.reason}, on the same connection`)
    const data2 = yield* r2.read()
    yield* say(`read ${data2.length} bytes`)
    yield* conn.close
    return [r1.status, r2.status] as const
  }).pipe(Effect.scoped)

/** params = urlencode({spam: 1, eggs: 2, bacon: 0}); conn.request("POST", "/cgi-bin/query", params, headers). */
export const postSession = (hostPort: string) =>
  Effect.gen(function* () {
    const params = Url.encodeQuery([
      ["spam", "1"],
      ["eggs", "2"],
      ["bacon", "0"],
    ])
    const headers = { "Content-type": "application/x-www-form-urlencoded", Accept: "text/plain" }
    const conn = yield* Connection.http(hostPort)
    yield* conn.request("POST", "/cgi-bin/query", params, headers)
    const response = yield* conn.getresponse
    yield* say(`POST /cgi-bin/query -> ${response.status} ${response.reason}`)
    const data = text(yield* response.read())
    yield* say(`body: ${data.trim()}`)
    yield* conn.close
    return data
  }).pipe(Effect.scoped)

export const httplib = Effect.gen(function* () {
  yield* Console.log("== seed 002: httplib's low-level connection ==")
  const server = yield* demoServer
  const hostPort = server.url.replace("http://", "")
  yield* getSession(hostPort)
  yield* postSession(hostPort)
}).pipe(Effect.scoped, Effect.provide(NodeConnector.layer()))
