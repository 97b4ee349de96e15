import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { pieces } from "../src/internal/client/progress.js"
import { FastCheck } from "./edition.js"

describe("pieces (onChunk's cutting)", () => {
  it("gives pieces of exactly the size, the last shorter, and the same bytes, however the input is cut", () => {
    FastCheck.assert(
      FastCheck.property(
        FastCheck.array(FastCheck.uint8Array({ maxLength: 50 }), { maxLength: 20 }),
        FastCheck.integer({ min: 1, max: 40 }),
        (chunks, size) => {
          const out = Array.from(Effect.runSync(Stream.runCollect(pieces<never>(size)(Stream.fromIterable(chunks)))))
          const input = chunks.flatMap((c) => [...c])
          expect(out.flatMap((c) => [...c])).toEqual(input)
          expect(out.slice(0, -1).every((p) => p.length === size)).toBe(true)
          if (out.length > 0) expect((out.at(-1) as Uint8Array).length).toBeLessThanOrEqual(size)
          expect(out.every((p) => p.length > 0)).toBe(true)
        },
      ),
      { numRuns: 300 },
    )
  })
})
