// httplib's Connection as a state machine: every call in every state, over the scripted peer. A call out of
// order gets httplib's typed error, and the state says where the connection was.

import { Connection } from "@courier/core"
import { catch as catchFailure } from "@courier/core/internal/edition"
import { ScriptedPeer } from "@courier/mock-transport"
import { describe, expect } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { scoped } from "../../core/test/edition.js"

type State = "Idle" | "Request-started" | "Request-sent" | "Response-unread" | "Closed"
type Call = "putrequest" | "putheader" | "endheaders" | "send" | "getresponse"

const peer = ScriptedPeer.layer((p) =>
  Effect.forever(Effect.andThen(p.receive, p.send("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"))),
)

/** A connection brought to `state`. */
const reach = (state: State) =>
  Effect.gen(function* () {
    const conn = yield* Connection.http("peer.test")
    switch (state) {
      case "Idle":
        break
      case "Request-started":
        yield* conn.putrequest("GET", "/")
        break
      case "Request-sent":
        yield* conn.request("GET", "/")
        break
      case "Response-unread":
        yield* conn.request("GET", "/")
        yield* conn.getresponse
        break
      case "Closed":
        yield* conn.request("GET", "/")
        yield* conn.close
        break
    }
    return conn
  })

const run = (conn: Connection.Connection, call: Call) => {
  switch (call) {
    case "putrequest":
      return conn.putrequest("GET", "/next")
    case "putheader":
      return conn.putheader("X-Test", "1")
    case "endheaders":
      return conn.endheaders()
    case "send":
      return conn.send("x")
    case "getresponse":
      return Effect.asVoid(conn.getresponse)
  }
}

/** What each call does in each state: "ok", or the error's tag and the state it names. */
const table: Record<State, Record<Call, string>> = {
  Idle: {
    putrequest: "ok",
    putheader: "CannotSendHeader Idle",
    endheaders: "CannotSendHeader Idle",
    send: "CannotSendRequest Idle",
    getresponse: "ResponseNotReady Idle",
  },
  "Request-started": {
    putrequest: "CannotSendRequest Request-started",
    putheader: "ok",
    endheaders: "ok",
    send: "ok",
    getresponse: "ResponseNotReady Request-started",
  },
  "Request-sent": {
    putrequest: "CannotSendRequest Request-sent",
    putheader: "CannotSendHeader Request-sent",
    endheaders: "CannotSendHeader Request-sent",
    send: "ok",
    getresponse: "ok",
  },
  "Response-unread": {
    putrequest: "CannotSendRequest Response-unread",
    putheader: "CannotSendHeader Response-unread",
    endheaders: "CannotSendHeader Response-unread",
    send: "CannotSendRequest Response-unread",
    getresponse: "ResponseNotReady Response-unread",
  },
  Closed: {
    putrequest: "ok",
    putheader: "CannotSendHeader Closed",
    endheaders: "CannotSendHeader Closed",
    send: "CannotSendRequest Closed",
    getresponse: "NotConnected",
  },
}

describe("Connection: every call in every state", () => {
  for (const [state, calls] of Object.entries(table) as Array<[State, Record<Call, string>]>) {
    for (const [call, expected] of Object.entries(calls) as Array<[Call, string]>) {
      scoped(`${call} in ${state}: ${expected}`, () =>
        Effect.gen(function* () {
          const conn = yield* reach(state)
          const outcome = yield* run(conn, call).pipe(
            Effect.as("ok"),
            catchFailure((e) =>
              Effect.succeed("state" in e && typeof e.state === "string" ? `${e._tag} ${e.state}` : e._tag),
            ),
          )
          expect(outcome).toBe(expected)
        }).pipe(Effect.provide(peer)),
      )
    }
  }

  scoped("reading the body to its end takes the connection from Response-unread back to Idle", () =>
    Effect.gen(function* () {
      const conn = yield* Connection.http("peer.test")
      yield* conn.request("GET", "/")
      const r = yield* conn.getresponse
      expect(yield* Effect.flip(conn.request("GET", "/next"))).toMatchObject({ state: "Response-unread" })
      expect(new TextDecoder().decode(yield* r.read())).toBe("hello")
      yield* conn.request("GET", "/next")
      expect((yield* conn.getresponse).status).toBe(200)
    }).pipe(Effect.provide(peer)),
  )
})
