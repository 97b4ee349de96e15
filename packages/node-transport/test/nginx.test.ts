// HTTP/2 against Debian's nginx over TLS (the repo's test CA), started by the test: ALPN picks h2 where nginx
// offers it and HTTP/1.1 where it does not, many requests share connections under nginx's stream limit, and
// a large body arrives whole.
import { Client, Request, Response } from "@courier/core"
import { NodeTransport } from "@courier/node-transport"
import { describe, expect } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { fold, scoped } from "../../core/test/edition.js"
import { available, NGINX, nginx } from "./external.js"
import { trust } from "./h2servers.js"

const client = NodeTransport.client(trust)

describe.runIf(available("nginx", [NGINX]))("HTTP/2 against nginx", () => {
  scoped("nginx offering h2 is spoken to over HTTP/2; one offering only HTTP/1.1 over HTTP/1.1", () =>
    Effect.gen(function* () {
      const servers = yield* nginx
      const over = (base: string) =>
        Effect.flatMap(Client.get(`${base}/protocol`), (r) => Effect.map(Response.text(r), (t) => [r.version, t]))
      expect(yield* over(servers.h2)).toEqual(["HTTP/2", "HTTP/2.0"])
      expect(yield* over(servers.http1)).toEqual(["HTTP/1.1", "HTTP/1.1"])
    }).pipe(Effect.provide(client)),
  )

  scoped("64 requests in flight are all answered, over no more connections than nginx's 8 streams need", () =>
    Effect.gen(function* () {
      const servers = yield* nginx
      const ids = yield* Effect.forEach(
        Array.from({ length: 64 }),
        () => Effect.flatMap(Client.get(`${servers.h2}/connection`), Response.text),
        { concurrency: "unbounded" },
      )
      expect(ids.length).toBe(64)
      expect(new Set(ids).size).toBeLessThanOrEqual(8)
    }).pipe(Effect.provide(client)),
  )

  scoped("an 8 MiB body arrives whole, streamed and read into memory", () =>
    Effect.gen(function* () {
      const servers = yield* nginx
      const streamed = yield* Effect.scoped(
        Effect.flatMap(Client.execute(Request.get(`${servers.h2}/big`)), (r) =>
          fold(Response.stream(r), 0, (n, c) => n + c.length),
        ),
      )
      const whole = yield* Effect.flatMap(Client.get(`${servers.h2}/big`), Response.bytes)
      expect([streamed, whole.length]).toEqual([8 * 1024 * 1024, 8 * 1024 * 1024])
    }).pipe(Effect.provide(client)),
  )
})
