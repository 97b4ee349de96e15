// The testing guide's snippets, run as tests. Each lies between "snippet:" markers, and the last test
// checks that every one appears verbatim in docs/testing.md, so the guide cannot drift from code that runs.
import * as fs from "node:fs"
import { Client, Http1Transport, HttpError, Response, Retry } from "@courier/core"
import { MockTransport, ScriptedPeer } from "@courier/mock-transport"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Ref from "effect/Ref"
import * as TestClock from "effect/TestClock"
import * as R from "../src/cookbook/recipes.js"
import * as App from "../src/live-event/app.js"

describe("testing guide", () => {
  // snippet:start first-test
  const mock = MockTransport.layer([
    { method: "GET", path: "/users/:id", reply: (req) => Effect.succeed({ status: 200, json: { id: req.params.id } }) },
  ])
  const TestClient = Client.layer().pipe(Layer.provideMerge(mock))

  it.effect("reads a user", () =>
    Effect.gen(function* () {
      const user = yield* Effect.flatMap(Client.get("http://api.test/users/7"), Response.json)
      expect(user).toEqual({ id: "7" })
      const [call] = yield* MockTransport.calls
      expect(call?.request.path).toBe("/users/7")
    }).pipe(Effect.provide(TestClient)),
  )
  // snippet:end

  // snippet:start cookbook-flow
  it.effect("the Cookbook's form POST sends the fields urlencoded", () =>
    Effect.gen(function* () {
      const result = yield* R.postForm("http://httpbin.test")
      expect(result.form).toEqual({ name1: "value1", name2: "value2" })
    }).pipe(
      Effect.provide(
        Client.layer().pipe(
          Layer.provideMerge(
            MockTransport.layer([
              {
                method: "POST",
                path: "/post",
                body: { form: { name1: "value1" } },
                reply: (req) =>
                  Effect.succeed({
                    status: 200,
                    json: {
                      form: Object.fromEntries(new URLSearchParams(req.text)),
                      headers: {
                        "Content-Type": "application/x-www-form-urlencoded",
                        "Content-Length": String(req.body.length),
                      },
                    },
                  }),
              },
            ]),
          ),
        ),
      ),
    ),
  )
  // snippet:end

  // snippet:start retry-after-429
  it.effect("a 429 with Retry-After is retried after the server's delay", () =>
    Effect.gen(function* () {
      const fiber = yield* Effect.fork(Client.get("http://api.test/quota"))
      yield* TestClock.adjust("2 seconds")
      expect(fiber.unsafePoll()).toBeNull() // still waiting: the server asked for 5 s
      yield* TestClock.adjust("3 seconds")
      expect((yield* Fiber.join(fiber)).status).toBe(200)
      const calls = yield* MockTransport.calls
      expect(calls.map((c) => [c.attempt, c.startedAt])).toEqual([
        [1, 0],
        [2, 5000],
      ])
    }).pipe(
      Effect.provide(
        Client.layer({ retry: Retry.transient }).pipe(
          Layer.provideMerge(
            MockTransport.layer([
              { path: "/quota", reply: [{ status: 429, headers: { "Retry-After": "5" } }, { status: 200 }] },
            ]),
          ),
        ),
      ),
    ),
  )
  // snippet:end

  // snippet:start timeout
  it.effect("a slow server trips the head deadline, with no real waiting", () =>
    Effect.gen(function* () {
      const fiber = yield* Effect.fork(App.authenticate({ email: "ada@example.com", password: "x" }))
      yield* TestClock.adjust("10 seconds")
      const error = yield* Effect.flip(Fiber.join(fiber))
      expect(error).toMatchObject({ _tag: "Timeout", phase: "head" })
    }).pipe(
      Effect.provide(
        Client.layer({ baseUrl: "http://api.test/", timeouts: { head: "5 seconds" } }).pipe(
          Layer.provideMerge(
            MockTransport.layer([{ path: "/user/authenticate", reply: { status: 200, delay: "1 minute" } }]),
          ),
        ),
      ),
    ),
  )
  // snippet:end

  // snippet:start stateful-fake
  it.effect("a stateful fake: a Ref counts what the app created", () =>
    Effect.gen(function* () {
      const created = yield* Ref.make(0)
      const fake = MockTransport.layer([
        {
          method: "POST",
          path: "/user/:id/live_event",
          reply: () =>
            Effect.map(
              Ref.updateAndGet(created, (n) => n + 1),
              (n) => ({ status: 200, json: { live_event_id: `ev-${n}` } }),
            ),
        },
      ])
      const session = { token: "t", userId: "ada" }
      const program = Effect.zip(
        App.createLiveEvent(session, { title: "a", start_time: 1 }),
        App.createLiveEvent(session, { title: "b", start_time: 2 }),
      )
      const ids = yield* program.pipe(
        Effect.provide(Client.layer({ baseUrl: "http://api.test/" }).pipe(Layer.provideMerge(fake))),
      )
      expect(ids).toEqual(["ev-1", "ev-2"])
      expect(yield* Ref.get(created)).toBe(2)
    }),
  )
  // snippet:end

  // snippet:start faults
  it.effect("faults are the transport's own typed errors", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(Client.get("http://api.test/flaky"))
      expect(error).toBeInstanceOf(HttpError.IncompleteRead)
      expect(error).toMatchObject({ received: 4, expected: 10 })
    }).pipe(
      Effect.provide(
        Client.layer().pipe(
          Layer.provideMerge(
            MockTransport.layer([
              { path: "/flaky", reply: MockTransport.fault.closeMidBody(4, { status: 200, text: "0123456789" }) },
            ]),
          ),
        ),
      ),
    ),
  )
  // snippet:end

  // snippet:start scripted-peer
  it.scoped("the real codec against a server that misbehaves on the wire", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(Client.get("http://device.test/status"))
      expect(error).toMatchObject({ _tag: "ProtocolError", reason: "both Transfer-Encoding and Content-Length" })
    }).pipe(
      Effect.provide(
        Client.layer().pipe(
          Layer.provide(Http1Transport.layer()),
          Layer.provide(
            ScriptedPeer.layer((peer) =>
              Effect.zipRight(
                peer.expect("GET /status"),
                peer.send("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n", {
                  byteByByte: true,
                }),
              ),
            ),
          ),
        ),
      ),
    ),
  )
  // snippet:end

  it("every snippet above appears in docs/testing.md", () => {
    const source = fs.readFileSync(new URL(import.meta.url), "utf8")
    const guide = fs.readFileSync(new URL("../../docs/testing.md", import.meta.url), "utf8")
    const snippets = [...source.matchAll(/\/\/ snippet:start ([\w-]+)\n([\s\S]*?)\n\s*\/\/ snippet:end/g)]
    expect(snippets.length).toBeGreaterThanOrEqual(7)
    for (const [, name, code] of snippets) {
      const dedented = (code ?? "")
        .split("\n")
        .map((l) => l.replace(/^ {2}/, ""))
        .join("\n")
      expect(guide.includes(dedented), `snippet ${name} is not in docs/testing.md`).toBe(true)
    }
  })
})
