/** Real servers on 127.0.0.1 for the node transport's tests, as scoped resources. */
import * as http from "node:http"
import * as net from "node:net"
import { callback } from "@courier/core/internal/edition"
import * as Effect from "effect/Effect"

export interface Running {
  readonly port: number
  readonly url: string
  /** Server-side sockets opened so far. */
  readonly connections: () => number
  /** Server-side sockets open right now. */
  readonly open: () => number
  /** Waits until at most `n` server-side sockets are open: the signal a test waits on instead of a sleep. */
  readonly untilOpen: (n: number) => Effect.Effect<void>
}

const track = (server: net.Server) => {
  let total = 0
  const live = new Set<net.Socket>()
  const waiters = new Set<{ readonly n: number; readonly wake: () => void }>()
  const check = () => {
    for (const w of waiters) {
      if (live.size > w.n) continue
      waiters.delete(w)
      w.wake()
    }
  }
  server.on("connection", (s: net.Socket) => {
    total++
    live.add(s)
    s.on("close", () => {
      live.delete(s)
      check()
    })
  })
  const untilOpen = (n: number) =>
    callback<void>((resume) => {
      const w = { n, wake: () => resume(Effect.void) }
      waiters.add(w)
      check()
      return Effect.sync(() => waiters.delete(w))
    })
  return { connections: () => total, open: () => live.size, untilOpen, live }
}

/** Listens on a free port of `host` until the scope closes; gives the port. */
export const listen = (server: net.Server, host = "127.0.0.1") =>
  Effect.acquireRelease(
    callback<number>((resume) => {
      server.listen(0, host, () => resume(Effect.succeed((server.address() as net.AddressInfo).port)))
    }),
    () =>
      callback<void>((resume) => {
        server.close(() => resume(Effect.void))
      }),
  )

/**
 * Listens like `listen`, and when the scope closes destroys every connection first, so that `close` does not
 * wait for them: for servers that do not track their connections themselves (TLS and HTTP/2 servers).
 */
export const listenDestroying = (server: net.Server, host = "127.0.0.1") =>
  Effect.gen(function* () {
    const sockets = new Set<net.Socket>()
    server.on("connection", (s: net.Socket) => {
      sockets.add(s)
      s.on("close", () => sockets.delete(s))
    })
    const port = yield* listen(server, host)
    // Registered after `listen`, so it runs first: `close` waits for every connection to end.
    yield* Effect.addFinalizer(() =>
      Effect.sync(() => {
        for (const s of sockets) s.destroy()
      }),
    )
    return port
  })

/** A node:http server with the given handler, on 127.0.0.1 or another loopback address. */
export const httpServer = (handler: http.RequestListener, host = "127.0.0.1") =>
  Effect.gen(function* () {
    const server = http.createServer(handler)
    const t = track(server)
    const port = yield* listen(server, host)
    // Registered after `listen`, so it runs before `server.close`, which waits for every connection.
    yield* Effect.addFinalizer(() => Effect.sync(() => server.closeAllConnections()))
    return {
      port,
      url: `http://${host}:${port}`,
      connections: t.connections,
      open: t.open,
      untilOpen: t.untilOpen,
    } satisfies Running
  })

/** A raw TCP server: `onSocket` sees every connection and writes whatever bytes a test needs. */
export const rawServer = (onSocket: (socket: net.Socket) => void) =>
  Effect.gen(function* () {
    const server = net.createServer(onSocket)
    const t = track(server)
    const port = yield* listen(server)
    yield* Effect.addFinalizer(() =>
      Effect.sync(() => {
        for (const s of t.live) s.destroy()
      }),
    )
    return {
      port,
      url: `http://127.0.0.1:${port}`,
      connections: t.connections,
      open: t.open,
      untilOpen: t.untilOpen,
    } satisfies Running
  })

/** Replies once to the first request head with `reply`, then closes its side or keeps the socket open. */
export const scriptedServer = (reply: string | Buffer, after: "close" | "keep" = "close") =>
  rawServer((socket) => {
    let seen = ""
    socket.on("data", (d) => {
      seen += d.toString("latin1")
      if (!seen.includes("\r\n\r\n")) return
      seen = ""
      socket.write(reply, () => {
        if (after === "close") socket.end()
      })
    })
    socket.on("error", () => undefined)
  })
