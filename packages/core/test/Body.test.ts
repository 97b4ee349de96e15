import { Body } from "@courier/core"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { failureOf } from "./results.js"

const text = (b: Uint8Array) => new TextDecoder().decode(b)
const cyclic = (): unknown => {
  const o: { self?: unknown } = {}
  o.self = o
  return o
}

describe("Body.toBytes", () => {
  it.effect.each([
    { name: "empty", body: Body.empty, expected: "" },
    { name: "text", body: Body.text("héllo"), expected: "héllo" },
    { name: "json", body: Body.json({ a: [1, 2] }), expected: '{"a":[1,2]}' },
    { name: "form", body: Body.form({ q: "a b", n: "1" }), expected: "q=a+b&n=1" },
    {
      name: "stream of pieces",
      body: Body.stream(Stream.make("ab", "", "cd").pipe(Stream.map((s) => new TextEncoder().encode(s)))),
      expected: "abcd",
    },
  ])("gathers a $name body into one byte array", ({ body, expected }) =>
    Effect.map(Body.toBytes(body), (b) => expect(text(b)).toBe(expected)),
  )

  it.effect("fails with a tagged InvalidBody and the reason when the body cannot be encoded", () =>
    Effect.map(Effect.flip(Body.toBytes(Body.json(cyclic()))), (error) => {
      expect(error._tag).toBe("InvalidBody")
      expect(error.reason).toMatch(/circular/i)
    }),
  )

  it.effect("fails with a tagged InvalidBody carrying the stream's error message when reading it fails", () =>
    Effect.map(Effect.flip(Body.toBytes(Body.stream(Stream.fail(new Error("disk gone"))))), (error) =>
      expect([error._tag, error.reason]).toEqual(["InvalidBody", "disk gone"]),
    ),
  )

  it("Body.encode fails with a tagged InvalidBody, not a string", () => {
    const encoded = Body.encode(Body.json(cyclic()))
    expect(failureOf(encoded)?._tag).toBe("InvalidBody")
  })
})
