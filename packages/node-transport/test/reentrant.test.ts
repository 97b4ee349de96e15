// A runtime may resume the fiber waiting on a callback at once, inside that callback (Effect 4's does;
// Effect 3's does given a scheduler that runs tasks immediately). The engine must hold whatever the
// resumed caller does there: ask for the next piece, or release the connection, while the socket is still
// delivering the bytes that resumed it.
import { Client, Request, Response } from "@courier/core"
import { NodeTransport } from "@courier/node-transport"
import { describe, expect } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { resumingInCallbacks, scoped } from "../../core/test/edition.js"
import { httpServer } from "./servers.js"

const PIECE = 64 * 1024
const PIECES = 8

/** Sends PIECES pieces of PIECE bytes, each once the last was taken: several socket reads for the client. */
const server = httpServer((_req, res) => {
  let sent = 0
  const more = () => {
    while (sent < PIECES) {
      sent++
      if (!res.write(Buffer.alloc(PIECE, sent))) return res.once("drain", more)
    }
    res.end()
  }
  more()
})

describe("a caller resumed inside the socket's delivery", () => {
  scoped("streams a body past the first socket read (the next pull listens again)", () =>
    Effect.gen(function* () {
      const { url } = yield* server
      let bytes = 0
      yield* Effect.scoped(
        Effect.flatMap(Client.execute(Request.get(url)), (r) =>
          Stream.runForEach(Response.stream(r), (piece) =>
            Effect.sync(() => {
              bytes += piece.length
            }),
          ),
        ),
      ).pipe(resumingInCallbacks, Effect.provide(NodeTransport.client()))
      expect(bytes).toBe(PIECE * PIECES)
    }),
  )

  scoped("reads a body into memory, then the next request reuses the connection", () =>
    Effect.gen(function* () {
      const { url } = yield* server
      const sizes = yield* Effect.forEach([1, 2, 3], () =>
        Effect.flatMap(Client.get(url), (r) => Effect.map(Response.bytes(r), (b) => b.length)),
      ).pipe(resumingInCallbacks, Effect.provide(NodeTransport.client()))
      expect(sizes).toEqual([PIECE * PIECES, PIECE * PIECES, PIECE * PIECES])
    }),
  )
})
