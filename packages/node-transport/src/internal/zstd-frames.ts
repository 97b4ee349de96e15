/**
 * Where a zstd stream's frames end (RFC 8878 §3.1), found from the compressed bytes alone: frame headers
 * and block headers are read, block contents and skippable frames skipped. node:zlib's zstd decoder on
 * Node 22 ends a cut frame without an error (Node 24 reports it), so the decoder asks this whether the
 * input ended at a frame boundary. Nothing is buffered but a header of at most 14 bytes.
 * @internal
 */

const ZSTD_MAGIC = 0xfd2fb528
/** Skippable frames: magic 0x184D2A50 to 0x184D2A5F, then a 4-byte size and that many bytes. */
const SKIPPABLE_MASK = 0xfffffff0
const SKIPPABLE_MAGIC = 0x184d2a50

type Step =
  /** A frame's magic number (or the end of the stream). */
  | "magic"
  /** A skippable frame's size. */
  | "skippable-size"
  /** The frame header descriptor (one byte). */
  | "descriptor"
  /** A block header (three bytes). */
  | "block"

export class ZstdFrames {
  private step: Step = "magic"
  /** Bytes of the header being read. */
  private header: Array<number> = []
  /** How many header bytes the step needs. */
  private need = 4
  /** Bytes to pass over before the next header: block content, the rest of a frame header, a checksum. */
  private skip = 0
  /** What follows the bytes skipped: another block, or the next frame. */
  private after: Step = "magic"
  /** Whether the current frame ends with a 4-byte checksum. */
  private checksum = false
  /** Why the bytes are not zstd frames, if they are not; node:zlib then reports it too. */
  invalid: string | undefined

  /** Follows `chunk` through the frame structure. */
  feed(chunk: Uint8Array): void {
    let i = 0
    while (i < chunk.length && this.invalid === undefined) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, chunk.length - i)
        this.skip -= n
        i += n
        if (this.skip === 0) this.expect(this.after)
        continue
      }
      this.header.push(chunk[i] ?? 0)
      i++
      if (this.header.length === this.need) this.parse()
    }
  }

  /** Whether the stream ended where a frame ended (an empty stream included). */
  get complete(): boolean {
    return this.invalid === undefined && this.step === "magic" && this.header.length === 0 && this.skip === 0
  }

  private expect(step: Step): void {
    this.step = step
    this.header = []
    this.need = step === "magic" || step === "skippable-size" ? 4 : step === "descriptor" ? 1 : 3
  }

  private littleEndian(): number {
    return this.header.reduce((value, byte, i) => value + byte * 2 ** (8 * i), 0)
  }

  private parse(): void {
    const value = this.littleEndian()
    switch (this.step) {
      case "magic":
        if (value === ZSTD_MAGIC) this.expect("descriptor")
        else if ((value & SKIPPABLE_MASK) >>> 0 === SKIPPABLE_MAGIC) this.expect("skippable-size")
        else this.invalid = "not a zstd frame"
        break
      case "skippable-size":
        this.pass(value, "magic")
        break
      case "descriptor":
        this.descriptor(value)
        break
      case "block":
        this.block(value)
        break
    }
  }

  /** The frame header descriptor: what the rest of the header holds, and whether a checksum ends the frame. */
  private descriptor(value: number): void {
    const single = (value >> 5) & 1
    const fcs = [single === 1 ? 1 : 0, 2, 4, 8][value >> 6] ?? 0
    const dictionary = [0, 1, 2, 4][value & 3] ?? 0
    this.checksum = ((value >> 2) & 1) === 1
    if (((value >> 3) & 1) === 1) this.invalid = "a reserved bit of the frame header is set"
    else this.pass((single === 1 ? 0 : 1) + dictionary + fcs, "block")
  }

  /** A block header: its content is passed over, then the next block, or the checksum and the next frame. */
  private block(value: number): void {
    const type = (value >> 1) & 3
    const size = value >>> 3
    if (type === 3) {
      this.invalid = "a reserved block type"
      return
    }
    // An RLE block's content is the one byte it repeats; raw and compressed blocks hold `size` bytes.
    const content = type === 1 ? 1 : size
    if ((value & 1) === 0) this.pass(content, "block")
    else this.pass(content + (this.checksum ? 4 : 0), "magic")
  }

  /** Passes over `bytes`, then reads the header of `then`. */
  private pass(bytes: number, then: Step): void {
    this.header = []
    this.after = then
    this.skip = bytes
    if (bytes === 0) this.expect(then)
  }
}
