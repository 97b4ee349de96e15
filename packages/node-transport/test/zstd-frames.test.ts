// The zstd frame tracker that tells a whole zstd body from one cut short (node:zlib's decoder on Node 22
// does not): table-driven, each case fed whole, byte by byte and split at every offset.
import { describe, expect, it } from "@effect/vitest"
import { ZstdFrames } from "../src/internal/zstd-frames.js"

const MAGIC = [0x28, 0xb5, 0x2f, 0xfd]
const le3 = (v: number) => [v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff]
/** A block header: last flag, type (0 raw, 1 RLE, 2 compressed, 3 reserved), size. */
const block = (last: boolean, type: number, size: number) => le3((last ? 1 : 0) | (type << 1) | (size << 3))

interface Case {
  readonly name: string
  readonly bytes: ReadonlyArray<number>
  /** Whether the whole input is complete frames; a shorter prefix is only where it ends at a boundary. */
  readonly complete: boolean
  /** Where one frame ends and the next begins. */
  readonly boundaries?: ReadonlyArray<number>
  readonly invalid?: boolean
}

const cases: ReadonlyArray<Case> = [
  {
    name: "a single-segment frame with one raw block",
    bytes: [...MAGIC, 0x20, 3, ...block(true, 0, 3), 1, 2, 3],
    complete: true,
  },
  {
    name: "a windowed frame of RLE blocks, the content being one byte each",
    bytes: [...MAGIC, 0x00, 0x38, ...block(false, 1, 131072), 0, ...block(true, 1, 131072), 0],
    complete: true,
  },
  {
    name: "a frame with a checksum, a dictionary id and a 2-byte content size",
    bytes: [...MAGIC, 0x45, 0x38, 7, 3, 0, ...block(true, 2, 2), 9, 9, 1, 2, 3, 4],
    complete: true,
  },
  {
    name: "a skippable frame, then a frame",
    bytes: [0x50, 0x2a, 0x4d, 0x18, 2, 0, 0, 0, 0xaa, 0xbb, ...MAGIC, 0x20, 1, ...block(true, 0, 1), 5],
    complete: true,
    boundaries: [10],
  },
  {
    name: "two frames back to back",
    bytes: [...MAGIC, 0x20, 1, ...block(true, 0, 1), 5, ...MAGIC, 0x20, 1, ...block(true, 0, 1), 6],
    complete: true,
    boundaries: [10],
  },
  { name: "an empty body", bytes: [], complete: true },
  { name: "a reserved bit in the frame header", bytes: [...MAGIC, 0x28, 1], complete: false, invalid: true },
  { name: "a reserved block type", bytes: [...MAGIC, 0x20, 1, ...block(true, 3, 1)], complete: false, invalid: true },
  { name: "not zstd at all", bytes: [0x1f, 0x8b, 8, 0], complete: false, invalid: true },
]

/** Feeds `bytes` cut at `cuts`, and says what the tracker thinks at the end. */
const run = (bytes: ReadonlyArray<number>, cuts: ReadonlyArray<number>) => {
  const frames = new ZstdFrames()
  let from = 0
  for (const cut of [...cuts, bytes.length]) {
    frames.feed(Uint8Array.from(bytes.slice(from, cut)))
    from = cut
  }
  return { complete: frames.complete, invalid: frames.invalid !== undefined }
}

describe("zstd frame tracking", () => {
  describe.each(cases)("$name", (c) => {
    it("is the same whole, byte by byte, and split at every offset", () => {
      const expected = { complete: c.complete, invalid: c.invalid === true }
      expect(run(c.bytes, [])).toEqual(expected)
      expect(
        run(
          c.bytes,
          c.bytes.map((_, i) => i),
        ),
      ).toEqual(expected)
      for (let at = 1; at < c.bytes.length; at++) expect(run(c.bytes, [at])).toEqual(expected)
    })

    it.runIf(c.complete && c.bytes.length > 0)("a shorter prefix is complete only where it ends between frames", () => {
      for (let end = 1; end < c.bytes.length; end++) {
        const between = c.boundaries?.includes(end) === true
        expect([end, run(c.bytes.slice(0, end), []).complete]).toEqual([end, between])
      }
    })
  })
})
