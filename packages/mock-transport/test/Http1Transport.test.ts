// The HTTP/1.1 transport of core, driven through ScriptedPeer: the real codec and pool with no sockets,
// every wait on the Effect Clock so TestClock moves time.
import { Client, Connector, Headers, Http1Transport, Request, Response } from "@courier/core"
import { ScriptedPeer } from "@courier/mock-transport"
import { describe, expect } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import { fork, scoped, TestClock } from "../../core/test/edition.js"

const ok = (body = "ok", extra = "") => `HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n${extra}\r\n${body}`

/** A client over ScriptedPeer running `script` on every connection. */
const over = (script: (peer: ScriptedPeer.Peer) => Effect.Effect<void>, options: Http1Transport.Options = {}) =>
  Client.layer({ userAgent: false }).pipe(
    Layer.provide(Http1Transport.layer(options)),
    Layer.provideMerge(ScriptedPeer.layer(script)),
  )

/** Answers every request on the connection with `reply(n)`, n counting requests on that connection. */
const serve = (reply: (n: number, peer: ScriptedPeer.Peer) => string) => (peer: ScriptedPeer.Peer) =>
  Effect.gen(function* () {
    for (let n = 1; ; n++) {
      yield* peer.receive
      yield* peer.send(reply(n, peer))
    }
  })

describe("Http1Transport: timeouts on the Effect clock", () => {
  scoped("a head that does not come in time is Timeout(head)", () =>
    Effect.gen(function* () {
      const fiber = yield* fork(Client.get("http://peer.test/", { timeout: { head: "1 second" } }))
      yield* TestClock.adjust("2 seconds")
      const error = yield* Effect.flip(Fiber.join(fiber))
      expect(error).toMatchObject({ _tag: "Timeout", phase: "head", millis: 1000 })
      expect(error.message).toBe("Request timed out (head, 1000 ms): GET http://peer.test/")
    }).pipe(
      Effect.provide(
        over((peer) => Effect.andThen(peer.receive, Effect.andThen(peer.pause("10 seconds"), peer.send(ok())))),
      ),
    ),
  )

  scoped("a body that stalls is Timeout(body)", () =>
    Effect.gen(function* () {
      const fiber = yield* fork(Client.get("http://peer.test/", { timeout: { body: "500 millis" } }))
      yield* TestClock.adjust("1 second")
      expect(yield* Effect.flip(Fiber.join(fiber))).toMatchObject({ _tag: "Timeout", phase: "body" })
    }).pipe(
      Effect.provide(
        over((peer) =>
          Effect.gen(function* () {
            yield* peer.receive
            yield* peer.send("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc")
            yield* peer.pause("1 minute")
          }),
        ),
      ),
    ),
  )

  scoped("a request slower than its total deadline is Timeout(total); one within it succeeds", () =>
    Effect.gen(function* () {
      const slow = yield* fork(Client.get("http://peer.test/", { timeout: "3 seconds" }))
      yield* TestClock.adjust("4 seconds")
      expect(yield* Effect.flip(Fiber.join(slow))).toMatchObject({ _tag: "Timeout", phase: "total", millis: 3000 })
      const fast = yield* fork(Client.get("http://peer.test/", { timeout: "10 seconds" }))
      yield* TestClock.adjust("6 seconds")
      expect((yield* Fiber.join(fast)).status).toBe(200)
    }).pipe(
      Effect.provide(
        over((peer) =>
          Effect.forever(Effect.andThen(peer.receive, Effect.andThen(peer.pause("5 seconds"), peer.send(ok())))),
        ),
      ),
    ),
  )

  scoped("a connection that does not open in time is Timeout(connect)", () =>
    Effect.gen(function* () {
      const never = Layer.succeed(Connector.Connector, { connect: () => Effect.never })
      const client = Client.layer().pipe(
        Layer.provide(Http1Transport.layer({ connectTimeoutMillis: 2000 })),
        Layer.provide(never),
      )
      const fiber = yield* fork(Client.get("http://peer.test/").pipe(Effect.provide(client)))
      yield* TestClock.adjust("3 seconds")
      expect(yield* Effect.flip(Fiber.join(fiber))).toMatchObject({ _tag: "Timeout", phase: "connect", millis: 2000 })
    }),
  )
})

describe("Http1Transport: the pool's life-cycle", () => {
  scoped("an idle connection expires after the idle timeout", () =>
    Effect.gen(function* () {
      yield* Client.get("http://peer.test/a")
      yield* TestClock.adjust("3 seconds")
      yield* Client.get("http://peer.test/b")
      expect(yield* ScriptedPeer.connections).toBe(1)
      yield* TestClock.adjust("5 seconds")
      yield* Client.get("http://peer.test/c")
      expect(yield* ScriptedPeer.connections).toBe(2)
    }).pipe(Effect.provide(over(serve(() => ok())))),
  )

  scoped("the server's Keep-Alive timeout hint, less a margin, replaces the default", () =>
    Effect.gen(function* () {
      yield* Client.get("http://peer.test/a")
      yield* TestClock.adjust("8 seconds")
      yield* Client.get("http://peer.test/b")
      expect(yield* ScriptedPeer.connections).toBe(1)
      // 10 s hint - 1 s margin = 9 s: at 9.5 s idle the connection is not reused.
      yield* TestClock.adjust("9500 millis")
      yield* Client.get("http://peer.test/c")
      expect(yield* ScriptedPeer.connections).toBe(2)
    }).pipe(Effect.provide(over(serve(() => ok("ok", "Keep-Alive: timeout=10\r\n"))))),
  )

  scoped("a hint no longer than the margin means the connection is not kept", () =>
    Effect.gen(function* () {
      yield* Client.get("http://peer.test/a")
      yield* Client.get("http://peer.test/b")
      expect(yield* ScriptedPeer.connections).toBe(2)
    }).pipe(Effect.provide(over(serve(() => ok("ok", "Keep-Alive: timeout=1\r\n"))))),
  )

  scoped("bytes the server sends after a response keep its connection out of the pool", () =>
    Effect.gen(function* () {
      expect(yield* Effect.flatMap(Client.get("http://peer.test/a"), Response.text)).toBe("first")
      expect(yield* Effect.flatMap(Client.get("http://peer.test/b"), Response.text)).toBe("first")
      expect(yield* ScriptedPeer.connections).toBe(2)
    }).pipe(Effect.provide(over(serve(() => `${ok("first")}HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nstray`)))),
  )

  scoped("an idempotent request on a reused connection the server dropped is sent again on a fresh one", () =>
    Effect.gen(function* () {
      yield* Client.get("http://peer.test/a")
      const r = yield* Client.get("http://peer.test/b")
      expect(yield* Response.text(r)).toBe("from connection 2")
      expect(yield* ScriptedPeer.connections).toBe(2)
    }).pipe(
      Effect.provide(
        over((peer) =>
          Effect.gen(function* () {
            yield* peer.receive
            yield* peer.send(ok(`from connection ${peer.id}`))
            if (peer.id === 1) {
              yield* peer.receive
              yield* peer.close
            }
          }),
        ),
      ),
    ),
  )

  scoped("a POST on a dropped connection is not sent twice", () =>
    Effect.gen(function* () {
      yield* Client.get("http://peer.test/a")
      const error = yield* Effect.flip(Client.post("http://peer.test/b", { json: { once: true } }))
      expect(error).toMatchObject({ _tag: "BadStatusLine", line: "" })
      expect(yield* ScriptedPeer.connections).toBe(1)
    }).pipe(
      Effect.provide(
        over((peer) =>
          Effect.gen(function* () {
            yield* peer.receive
            yield* peer.send(ok())
            yield* peer.receive
            yield* peer.close
          }),
        ),
      ),
    ),
  )

  scoped("Connection: close from the server or from the request ends the connection", () =>
    Effect.gen(function* () {
      yield* Client.get("http://peer.test/server-closes")
      yield* Client.get("http://peer.test/x")
      expect(yield* ScriptedPeer.connections).toBe(2)
      yield* Client.get("http://peer.test/x", { headers: { Connection: "close" } })
      yield* Client.get("http://peer.test/x")
      expect(yield* ScriptedPeer.connections).toBe(3)
    }).pipe(
      Effect.provide(
        over((peer) =>
          Effect.gen(function* () {
            while (true) {
              const req = yield* peer.receive
              yield* peer.send(ok("ok", req.target === "/server-closes" ? "Connection: close\r\n" : ""))
            }
          }),
        ),
      ),
    ),
  )

  scoped("maxRequestsPerConnection retires a connection after that many requests", () =>
    Effect.gen(function* () {
      for (let i = 0; i < 5; i++) yield* Client.get("http://peer.test/")
      expect(yield* ScriptedPeer.connections).toBe(3)
    }).pipe(
      Effect.provide(
        over(
          serve(() => ok()),
          { maxRequestsPerConnection: 2 },
        ),
      ),
    ),
  )

  scoped("requests beyond the per-origin limit wait and are served in order", () =>
    Effect.gen(function* () {
      const order: Array<string> = []
      const layer = over(
        (peer) =>
          Effect.forever(
            Effect.flatMap(peer.receive, (req) =>
              Effect.andThen(
                Effect.sync(() => order.push(req.target)),
                peer.send(ok()),
              ),
            ),
          ),
        { maxConnectionsPerOrigin: 1 },
      )
      yield* Effect.forEach([1, 2, 3, 4, 5], (i) => Client.get(`http://peer.test/${i}`), { concurrency: 5 }).pipe(
        Effect.provide(layer),
      )
      expect(order).toEqual(["/1", "/2", "/3", "/4", "/5"])
    }),
  )
})

describe("Http1Transport: informational responses and trailers", () => {
  scoped("1xx responses reach the hook and the final response is returned", () =>
    Effect.gen(function* () {
      const seen: Array<number> = []
      const r = yield* Client.get("http://peer.test/", {
        onInformational: (i) => Effect.sync(() => seen.push(i.status)),
      })
      expect(r.status).toBe(200)
      expect(seen).toEqual([100, 103])
    }).pipe(
      Effect.provide(
        over(
          serve(
            () => "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n" + ok(),
          ),
        ),
      ),
    ),
  )

  scoped("trailers of a chunked body are on the response once the body is read", () =>
    Effect.gen(function* () {
      const r = yield* Client.execute(Request.get("http://peer.test/"))
      expect(yield* Response.text(r)).toBe("hello")
      expect(Headers.get(r.trailers, "x-checksum")).toEqual(Option.some("abc"))
      const again = yield* Client.get("http://peer.test/")
      expect(Headers.get(yield* Response.trailers(again), "X-Checksum")).toEqual(Option.some("abc"))
    }).pipe(
      Effect.provide(
        over(
          serve(
            () =>
              "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhe\r\n3\r\nllo\r\n0\r\nX-Checksum: abc\r\n\r\n",
          ),
        ),
      ),
    ),
  )

  scoped("a response sent one byte at a time decodes the same", () =>
    Effect.gen(function* () {
      const r = yield* Client.get("http://peer.test/")
      expect(yield* Response.text(r)).toBe("piecewise")
    }).pipe(
      Effect.provide(over((peer) => Effect.andThen(peer.receive, peer.send(ok("piecewise"), { byteByByte: true })))),
    ),
  )
})
