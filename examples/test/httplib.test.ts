// Seed 002's two sessions against the embedded demo server, over real sockets.
import { NodeConnector } from "@courier/node-transport"
import { describe, expect } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { scoped, withLog } from "../../packages/core/test/edition.js"
import { demoServer } from "../src/demo-server.js"
import { getSession, postSession } from "../src/httplib/main.js"

describe("httplib example (seed 002)", () => {
  scoped("GET /index.html is 200 and /parrot.spam is 404 on the same connection; the form POST is answered", () =>
    Effect.gen(function* () {
      const server = yield* demoServer
      const hostPort = server.url.replace("http://", "")
      expect(yield* getSession(hostPort)).toEqual([200, 404])
      const body = yield* postSession(hostPort)
      expect(body).toContain('{"spam":"1","eggs":"2","bacon":"0"}')
      expect(body).toContain("Accept: text/plain")
    }).pipe(
      Effect.provide(NodeConnector.layer()),
      (effect) => withLog(effect, () => undefined), // the example's debug lines go nowhere
    ),
  )
})
