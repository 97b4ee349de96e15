/**
 * Seed 003 in Courier, over HTTPS against a local server whose certificate authority is made at start:
 * the overview's three ways to GET /users — requests' one call, http.client's HTTPSConnection, urllib's
 * urlopen — as Courier's one-call API, its httplib-style Connection, and a Request value run by a Client.
 */
import { Client, Connection, Request, Response } from "@courier/core"
import { NodeConnector, NodeTransport } from "@courier/node-transport"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import { secureServer } from "./secure-server.js"

const say = (line: string) => Console.log(`  ${line}`)

/** response = requests.get('https://api.example.com/users') */
export const viaRequests = (origin: string, ca: string) =>
  Effect.gen(function* () {
    const response = yield* Client.get(`${origin}/users`)
    return { status: response.status, version: response.version, users: yield* Response.json(response) }
  }).pipe(Effect.provide(NodeTransport.client({ tls: { ca } })))

/** conn = http.client.HTTPSConnection(host); conn.request('GET', '/users'); response = conn.getresponse() */
export const viaHttpClient = (port: number, ca: string) =>
  Effect.gen(function* () {
    const conn = yield* Connection.https("localhost", port)
    yield* conn.request("GET", "/users")
    const response = yield* conn.getresponse
    const body = new TextDecoder().decode(yield* response.read())
    return { status: response.status, users: JSON.parse(body) as unknown }
  }).pipe(Effect.scoped, Effect.provide(NodeConnector.layer({ tls: { ca } })))

/** response = urllib.request.urlopen('https://api.example.com/users'): a request value, then its response. */
export const viaUrllib = (origin: string, ca: string) =>
  Effect.gen(function* () {
    const response = yield* Client.fetch(Request.get(`${origin}/users`))
    return { status: response.status, version: response.version, users: yield* Response.json(response) }
  }).pipe(Effect.provide(NodeTransport.client({ tls: { ca } })))

export const overview = Effect.gen(function* () {
  yield* Console.log("\n== Seed 003: requests, http.client and urllib, over HTTPS ==")
  const { ca, port, origin } = yield* secureServer
  yield* say(`HTTPS server on ${origin} (HTTP/2 and HTTP/1.1 by ALPN), its certificate signed by a CA made at start`)
  const a = yield* viaRequests(origin, ca)
  yield* say(`requests.get -> ${a.status} over ${a.version}, ${JSON.stringify(a.users)}`)
  const b = yield* viaHttpClient(port, ca)
  yield* say(`HTTPSConnection request/getresponse -> ${b.status}, ${JSON.stringify(b.users)}`)
  const c = yield* viaUrllib(origin, ca)
  yield* say(`urlopen -> ${c.status} over ${c.version}, ${JSON.stringify(c.users)}`)
}).pipe(Effect.scoped)
