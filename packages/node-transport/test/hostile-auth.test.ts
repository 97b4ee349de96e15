// Auth flows against hostile or failing servers, over real sockets on 127.0.0.1: a Digest challenge long
// enough to stall a quadratic parser, and a token endpoint that keeps failing while many callers wait.
import { Auth, Client, Request, Response } from "@courier/core"
import { NodeTransport } from "@courier/node-transport"
import { describe, expect } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { scoped } from "../../core/test/edition.js"
import { httpServer } from "./servers.js"

const MiB = 1024 * 1024

describe("hostile peers: auth challenges", () => {
  scoped(
    "a 1 MiB Digest challenge of token characters with no '=' is parsed in one pass: the 401 comes back",
    () =>
      Effect.gen(function* () {
        // The regex split this replaced stalled the event loop for 17.6 s on 100 KB, growing with the square.
        const challenge = `Digest ${"a".repeat(MiB)}`
        const server = yield* httpServer((_req, res) => {
          res.writeHead(401, { "WWW-Authenticate": challenge })
          res.end()
        })
        const client = (yield* Client.Client).pipe(Client.withAuth({ digest: { username: "u", password: "p" } }))
        const r = yield* client.fetch(Request.get(`${server.url}/locked`))
        expect(r.status).toBe(401)
        expect(server.connections()).toBe(1)
      }).pipe(
        // A head this large needs the decoder's limits raised; by default a line stops at 8 KiB.
        Effect.provide(NodeTransport.client({ limits: { maxLineBytes: 2 * MiB, maxHeadBytes: 2 * MiB } })),
      ),
    5_000,
  )
})

describe("a token endpoint that fails while many callers wait", () => {
  scoped("20 concurrent callers share one failed fetch: one request to the endpoint, the same error for all", () =>
    Effect.gen(function* () {
      const hits = { token: 0, api: 0 }
      const server = yield* httpServer((req, res) => {
        if (req.url === "/token") hits.token++
        else hits.api++
        res.writeHead(req.url === "/token" ? 503 : 200)
        res.end()
      })
      const bare = yield* Client.Client
      const fetchToken = Effect.flatMap(bare.fetch(Request.post(`${server.url}/token`)), (r) =>
        Effect.as(Response.filterStatusOk(r), { token: "never" }),
      )
      const provider = yield* Auth.tokenProvider(fetchToken)
      const api = bare.pipe(Client.withAuth({ token: provider }))
      const errors = yield* Effect.forEach(
        Array.from({ length: 20 }),
        () => Effect.flip(api.fetch(Request.get(`${server.url}/data`))),
        { concurrency: "unbounded" },
      )
      expect(new Set(errors.map((e) => (e._tag === "StatusError" ? e.status : e._tag)))).toEqual(new Set([503]))
      expect(hits).toEqual({ token: 1, api: 0 })
      // The failure is not kept: the next call asks the endpoint again.
      yield* Effect.flip(api.fetch(Request.get(`${server.url}/data`)))
      expect(hits.token).toBe(2)
    }).pipe(Effect.provide(NodeTransport.client())),
  )
})
