import { Client, Response } from "@courier/core"
import { MockTransport } from "@courier/mock-transport"
import { expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"

// The code under test: the Cookbook's form POST, as an app would write it.
const postForm = (base: string) =>
  Effect.flatMap(Client.post(`${base}/post`, { data: { name1: "value1", name2: "value2" } }), Response.json)

it.effect("the form POST sends the fields urlencoded", () =>
  Effect.gen(function* () {
    const result = (yield* postForm("http://httpbin.test")) as { form: Record<string, string> }
    expect(result.form).toEqual({ name1: "value1", name2: "value2" })
    const [call] = yield* MockTransport.calls
    expect(call?.request.headers.toJSON()).toContainEqual(["Content-Type", "application/x-www-form-urlencoded"])
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
                Effect.succeed({ status: 200, json: { form: Object.fromEntries(new URLSearchParams(req.text)) } }),
            },
          ]),
        ),
      ),
    ),
  ),
)
