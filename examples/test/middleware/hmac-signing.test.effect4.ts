import { Body, Client, Request } from "@courier/core"
import { MockTransport } from "@courier/mock-transport"
import { expect, it } from "@effect/vitest"
import { Effect, Result, Stream } from "effect"
import * as Hex from "effect/encoding/Hex"

const secret = new TextEncoder().encode("shared-secret")

/** HMAC-SHA256 of `bytes` with the shared secret, in hex (WebCrypto, as in browsers and Node). */
const hmac = (bytes: Uint8Array) =>
  Effect.promise(async () => {
    const key = await crypto.subtle.importKey("raw", secret, { name: "HMAC", hash: "SHA-256" }, false, ["sign"])
    return Hex.encode(new Uint8Array(await crypto.subtle.sign("HMAC", key, new Uint8Array(bytes))))
  })

const line = (method: string, url: string, body: Uint8Array) => {
  const head = new TextEncoder().encode(`${method}\n${url}\n`)
  const all = new Uint8Array(head.length + body.length)
  all.set(head)
  all.set(body, head.length)
  return all
}

/**
 * Signs method, URL as sent and body into X-Signature, as many APIs ask (AWS, Stripe webhooks, …).
 * `readBody` gives the bytes of any body (a stream, a file, a multipart upload too) and a request that
 * can still send them; `urlAsSent` is the URL with its params, as the server will see it.
 */
const signed = Client.mapRequestEffect((request) =>
  Effect.gen(function* () {
    const { bytes, request: sendable } = yield* Request.readBody(request)
    const url = Result.getOrElse(Request.urlAsSent(request), () => request.url)
    const signature = yield* hmac(line(request.method, url, bytes))
    return Request.setHeader(sendable, "X-Signature", signature)
  }),
)

it.effect("each request carries the HMAC of its method, URL and body, and the body still goes out", () =>
  Effect.gen(function* () {
    const client = (yield* Client.makeBare).pipe(signed)
    const json = { sku: "A-1" }
    yield* client.fetch(Request.post("http://api.test/orders", { json, params: { v: 2 } }))
    const streamed = Body.stream(
      Stream.make(new TextEncoder().encode("line 1\n"), new TextEncoder().encode("line 2\n")),
    )
    yield* client.fetch(Request.post("http://api.test/orders", { body: streamed }))
    const [first, second] = yield* MockTransport.calls
    const body = new TextEncoder().encode(JSON.stringify(json))
    expect(first?.request.headers.entries).toContainEqual([
      "X-Signature",
      yield* hmac(line("POST", "http://api.test/orders?v=2", body)),
    ])
    // The stream was read once to sign it, and the server still got all of it.
    expect(new TextDecoder().decode(second?.request.body)).toBe("line 1\nline 2\n")
    expect(second?.request.headers.entries).toContainEqual([
      "X-Signature",
      yield* hmac(line("POST", "http://api.test/orders", new TextEncoder().encode("line 1\nline 2\n"))),
    ])
  }).pipe(Effect.provide(MockTransport.layer([{ method: "POST", path: "/orders", reply: { status: 201 } }]))),
)
