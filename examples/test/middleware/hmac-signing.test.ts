import { Body, Client, Request } from "@courier/core"
import { MockTransport } from "@courier/mock-transport"
import { expect, it } from "@effect/vitest"
import { Effect, Encoding } from "effect"

const secret = new TextEncoder().encode("shared-secret")

/** HMAC-SHA256 of `text` with the shared secret, in hex (WebCrypto, as in browsers and Node). */
const hmac = (text: string) =>
  Effect.promise(async () => {
    const key = await crypto.subtle.importKey("raw", secret, { name: "HMAC", hash: "SHA-256" }, false, ["sign"])
    const mac = await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(text))
    return Encoding.encodeHex(new Uint8Array(mac))
  })

/** Signs method, URL and body into X-Signature, as many APIs ask (AWS, Stripe webhooks, …). */
const signed = Client.mapRequestEffect((request) =>
  Effect.gen(function* () {
    const body = new TextDecoder().decode(yield* Body.toBytes(request.body))
    const signature = yield* hmac(`${request.method}\n${request.url}\n${body}`)
    return Request.setHeader(request, "X-Signature", signature)
  }),
)

it.effect("each request carries the HMAC of its method, URL and body", () =>
  Effect.gen(function* () {
    const client = (yield* Client.makeBare).pipe(signed)
    yield* client.fetch(Request.post("http://api.test/orders", { json: { sku: "A-1" } }))
    const [call] = yield* MockTransport.calls
    const expected = yield* hmac(`POST\nhttp://api.test/orders\n{"sku":"A-1"}`)
    expect(call?.request.headers.entries).toContainEqual(["X-Signature", expected])
  }).pipe(Effect.provide(MockTransport.layer([{ method: "POST", path: "/orders", reply: { status: 201 } }]))),
)
