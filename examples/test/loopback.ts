// A node:http server on 127.0.0.1 for the life of a test's scope: the example suites' one way to start one.
import * as http from "node:http"
import type * as net from "node:net"
import { callback } from "@courier/core/internal/edition"
import * as Effect from "effect/Effect"

/** Listens with `handler` on a free loopback port; closing the scope closes the server and its connections. */
export const loopback = (handler: http.RequestListener) =>
  Effect.map(
    Effect.acquireRelease(
      callback<http.Server>((resume) => {
        const server = http.createServer(handler)
        server.listen(0, "127.0.0.1", () => resume(Effect.succeed(server)))
      }),
      (server) =>
        Effect.sync(() => {
          server.closeAllConnections()
          server.close()
        }),
    ),
    (server) => ({ url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}` }),
  )
