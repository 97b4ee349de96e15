// The engine's one path — the exchange driven by the socket's callbacks — under TestClock through the
// scripted peer: every response wire case, read whole (fetch) and streamed (execute), with the response
// split in two at every offset (the second part arriving after the exchange has waited) and byte by byte.

import { Client, Http1Transport, Request, Response } from "@courier/core"
import { catch as catchFailure } from "@courier/core/internal/edition"
import { ScriptedPeer } from "@courier/mock-transport"
import { describe, expect } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Ref from "effect/Ref"
import { latin1 } from "../../core/test/decode.js"
import { scoped, yieldNow } from "../../core/test/edition.js"
import { type WireCase, wireCases } from "../../core/test/wire-cases.js"

/** How the peer delivers the case's bytes on its n-th answer: split at n, or byte by byte past the end. */
const deliver = (peer: ScriptedPeer.Peer, bytes: Uint8Array, n: number) =>
  n > bytes.length
    ? peer.send(bytes, { byteByByte: true })
    : peer.send(bytes.subarray(0, n)).pipe(Effect.andThen(yieldNow), Effect.andThen(peer.send(bytes.subarray(n))))

/** A client over a peer that answers every request with the case, split where `split` says. */
const clientFor = (c: WireCase, split: Ref.Ref<number>) =>
  Client.layer({ userAgent: false }).pipe(
    Layer.provide(Http1Transport.layer()),
    Layer.provideMerge(
      ScriptedPeer.layer((peer) =>
        Effect.forever(
          Effect.gen(function* () {
            yield* peer.receive
            yield* deliver(peer, latin1(c.wire), yield* Ref.get(split))
            if (c.eof === true) yield* peer.close
          }),
        ),
      ),
    ),
  )

/** What a call came to: the response's parts, or the error's tag. */
const outcome = <R>(response: Effect.Effect<Response.Response, { readonly _tag: string }, R>) =>
  response.pipe(
    Effect.flatMap((r) =>
      Effect.map(Response.text(r), (body) => ({ status: r.status, body, trailers: [...r.trailers.entries] })),
    ),
    catchFailure((e) => Effect.succeed({ error: e._tag })),
  )

const expected = (c: WireCase) =>
  "error" in c.expect
    ? { error: c.expect.error }
    : {
        status: c.expect.status,
        body: c.expect.body,
        trailers: c.expect.trailers === undefined ? [] : [...c.expect.trailers],
      }

describe("the push path, under TestClock, at every split point", () => {
  for (const c of wireCases) {
    scoped(c.name, () =>
      Effect.gen(function* () {
        const split = yield* Ref.make(0)
        const request = Request.make(c.method ?? "GET", "http://peer.test/case")
        const want = expected(c)
        yield* Effect.gen(function* () {
          // Each split point once read whole and once streamed; past the end, byte by byte, both ways.
          for (let n = 0; n <= c.wire.length + 1; n++) {
            yield* Ref.set(split, n)
            expect(yield* outcome(Client.fetch(request)), `fetch, split at ${n}`).toEqual(want)
            expect(yield* Effect.scoped(outcome(Client.execute(request))), `execute, split at ${n}`).toEqual(want)
          }
        }).pipe(Effect.provide(clientFor(c, split)))
      }),
    )
  }
})
