/** Bytes: latin1 both ways, concatenation, and slab allocation for outgoing heads. @internal */

// WHATWG's "latin1" label is windows-1252, which differs from ISO-8859-1 only for bytes 0x80-0x9F, and
// every differing byte decodes to a char above U+00FF. So: decode natively, and if any such char appears,
// decode exactly by hand (the measurement is in docs/ARCHITECTURE.md, "Hot path").
const windows1252 = new TextDecoder("windows-1252")
const beyondLatin1 = /[\u0100-\uffff]/

/** Decodes bytes as latin1 (ISO-8859-1): one char per byte, as HTTP heads are read. */
export const decodeLatin1 = (bytes: Uint8Array, start: number, end: number): string => {
  const fast = windows1252.decode(bytes.subarray(start, end))
  return beyondLatin1.test(fast) ? decodeLatin1Exact(bytes, start, end) : fast
}

const decodeLatin1Exact = (bytes: Uint8Array, start: number, end: number): string => {
  let out = ""
  // fromCharCode.apply takes at most ~64K arguments; 8 KiB slices stay well under that.
  for (let i = start; i < end; i += 8192) {
    out += String.fromCharCode.apply(null, bytes.subarray(i, Math.min(end, i + 8192)) as unknown as Array<number>)
  }
  return out
}

const utf8 = new TextEncoder()
const nonAscii = /[^\x00-\x7f]/

/**
 * Encodes a string whose chars are all ≤ 0xFF (validated by the caller) as latin1 bytes. ASCII — nearly
 * every request head — goes through the native encoder, where UTF-8 and latin1 agree.
 */
export const encodeLatin1 = (s: string): Uint8Array => {
  if (!nonAscii.test(s)) return utf8.encode(s)
  const out = new Uint8Array(s.length)
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i)
  return out
}

// V8 keeps typed arrays of up to 64 bytes on its heap; a larger one gets a backing store of its own, which
// costs far more to allocate than a view on an existing buffer (docs/ARCHITECTURE.md, "Hot path"). Request
// heads are larger, so they are carved from shared slabs, as Node's Buffer pool does.
const SLAB_BYTES = 64 * 1024
const SLAB_MAX = 4 * 1024
let slab = new ArrayBuffer(SLAB_BYTES)
let slabAt = 0

/**
 * `n` zeroed bytes for an outgoing message. Up to 4 KiB they are a view on a shared slab, so keep them
 * internal: a caller's `.buffer` would be the whole slab.
 */
export const allocate = (n: number): Uint8Array => {
  if (n > SLAB_MAX) return new Uint8Array(n)
  if (slabAt + n > SLAB_BYTES) {
    slab = new ArrayBuffer(SLAB_BYTES)
    slabAt = 0
  }
  const out = new Uint8Array(slab, slabAt, n)
  slabAt += (n + 7) & ~7
  return out
}

/** Joins any number of byte arrays into one (the only one itself, untouched). */
export const concatAll = (parts: ReadonlyArray<Uint8Array>): Uint8Array => {
  const only = parts.length === 1 ? parts[0] : undefined
  if (only !== undefined) return only
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}

/** Joins two byte arrays. */
export const concat = (a: Uint8Array, b: Uint8Array): Uint8Array => {
  if (a.length === 0) return b
  if (b.length === 0) return a
  const out = new Uint8Array(a.length + b.length)
  out.set(a, 0)
  out.set(b, a.length)
  return out
}
