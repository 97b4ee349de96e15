/**
 * The request head and a small body encoded in one pass: the bytes are written straight into one buffer
 * sized for both, and every char is checked on the way. It gives up (undefined) at the first char it does
 * not accept, and the caller falls back to `Http1.invalidHead` (for the exact reason) and
 * `Http1.encodeHead`. Why one pass, and what it saved: docs/ARCHITECTURE.md, "Measured choices".
 * @internal
 */

import * as Headers from "../../Headers.js"
import type { RequestHead } from "../../Http1.js"
import { allocate } from "../shared/bytes.js"

const HTTP11 = " HTTP/1.1\r\n"
const HOST = "Host: "

/** Writes `s` at `at` if every char is allowed in a field value (HTAB, SP, visible, obs-text); -1 if not. */
const putValue = (out: Uint8Array, at: number, s: string): number => {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if ((c < 32 && c !== 9) || c === 127 || c > 255) return -1
    out[at++] = c
  }
  return at
}

/** Writes `s` at `at` if it is a request target: visible ASCII only; -1 if not. */
const putTarget = (out: Uint8Array, at: number, s: string): number => {
  if (s.length === 0) return -1
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c <= 32 || c >= 127) return -1
    out[at++] = c
  }
  return at
}

/** Writes ASCII `s` known to be valid (a token already checked, or a constant). */
const putAscii = (out: Uint8Array, at: number, s: string): number => {
  for (let i = 0; i < s.length; i++) out[at++] = s.charCodeAt(i)
  return at
}

/** The head followed by `body`, or undefined when a char needs the careful path. */
export const encodeRequest = (head: RequestHead, body: Uint8Array): Uint8Array | undefined => {
  if (!Headers.isToken(head.method)) return undefined
  let hasHost = false
  let size = head.method.length + 1 + head.target.length + HTTP11.length + 2 + body.length
  const fields = head.headers
  for (const [name, value] of fields) {
    if (!Headers.isToken(name)) return undefined
    if (name.length === 4 && name.toLowerCase() === "host") hasHost = true
    size += name.length + 2 + value.length + 2
  }
  if (!hasHost) size += HOST.length + head.host.length + 2
  const out = allocate(size)
  let at = putAscii(out, 0, head.method)
  out[at++] = 32
  at = putTarget(out, at, head.target)
  if (at === -1) return undefined
  at = putAscii(out, at, HTTP11)
  // The Host value is checked like any field value even when a field replaces it, as `invalidHead` does.
  if (hasHost) {
    if (Headers.invalidValueReason(head.host) !== undefined) return undefined
  } else {
    at = putValue(out, putAscii(out, at, HOST), head.host)
    if (at === -1) return undefined
    out[at++] = 13
    out[at++] = 10
  }
  for (const [name, value] of fields) {
    at = putAscii(out, at, name)
    out[at++] = 58
    out[at++] = 32
    at = putValue(out, at, value)
    if (at === -1) return undefined
    out[at++] = 13
    out[at++] = 10
  }
  out[at++] = 13
  out[at++] = 10
  out.set(body, at)
  return out
}
