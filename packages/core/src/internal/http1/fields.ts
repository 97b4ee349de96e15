/**
 * Field sections of a response (the head and the trailers): `SectionReader` reads one line by line as its
 * bytes arrive, and `parseField` parses a field line. The decoder owns the message's state, the reader the
 * section's. RFC 9112 §2.2, §4, §5.
 * @internal
 */

import { concat, decodeLatin1 } from "../shared/bytes.js"
import { receivedValueForbidden, tokenPattern } from "./grammar.js"
import type { Failure, Limits, Pairs, SectionKind } from "./model.js"

const CR = 13
const LF = 10
const EMPTY = new Uint8Array(0)

/** status-line = HTTP-version SP status-code SP [ reason-phrase ]; a missing last SP is tolerated, as h11 does. */
export const statusLine = /^HTTP\/(\d)\.(\d) (\d{3})(?: ([\t\x20-\x7e\x80-\xff]*))?$/

/** A head's status line, checked: HTTP/1.x, a status from 100. */
export interface StatusParts {
  readonly version: 10 | 11
  readonly status: number
  readonly reason: string
}

/** A complete section: a head's status line, then its fields in order (a trailer section has no status line). */
export interface Section {
  readonly status: StatusParts | undefined
  readonly fields: Pairs
  /** Its length in bytes, the blank line included. */
  readonly size: number
  /** The stream offset of its first byte. */
  readonly start: number
}

const HTTP_SLASH = [72, 84, 84, 80, 47]
/** The most characters of a bad status line an error shows. */
const SHOWN = 200
/** Whether a byte may be in a status line's text: HTAB, SP, VCHAR or obs-text (RFC 9112 §4). */
const isLineText = (c: number): boolean => c === 9 || (c >= 32 && c !== 127)
const END = "End" as const

/**
 * Reads one field section (a head or trailers) line by line as its bytes arrive. Each line is checked when its
 * LF arrives, in order — a head's status line first — and an unfinished line against the limits, so the same
 * bytes give the same result, error tag and fields alike, however the network cut them. A limit counts as
 * crossed at the byte that crosses it, and of two crossed the earlier is reported. A head that cannot start
 * with `HTTP/` fails as soon as the bytes show it and the line an error shows is known: up to the first byte
 * that cannot be in a status line (CR, LF, a control: shown when it is not a line end), at most 200
 * characters. RFC 9112 §2.2, §4, §5.
 */
export class SectionReader {
  /** Bytes of the unfinished line. */
  private tail: Uint8Array = EMPTY
  /** Section bytes in finished lines. */
  private consumed = 0
  private lines = 0
  private status: StatusParts | undefined
  private readonly fields: Pairs = []

  constructor(
    private readonly kind: SectionKind,
    private readonly limits: Limits,
    /** The stream offset of the section's first byte. */
    private readonly start: number,
  ) {}

  /** Whether nothing of the section has arrived. */
  get empty(): boolean {
    return this.consumed === 0 && this.tail.length === 0
  }

  /** Whether a head's status line has been read. */
  get statusRead(): boolean {
    return this.lines > 0
  }

  /** The unfinished status line as a BadStatusLine shows it: what the end of the stream leaves of it. */
  get shown(): string {
    return shownLine({ source: this.tail, offset: 0, seen: this.tail.length, complete: false })
  }

  /**
   * Reads `data` from `pos`: the section and the index in `data` just past its blank line, a failure, or
   * undefined when it needs more bytes.
   */
  read(data: Uint8Array, pos: number): { readonly section: Section; readonly end: number } | Failure | undefined {
    const held = this.tail.length
    const bytes = held > 0 ? concat(this.tail, data.subarray(pos)) : data
    const from = held > 0 ? 0 : pos
    // Complete lines up to the blank line (or the last LF), no further than the head limit lets a section go.
    let region = from
    let n = this.lines
    for (let s = from; ; ) {
      const lf = bytes.indexOf(LF, s)
      if (lf === -1) break
      region = lf + 1
      const blank = lf === s || (lf === s + 1 && bytes[s] === CR)
      if ((blank && (this.kind === "trailer" || n > 0)) || this.consumed + region - from > this.limits.maxHeadBytes) {
        break
      }
      n++
      s = region
    }
    if (region > from) {
      // One decoding for every complete line: the whole section, when it has arrived in one piece.
      const text = decodeLatin1(bytes, from, region)
      for (let i = 0; i < text.length; ) {
        const lf = text.indexOf("\n", i)
        const verdict = this.line(text, i, lf)
        if (verdict === END) {
          const end = from + lf + 1 - held + (held > 0 ? pos : 0)
          const section = { status: this.status, fields: this.fields, size: this.consumed, start: this.start }
          return { section, end }
        }
        if (verdict !== undefined) return verdict
        i = lf + 1
      }
    }
    const rest = bytes.subarray(region)
    const failure = this.crossed({ source: rest, offset: 0, seen: rest.length, complete: false })
    if (failure !== undefined) return failure
    this.tail = rest.slice()
    return undefined
  }

  /** One complete line of `text`, [from, lf): its limits first, then what it says. */
  private line(text: string, from: number, lf: number): Failure | typeof END | undefined {
    const at = this.consumed
    const length = lf - from
    // Most lines are short and well inside the head: only a head's first line, a long line or one that
    // reaches the head limit can cross anything.
    const first = this.kind === "head" && this.lines === 0
    if (first || length > this.limits.maxLineBytes || at + length + 1 > this.limits.maxHeadBytes) {
      const crossed = this.crossed({ source: text, offset: from, seen: length, complete: true })
      if (crossed !== undefined) return crossed
    }
    this.consumed += length + 1
    this.lines++
    const stop = lf > from && text.charCodeAt(lf - 1) === CR ? lf - 1 : lf
    if (first) {
      const match = statusLine.exec(text.slice(from, stop))
      const status = Number(match?.[3])
      // RFC 9110 §15: status codes run from 100; one below is no status at all.
      if (match === null || match[1] !== "1" || status < 100) {
        return {
          _tag: "BadStatusLine",
          line: shownLine({ source: text, offset: from, seen: lf - from, complete: true }),
        }
      }
      this.status = { version: match[2] === "0" ? 10 : 11, status, reason: match[4] ?? "" }
      return undefined
    }
    if (stop === from) return END
    const line = text.slice(from, stop)
    const cr = line.indexOf("\r")
    if (cr !== -1) return { _tag: "ProtocolError", reason: "bare CR in a field section", offset: this.start + at + cr }
    const failure = parseField(line, this.start + at, this.fields)
    if (failure !== undefined) return failure
    if (this.fields.length > this.limits.maxHeaderCount) {
      return { _tag: "HeaderOverflow", limit: "header count", max: this.limits.maxHeaderCount }
    }
    return undefined
  }

  /**
   * The first limit the current line crosses within what has arrived of it, by the byte that crosses it: a
   * head's first line that cannot be a status line, the section's size, the line's length.
   */
  private crossed(line: LineSoFar): Failure | undefined {
    const { maxHeadBytes, maxLineBytes } = this.limits
    const available = line.complete ? line.seen + 1 : line.seen
    const headOver = maxHeadBytes + 1 - this.consumed
    const head = headOver <= available ? headOver : Number.POSITIVE_INFINITY
    // The length counts every byte but a CR that ends the line (or, unfinished, may yet end it).
    const content = line.seen > 0 && codeAt(line, line.seen - 1) === CR ? line.seen - 1 : line.seen
    const long =
      content <= maxLineBytes
        ? Number.POSITIVE_INFINITY
        : codeAt(line, maxLineBytes) === CR
          ? maxLineBytes + 2
          : maxLineBytes + 1
    const bad = this.kind === "head" && this.lines === 0 ? badStart(line) : Number.POSITIVE_INFINITY
    const first = Math.min(bad, head, long)
    if (first === Number.POSITIVE_INFINITY) return undefined
    if (first === bad) return { _tag: "BadStatusLine", line: shownLine(line) }
    if (first === head) return { _tag: "HeaderOverflow", limit: "head size", max: maxHeadBytes }
    return { _tag: "HeaderOverflow", limit: "line length", max: maxLineBytes }
  }
}

/** What has arrived of a line: `seen` bytes of `source` from `offset`, and its LF when `complete`. */
interface LineSoFar {
  readonly source: Uint8Array | string
  readonly offset: number
  readonly seen: number
  readonly complete: boolean
}

/** The k-th byte of a line so far; a complete line's LF is its `seen`-th. */
const codeAt = (line: LineSoFar, k: number): number =>
  k === line.seen
    ? LF
    : typeof line.source === "string"
      ? line.source.charCodeAt(line.offset + k)
      : (line.source[line.offset + k] ?? LF)

/**
 * Where a head's first line is known not to be a status line, as a count of its bytes: past the first byte
 * that differs from `HTTP/`, and once the line an error shows is known too (see `shownLine`); never while the
 * bytes so far may still start a status line.
 */
const badStart = (line: LineSoFar): number => {
  const available = line.complete ? line.seen + 1 : line.seen
  let mismatch = -1
  for (let k = 0; k < 5 && k < available; k++) {
    if (codeAt(line, k) !== HTTP_SLASH[k]) {
      mismatch = k
      break
    }
  }
  if (mismatch === -1) return Number.POSITIVE_INFINITY
  let known = available >= SHOWN ? SHOWN : Number.POSITIVE_INFINITY
  for (let k = 0; k < available && k < SHOWN; k++) {
    if (!isLineText(codeAt(line, k))) {
      known = k + 1
      break
    }
  }
  return Math.max(mismatch + 1, known)
}

/**
 * A bad status line as an error shows it: its text up to the first byte that cannot be in one, at most 200
 * characters. A control byte that ends it is shown too (a TLS alert, a binary greeting), so that only a line
 * that is empty — or a close before any byte — shows nothing.
 */
const shownLine = (line: LineSoFar): string => {
  const available = line.complete ? line.seen + 1 : line.seen
  let out = ""
  for (let k = 0; k < available && k < SHOWN; k++) {
    const c = codeAt(line, k)
    if (!isLineText(c)) return c === CR || c === LF ? out : out + String.fromCharCode(c)
    out += String.fromCharCode(c)
  }
  return out
}

/** Parses one field line into `fields`, or folds a continuation line into the field before it. */
const parseField = (line: string, at: number, fields: Pairs): Failure | undefined => {
  const c = line.charCodeAt(0)
  if (c === 32 || c === 9) {
    const last = fields.pop()
    if (last === undefined) return { _tag: "ProtocolError", reason: "continuation line with no field", offset: at }
    // A folded framing field is where strict and lenient parsers disagree on the body's end (RFC 9112 §5.2
    // lets a recipient refuse obs-fold): refused, so no peer can split a response by folding one.
    if (framingField(last[0])) {
      return { _tag: "ProtocolError", reason: `obs-fold in ${last[0]}, a framing field`, offset: at }
    }
    const more = trimOws(line)
    if (receivedValueForbidden.test(more))
      return { _tag: "ProtocolError", reason: "invalid character in field value", offset: at }
    fields.push([last[0], last[1] === "" ? more : more === "" ? last[1] : `${last[1]} ${more}`])
    return undefined
  }
  const colon = line.indexOf(":")
  if (colon <= 0) return { _tag: "ProtocolError", reason: "field line without a name and colon", offset: at }
  const name = line.slice(0, colon)
  if (!tokenPattern.test(name)) {
    // RFC 9112 §5.1: whitespace between the name and the colon MUST be rejected.
    const ws = name.endsWith(" ") || name.endsWith("\t")
    return { _tag: "ProtocolError", reason: ws ? "whitespace before the colon" : "invalid field name", offset: at }
  }
  const value = trimOws(line.slice(colon + 1))
  if (receivedValueForbidden.test(value))
    return { _tag: "ProtocolError", reason: "invalid character in field value", offset: at }
  fields.push([name, value])
  return undefined
}

/** Transfer-Encoding and Content-Length: the fields that decide where a body ends. */
const framingField = (name: string): boolean => {
  const n = name.length
  return (
    (n === 17 && name.toLowerCase() === "transfer-encoding") || (n === 14 && name.toLowerCase() === "content-length")
  )
}

const trimOws = (s: string): string => {
  let a = 0
  let b = s.length
  while (a < b && (s.charCodeAt(a) === 32 || s.charCodeAt(a) === 9)) a++
  while (b > a && (s.charCodeAt(b - 1) === 32 || s.charCodeAt(b - 1) === 9)) b--
  return a === 0 && b === s.length ? s : s.slice(a, b)
}
