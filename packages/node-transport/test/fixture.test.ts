// Record real exchanges through the node transport, then replay them with no server at all.
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Client, Response } from "@courier/core"
import { Fixture } from "@courier/mock-transport"
import { NodeTransport } from "@courier/node-transport"
import { describe, expect, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import { scoped } from "../../core/test/edition.js"
import { h2Server, trust } from "./h2servers.js"
import { httpServer } from "./servers.js"

const tmp = () => path.join(fs.mkdtempSync(path.join(os.tmpdir(), "courier-fixture-")), "api.json")

const api = httpServer((req, res) => {
  let body = ""
  req.on("data", (d: Buffer) => {
    body += d.toString()
  })
  req.on("end", () => {
    res.writeHead(200, { "Content-Type": "application/json", "Set-Cookie": "session=s3cr3t" })
    res.end(JSON.stringify({ path: req.url, body }))
  })
})

/** The application code under test: two calls whose answers it combines. */
const app = (base: string) =>
  Effect.gen(function* () {
    const a = yield* Effect.flatMap(
      Client.get(`${base}/users`, { params: { page: "1" }, headers: { Authorization: "Bearer t0ken" } }),
      Response.json,
    )
    const b = yield* Effect.flatMap(Client.post(`${base}/orders`, { json: { item: 7 } }), Response.json)
    return [a, b]
  })

const recordTo = (file: string) =>
  Client.layer().pipe(Layer.provide(Fixture.record(file).pipe(Layer.provide(NodeTransport.layer()))))

describe("record and replay", () => {
  scoped("an HTTP/2 exchange replays as HTTP/2", () =>
    Effect.gen(function* () {
      const file = tmp()
      const server = yield* h2Server("h2")
      const recording = Client.layer().pipe(
        Layer.provide(Fixture.record(file).pipe(Layer.provide(NodeTransport.layer(trust)))),
      )
      const live = yield* Client.get(`${server.url}/two`).pipe(Effect.provide(recording))
      const replayed = yield* Client.get(`${server.url}/two`).pipe(
        Effect.provide(Client.layer().pipe(Layer.provideMerge(Fixture.replay(file)))),
      )
      expect([live.version, replayed.version]).toEqual(["HTTP/2", "HTTP/2"])
      expect(yield* Response.json(replayed)).toEqual(yield* Response.json(live))
    }),
  )

  scoped("records real exchanges with credentials redacted, and replays them without the server", () =>
    Effect.gen(function* () {
      const file = tmp()
      const server = yield* api
      const live = yield* app(server.url).pipe(Effect.provide(recordTo(file)))
      const fixture = JSON.parse(fs.readFileSync(file, "utf8")) as Fixture.Fixture
      expect(fixture.entries).toHaveLength(2)
      expect(fixture.entries[0]?.request.headers).toContainEqual(["Authorization", "<redacted>"])
      expect(fixture.entries[0]?.response.headers).toContainEqual(["Set-Cookie", "<redacted>"])
      expect(JSON.stringify(fixture)).not.toContain("t0ken")
      expect(JSON.stringify(fixture)).not.toContain("s3cr3t")
      // Replay: same answers, and the server is not asked again.
      const before = server.connections()
      const replayed = yield* app(server.url).pipe(
        Effect.provide(Client.layer().pipe(Layer.provideMerge(Fixture.replay(file)))),
      )
      expect(replayed).toEqual(live)
      expect(server.connections()).toBe(before)
    }),
  )

  it.effect("lockdown: a request that is not in the fixture fails, and fails the test at scope close", () =>
    Effect.gen(function* () {
      const file = tmp()
      fs.writeFileSync(file, JSON.stringify({ courierFixture: 1, entries: [] }))
      const exit = yield* Effect.exit(
        Effect.flip(Client.get("http://api.test/new")).pipe(
          Effect.tap((e) => Effect.sync(() => expect(e._tag).toBe("UnmatchedRequest"))),
          Effect.provide(Client.layer().pipe(Layer.provideMerge(Fixture.replay(file)))),
        ),
      )
      expect(Exit.isFailure(exit) && Cause.pretty(exit.cause)).toContain("no route matched GET http://api.test/new")
    }),
  )

  scoped("passthrough: unknown requests go to the transport below", () =>
    Effect.gen(function* () {
      const file = tmp()
      fs.writeFileSync(file, JSON.stringify({ courierFixture: 1, entries: [] }))
      const server = yield* api
      const layer = Client.layer().pipe(
        Layer.provideMerge(Fixture.replayOrPass(file).pipe(Layer.provide(NodeTransport.layer()))),
      )
      const r = yield* Effect.flatMap(Client.get(`${server.url}/live`), Response.json).pipe(Effect.provide(layer))
      expect(r).toEqual({ path: "/live", body: "" })
    }),
  )

  it.effect("a fixture that does not match the schema is a FixtureError", () =>
    Effect.gen(function* () {
      const file = tmp()
      fs.writeFileSync(file, JSON.stringify({ courierFixture: 1, entries: [{ request: {} }] }))
      const error = yield* Effect.flip(Fixture.load(file))
      expect(error._tag).toBe("FixtureError")
      expect(error.message).toContain("invalid")
      const missing = yield* Effect.flip(Fixture.load(`${file}.missing`))
      expect(missing.message).toContain("cannot read")
    }),
  )

  scoped("exports HAR 1.2", () =>
    Effect.gen(function* () {
      const file = tmp()
      const server = yield* api
      yield* app(server.url).pipe(Effect.provide(recordTo(file)))
      const har = Fixture.toHar(yield* Fixture.load(file))
      expect(har.log.version).toBe("1.2")
      expect(har.log.entries).toHaveLength(2)
      const post = har.log.entries[1]
      expect(post?.request.method).toBe("POST")
      expect(post?.request.postData?.text).toBe('{"item":7}')
      expect(post?.response.status).toBe(200)
      expect(har.log.entries[0]?.request.queryString).toEqual([{ name: "page", value: "1" }])
    }),
  )
})
