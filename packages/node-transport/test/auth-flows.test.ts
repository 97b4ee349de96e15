// The Client's auth flows over real sockets: Digest against httpbin's digest endpoints (Debian's
// python3-httpbin), a token provider against a node:http server that rotates its tokens, and .netrc
// credentials read from a file.
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Auth, Body, Client, Request, Response } from "@courier/core"
import { NodeNetrc, NodeTransport } from "@courier/node-transport"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"
import { scoped } from "../../core/test/edition.js"
import { httpbinForSuite } from "./external.js"
import { httpServer } from "./servers.js"

const bin = httpbinForSuite()

describe.runIf(bin.run)("Digest against httpbin", () => {
  it.effect.each(["MD5", "SHA-256", "SHA-512"])("answers httpbin's %s challenge and is let in", (algorithm) =>
    Effect.gen(function* () {
      const client = (yield* Client.Client).pipe(Client.withAuth({ digest: { username: "user", password: "pass" } }))
      const url = `${bin.base}/digest-auth/auth/user/pass/${algorithm}`
      const r = yield* client.fetch(Request.get(url))
      if (algorithm === "SHA-512") {
        // httpbin's SHA-512 is not RFC 7616's SHA-512-256: the flow does not answer it and returns the 401.
        expect(r.status).toBe(401)
        return
      }
      expect(r.status).toBe(200)
      expect(yield* Response.json(r)).toEqual({ authenticated: true, user: "user" })
    }).pipe(Effect.provide(NodeTransport.client())),
  )

  it.effect("wrong credentials come back as httpbin's 401 after one answer, not a loop", () =>
    Effect.gen(function* () {
      const client = (yield* Client.Client).pipe(Client.withAuth({ digest: { username: "user", password: "nope" } }))
      const r = yield* client.fetch(Request.get(`${bin.base}/digest-auth/auth/user/pass/MD5`))
      expect(r.status).toBe(401)
    }).pipe(Effect.provide(NodeTransport.client())),
  )

  it.effect("works from the options path too, with a Redacted password", () =>
    Effect.gen(function* () {
      const r = yield* Client.get(`${bin.base}/digest-auth/auth/user/pass/SHA-256`)
      expect(r.status).toBe(200)
    }).pipe(
      Effect.provide(NodeTransport.client({ auth: { digest: { username: "user", password: Redacted.make("pass") } } })),
    ),
  )
})

describe("a token provider against a server that rotates tokens", () => {
  /** Accepts only the newest token it issued from /token; counts the requests to /data. */
  const tokenServer = Effect.gen(function* () {
    const state = { issued: 0, data: 0, bodies: [] as Array<string> }
    const server = yield* httpServer((req, res) => {
      if (req.url === "/token") {
        state.issued++
        res.end(JSON.stringify({ access_token: `t${state.issued}` }))
        return
      }
      state.data++
      const chunks: Array<Buffer> = []
      req.on("data", (c: Buffer) => chunks.push(c))
      req.on("end", () => {
        state.bodies.push(Buffer.concat(chunks).toString())
        const ok = req.headers.authorization === `Bearer t${state.issued}`
        res.statusCode = ok ? 200 : 401
        res.end(ok ? "in" : "stale")
      })
    })
    return { ...server, state }
  })

  scoped("fetches a new token after a 401 and sends the request once more, body and all", () =>
    Effect.gen(function* () {
      const server = yield* tokenServer
      const fetchToken = Effect.map(Effect.flatMap(Client.get(`${server.url}/token`), Response.json), (j) => ({
        token: (j as { access_token: string }).access_token,
      }))
      const provider = yield* Auth.tokenProvider(fetchToken)
      const client = (yield* Client.Client).pipe(Client.withAuth({ token: provider }))
      const first = yield* client.fetch(Request.post(`${server.url}/data`, { json: { n: 1 } }))
      expect([first.status, server.state.issued, server.state.data]).toEqual([200, 1, 1])
      // The server rotates: the cached t1 is refused, t2 is fetched, and the POST goes again with its body.
      server.state.issued++
      const second = yield* client.fetch(Request.post(`${server.url}/data`, { json: { n: 2 } }))
      expect([second.status, yield* Response.text(second)]).toEqual([200, "in"])
      expect([server.state.issued, server.state.data]).toEqual([3, 3])
      expect(server.state.bodies.slice(1)).toEqual(['{"n":2}', '{"n":2}'])
    }).pipe(Effect.provide(NodeTransport.client())),
  )

  scoped("a streamed body that cannot be sent again is not resent: the 401 is returned", () =>
    Effect.gen(function* () {
      const server = yield* tokenServer
      const provider = yield* Auth.tokenProvider(Effect.succeed({ token: "never-valid" }))
      const client = (yield* Client.Client).pipe(Client.withAuth({ token: provider }))
      const body = Body.stream(Stream.make(new TextEncoder().encode("once")))
      const r = yield* client.fetch(Request.post(`${server.url}/data`, { body }))
      expect([r.status, server.state.data]).toEqual([401, 1])
    }).pipe(Effect.provide(NodeTransport.client())),
  )
})

describe("the request's own credentials win over a client's default", () => {
  scoped("URL user info and an Authorization header of the request's own beat every kind of client auth", () =>
    Effect.gen(function* () {
      const seen: Array<string | undefined> = []
      const server = yield* httpServer((req, res) => {
        seen.push(req.headers.authorization)
        res.end()
      })
      const withUserInfo = server.url.replace("http://", "http://u%40x:p%3Aw@")
      const provider = yield* Auth.tokenProvider(Effect.succeed({ token: "provided" }))
      const defaults = [
        { bearer: "t" },
        { basic: { username: "client", password: "default" } },
        { digest: { username: "client", password: "default" } },
        { token: provider },
      ] as const
      for (const auth of defaults) {
        const client = NodeTransport.client({ auth })
        yield* Client.get(`${withUserInfo}/info`).pipe(Effect.provide(client))
        yield* Client.fetch(Request.get(`${server.url}/own`).pipe(Request.bearerToken("mine"))).pipe(
          Effect.provide(client),
        )
      }
      const basic = `Basic ${Buffer.from("u@x:p:w").toString("base64")}`
      expect(seen).toEqual(defaults.flatMap(() => [basic, "Bearer mine"]))
    }),
  )
})

describe(".netrc", () => {
  scoped("credentials from a netrc file go to the host it names, unless the request has its own", () =>
    Effect.gen(function* () {
      const seen: Array<string | undefined> = []
      const server = yield* httpServer((req, res) => {
        seen.push(req.headers.authorization)
        res.end()
      })
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "courier-netrc-"))
      const file = path.join(dir, "netrc")
      fs.writeFileSync(file, "machine 127.0.0.1 login alice password wonder\nmachine other login x password y\n")
      const netrc = yield* NodeNetrc.load(file)
      const client = (yield* Client.Client).pipe(Client.withNetrc(netrc))
      yield* client.fetch(Request.get(`${server.url}/a`))
      yield* client.fetch(Request.get(`${server.url}/b`).pipe(Request.bearerToken("mine")))
      expect(seen).toEqual([`Basic ${Buffer.from("alice:wonder").toString("base64")}`, "Bearer mine"])
      // A file that does not exist has no entries; a directory is an error with its path.
      const none = yield* NodeNetrc.load(path.join(dir, "missing"))
      expect(Auth.netrcEntry(none, "127.0.0.1")).toBeUndefined()
      const error = yield* Effect.flip(NodeNetrc.load(dir))
      expect([error._tag, error.path, error.reason]).toEqual(["NetrcError", dir, "EISDIR"])
      expect(NodeNetrc.defaultPath({ NETRC: "/etc/x" })).toBe("/etc/x")
    }).pipe(Effect.provide(NodeTransport.client())),
  )
})
