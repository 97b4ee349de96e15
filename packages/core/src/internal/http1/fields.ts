/**
 * Field sections of a response (the head and the trailers): finding their end, splitting them into lines,
 * and parsing field lines. Pure functions over bytes; the decoder owns the state. RFC 9112 §2.2, §5.
 * @internal
 */

import { decodeLatin1 } from "../bytes.js"
import { receivedValueForbidden, tokenPattern } from "./grammar.js"
import type { Failure, Limits, Pairs, SectionKind } from "./model.js"

const CR = 13
const LF = 10

/** status-line = HTTP-version SP status-code SP [ reason-phrase ]; a missing last SP is tolerated, as h11 does. */
export const statusLine = /^HTTP\/(\d)\.(\d) (\d{3})(?: ([\t\x20-\x7e\x80-\xff]*))?$/

/**
 * Index just past the blank line that ends a field section starting at 0, or -1 if it has not arrived.
 * A bare LF is accepted as a line end (RFC 9112 §2.2 allows a recipient to). A trailer section may be
 * empty, so there a blank first line ends it.
 */
export const sectionEnd = (bytes: Uint8Array, from: number, kind: SectionKind): number => {
  if (kind === "trailer" && from === 0) {
    if (bytes[0] === LF) return 1
    if (bytes[0] === CR && bytes[1] === LF) return 2
  }
  let i = bytes.indexOf(LF, from)
  while (i !== -1) {
    if (bytes[i + 1] === LF) return i + 2
    if (bytes[i + 1] === CR && bytes[i + 2] === LF) return i + 3
    i = bytes.indexOf(LF, i + 1)
  }
  return -1
}

/** A parsed section: its first line when asked for (the status line), then its fields in order. */
export interface Section {
  readonly first: string
  readonly fields: Pairs
}

/**
 * Parses a complete section (bytes [0, end) of `section`, `start` its stream offset) in one pass over its
 * latin1 text: line limits, bare CRs, field syntax, obs-fold (replaced by one space, RFC 9112 §5.2) and
 * the field count. A head's first line is returned as is (the status line); a trailer section has none.
 */
export const parseSection = (
  section: Uint8Array,
  end: number,
  start: number,
  limits: Limits,
  kind: SectionKind,
): Section | Failure => {
  if (end > limits.maxHeadBytes) return { _tag: "HeaderOverflow", limit: "head size", max: limits.maxHeadBytes }
  const text = decodeLatin1(section, 0, end)
  const fields: Pairs = []
  let first = ""
  let from = 0
  let index = 0
  while (from < text.length) {
    const lf = text.indexOf("\n", from)
    const stop = lf > from && text.charCodeAt(lf - 1) === CR ? lf - 1 : lf
    if (stop === from && lf === text.length - 1) break // the blank line that ends the section
    if (stop - from > limits.maxLineBytes) {
      return { _tag: "HeaderOverflow", limit: "line length", max: limits.maxLineBytes }
    }
    const line = text.slice(from, stop)
    const at = start + from
    const cr = line.indexOf("\r")
    if (cr !== -1) return { _tag: "ProtocolError", reason: "bare CR in a field section", offset: at + cr }
    from = lf + 1
    if (kind === "head" && index++ === 0) {
      first = line
      continue
    }
    const failure = parseField(line, at, fields)
    if (failure !== undefined) return failure
    if (fields.length > limits.maxHeaderCount) {
      return { _tag: "HeaderOverflow", limit: "header count", max: limits.maxHeaderCount }
    }
  }
  return { first, fields }
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

/** Checks an unfinished section against the limits, so a peer cannot make the decoder buffer forever. */
export const checkPartial = (section: Uint8Array, limits: Limits): Failure | undefined => {
  if (section.length > limits.maxHeadBytes) {
    return { _tag: "HeaderOverflow", limit: "head size", max: limits.maxHeadBytes }
  }
  const lastLine = section.length - (section.lastIndexOf(LF) + 1)
  // A CR at the very end may still become part of a CRLF, so it does not count towards the line.
  const pending = section[section.length - 1] === CR ? lastLine - 1 : lastLine
  if (pending > limits.maxLineBytes) return { _tag: "HeaderOverflow", limit: "line length", max: limits.maxLineBytes }
  return undefined
}

/** Checks the start of an unfinished head: it must begin with `HTTP/`, and a complete first line must parse. */
export const checkPartialStatus = (section: Uint8Array): Failure | undefined => {
  const lf = section.indexOf(LF)
  const firstEnd = lf === -1 ? section.length : lf
  const prefix = Math.min(5, section.length)
  if (decodeLatin1(section, 0, prefix) !== "HTTP/".slice(0, prefix)) {
    return { _tag: "BadStatusLine", line: decodeLatin1(section, 0, Math.min(firstEnd, 200)) }
  }
  if (lf !== -1) {
    const line = decodeLatin1(section, 0, lf > 0 && section[lf - 1] === CR ? lf - 1 : lf)
    const match = statusLine.exec(line)
    if (match === null || match[1] !== "1" || Number(match[3]) < 100) {
      return { _tag: "BadStatusLine", line: line.slice(0, 200) }
    }
  }
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
