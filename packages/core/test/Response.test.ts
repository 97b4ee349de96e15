import { Response, Status } from "@courier/core"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"

const request = { method: "GET", url: "http://h/x" }
const bytes = (s: string) => new TextEncoder().encode(s)

/** A response whose body arrives in pieces, like one from a socket. */
const streaming = (parts: ReadonlyArray<string>, headers: Record<string, string> = {}) => {
  const queue = parts.map((p) => [bytes(p)])
  return Response.make({
    request,
    status: 200,
    reason: "OK",
    headers,
    body: { pull: Effect.sync(() => queue.shift()) },
  })
}

describe("Response", () => {
  it("reads the body as bytes, text and JSON, keeping what it read", () =>
    Effect.runPromise(
      Effect.gen(function* () {
        const r = streaming(['{"a":', "1}"], { "Content-Type": "application/json" })
        expect(yield* Response.json(r)).toEqual({ a: 1 })
        expect(yield* Response.text(r)).toBe('{"a":1}')
        expect(new TextDecoder().decode(yield* Response.bytes(r))).toBe('{"a":1}')
      }),
    ))

  it("a streamed body cannot be streamed twice", () =>
    Effect.runPromise(
      Effect.gen(function* () {
        const r = streaming(["ab", "c"])
        const chunks = yield* Stream.runCollect(Response.stream(r))
        expect(Array.from(chunks).map((c) => new TextDecoder().decode(c))).toEqual(["ab", "c"])
        const again = yield* Effect.flip(Stream.runCollect(Response.stream(r)))
        expect(again._tag).toBe("BodyAlreadyRead")
        expect((yield* Effect.flip(Response.bytes(r)))._tag).toBe("BodyAlreadyRead")
      }),
    ))

  it("decodes text with the charset of Content-Type", () =>
    Effect.runPromise(
      Effect.gen(function* () {
        const r = Response.make({
          request,
          status: 200,
          headers: { "content-type": "text/plain; charset=ISO-8859-1" },
          body: new Uint8Array([0x63, 0x61, 0x66, 0xe9]),
        })
        expect(yield* Response.text(r)).toBe("café")
      }),
    ))

  it("a body that is not JSON is a DecodeError with a preview", () =>
    Effect.runPromise(
      Effect.gen(function* () {
        const error = yield* Effect.flip(Response.json(streaming(["<html>"])))
        expect(error).toMatchObject({ _tag: "DecodeError", expected: "JSON", preview: "<html>" })
        expect(error.message).toContain("GET http://h/x")
      }),
    ))

  it("schemaJson decodes with a Schema and reports a mismatch as a DecodeError", () =>
    Effect.runPromise(
      Effect.gen(function* () {
        const User = Schema.Struct({ id: Schema.Number })
        expect(yield* Response.schemaJson(streaming(['{"id":7}']), User)).toEqual({ id: 7 })
        const error = yield* Effect.flip(streaming(['{"id":"7"}']).pipe(Response.schemaJson(User)))
        expect(error._tag).toBe("DecodeError")
        expect(error.message).toContain("Expected number")
      }),
    ))

  it("getHeader returns the value or the default, as httplib", () => {
    const r = Response.make({ request, status: 200, headers: { Server: "demo" } })
    expect(Response.getHeader(r, "server")).toBe("demo")
    expect(Response.getHeader(r, "x-missing", "none")).toBe("none")
    expect(Response.getHeader("server")(r)).toBe("demo")
  })

  it("filterStatusOk turns a non-2xx status into a StatusError", () =>
    Effect.runPromise(
      Effect.gen(function* () {
        const error = yield* Effect.flip(
          Response.filterStatusOk(Response.make({ request, status: 404, reason: Status.reason(404) })),
        )
        expect(error).toMatchObject({ _tag: "StatusError", status: 404, reason: "Not Found" })
        expect(error.message).toBe("Unexpected status 404 Not Found: GET http://h/x")
      }),
    ))
})

describe("Status", () => {
  it("names the codes and maps them to reasons, as httplib's responses", () => {
    expect(Status.codes.NOT_FOUND).toBe(404)
    expect(Status.codes.IM_USED).toBe(226)
    expect(Status.responses.get(Status.codes.NOT_FOUND)).toBe("Not Found")
    expect(Status.reason(599)).toBe("Unknown")
    expect(Status.isSuccess(204)).toBe(true)
  })
})
