// The Effect 4 edition from its tarballs, from ESM, as an application calls it (scripts/edition4/pack-check.sh).
import * as http from "node:http"
import * as http2 from "node:http2"
import { Client, Request, Response, VERSION } from "@courier/core"
import * as Platform from "@courier/core/Platform"
import { MockTransport } from "@courier/mock-transport"
import { NodeTransport } from "@courier/node-transport"
import { Effect, Layer, Schema, Stream } from "effect"
import { FetchHttpClient, HttpClient, HttpClientRequest, HttpClientResponse } from "effect/http"
import { HttpApi, HttpApiClient, HttpApiEndpoint, HttpApiGroup } from "effect/http-api"

const MiB = 1024 * 1024
const listen = (server) => new Promise((r) => server.listen(0, "127.0.0.1", () => r(server.address().port)))
const check = (what, ok, got) => {
  if (!ok) throw new Error(`edition4 smoke: ${what}: ${JSON.stringify(got)}`)
  console.log(`edition4 smoke: ${what}: ${JSON.stringify(got)}`)
}

const server = http.createServer((req, res) => {
  if (req.url === "/user/authenticate") {
    res.setHeader("content-type", "application/json")
    return res.end(JSON.stringify({ session_token: "t0k3n", user_id: "42" }))
  }
  if (req.url?.startsWith("/users/")) {
    res.setHeader("content-type", "application/json")
    return res.end(JSON.stringify({ id: req.url.slice("/users/".length), name: "Ada" }))
  }
  if (req.url === "/echo") {
    const chunks = []
    req.on("data", (c) => chunks.push(c))
    req.on("end", () => {
      res.setHeader("content-type", "application/json")
      res.end(JSON.stringify({ got: JSON.parse(Buffer.concat(chunks).toString()) }))
    })
    return
  }
  if (req.url === "/missing") {
    res.statusCode = 404
    return res.end("not here")
  }
  if (req.url === "/big") {
    // 8 MiB in 64 KiB writes, each after the last is taken: a download the client must stream.
    let sent = 0
    const more = () => {
      while (sent < 8 * MiB) {
        sent += 64 * 1024
        if (!res.write(Buffer.alloc(64 * 1024, 1))) return res.once("drain", more)
      }
      res.end()
    }
    return more()
  }
  res.end(`hello ${req.url}`)
})
const origin = `http://127.0.0.1:${await listen(server)}/`
const h2 = http2.createServer((req, res) => res.end(`h2 ${req.url}`))
const h2Port = await listen(h2)

// The README's taste: a JSON login, decoded with effect/Schema, through a client with a base URL.
const Session = Schema.Struct({ session_token: Schema.String, user_id: Schema.String })
const login = (email, password) =>
  Client.post("user/authenticate", { json: { email, password } }).pipe(
    Effect.flatMap(Response.filterStatusOk),
    Effect.flatMap(Response.schemaJson(Session)),
  )
const Api = NodeTransport.client({ baseUrl: origin, headers: { "X-API-KEY": "key" } })
const session = await Effect.runPromise(login("ada@example.com", "secret").pipe(Effect.provide(Api)))
check("the taste's login", session.session_token === "t0k3n" && session.user_id === "42", session)

// A streamed download: the body arrives in pieces inside the caller's scope, never whole in memory.
const streamed = await Effect.runPromise(
  Effect.scoped(
    Effect.flatMap(Client.execute(Request.get(`${origin}big`)), (response) =>
      Stream.runFold(
        Response.stream(response),
        () => ({ bytes: 0, pieces: 0 }),
        (acc, piece) => ({
          bytes: acc.bytes + piece.length,
          pieces: acc.pieces + 1,
        }),
      ),
    ),
  ).pipe(Effect.provide(NodeTransport.client())),
)
check("a streamed download", streamed.bytes === 8 * MiB && streamed.pieces > 1, streamed)

// HTTP/2: h2c with prior knowledge, three requests multiplexed on one connection.
const over2 = await Effect.runPromise(
  Effect.all(
    ["/a", "/b", "/c"].map((p) =>
      Effect.flatMap(Client.fetch(Request.get(`http://127.0.0.1:${h2Port}${p}`)), (r) =>
        Effect.map(Response.text(r), (text) => `${r.version} ${text}`),
      ),
    ),
    { concurrency: "unbounded" },
  ).pipe(Effect.provide(NodeTransport.client({ httpVersion: "2" }))),
)
check("HTTP/2", over2.join() === "HTTP/2 h2 /a,HTTP/2 h2 /b,HTTP/2 h2 /c", over2)

// The mock transport, as a test would use it: a route, its reply, and the history of calls.
const mock = MockTransport.layer([{ method: "GET", path: "/users/:id", reply: { status: 200, json: { id: 7 } } }])
const mocked = await Effect.runPromise(
  Effect.gen(function* () {
    const user = yield* Effect.flatMap(Client.get("http://api.test/users/7"), Response.json)
    const calls = yield* MockTransport.calls
    return { user, calls: calls.length }
  }).pipe(Effect.provide(Client.layer().pipe(Layer.provideMerge(mock)))),
)
check("the mock transport", mocked.user.id === 7 && mocked.calls === 1, mocked)

// effect/http's HttpClient over Courier: its builders, schemas and status filter, and HttpApiClient on top.
const User = Schema.Struct({ id: Schema.String, name: Schema.String })
const DemoApi = HttpApi.make("demo").add(
  HttpApiGroup.make("users").add(
    HttpApiEndpoint.get("getUser", "/users/:id", { params: { id: Schema.String }, success: User }),
  ),
)
const overCourier = await Effect.runPromise(
  Effect.gen(function* () {
    const client = yield* HttpClient.HttpClient
    const user = yield* Effect.flatMap(client.get(`${origin}users/3`), HttpClientResponse.schemaBodyJson(User))
    const echoed = yield* HttpClientRequest.post(`${origin}echo`).pipe(
      HttpClientRequest.bodyJsonUnsafe({ x: 1 }),
      client.execute,
      Effect.flatMap((r) => r.json),
    )
    const missing = yield* Effect.flip(client.pipe(HttpClient.filterStatusOk).get(`${origin}missing`))
    const api = yield* HttpApiClient.make(DemoApi, { baseUrl: origin })
    const viaApi = yield* api.users.getUser({ params: { id: "7" } })
    return { user, echoed, missing: missing.reason._tag, viaApi }
  }).pipe(Effect.provide(Platform.httpClient().pipe(Layer.provide(NodeTransport.layer())))),
)
check(
  "effect/http's HttpClient and HttpApiClient over Courier",
  overCourier.user.id === "3" &&
    overCourier.echoed.got.x === 1 &&
    overCourier.missing === "StatusCodeError" &&
    overCourier.viaApi.name === "Ada",
  overCourier,
)

// And the other way: Courier's Client over effect/http's FetchHttpClient.
const overFetch = await Effect.runPromise(
  Effect.flatMap(Client.get(`${origin}fetched`), Response.text).pipe(
    Effect.provide(Client.layer().pipe(Layer.provide(Platform.transport()), Layer.provide(FetchHttpClient.layer))),
  ),
)
check("Courier over effect/http's FetchHttpClient", overFetch === "hello /fetched", overFetch)

let hidden = false
try {
  await import("@courier/core/internal/engine/pool.js")
} catch (e) {
  hidden = e.code === "ERR_PACKAGE_PATH_NOT_EXPORTED"
}
check("internal modules stay unexported", hidden, hidden)
server.close()
h2.close()
console.log(
  `edition4 smoke: @courier/core ${VERSION} ran on effect ${(await import("effect/package.json", { with: { type: "json" } })).default.version}`,
)
