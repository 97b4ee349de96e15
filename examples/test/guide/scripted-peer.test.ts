import { Client, Http1Transport } from "@courier/core"
import { ScriptedPeer } from "@courier/mock-transport"
import { expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"

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
            Effect.andThen(
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
