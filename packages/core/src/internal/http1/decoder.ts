/**
 * HTTP/1.1 response decoder — theory of operation.
 *
 * The decoder is a state machine fed bytes by `feed` and told about the end of the stream by `eof`. It does
 * no I/O and keeps no timers, so the same object serves the node transport, the scripted mock peer and the
 * tests. Each call returns the events that the new bytes completed, and the last event is always one of:
 * `NeedData` (give me more bytes), `End` (the message is complete) or `Error` (the peer broke the protocol;
 * the decoder refuses all further input and returns the same error again).
 *
 * States follow the grammar of RFC 9112:
 *   Head  → accumulate bytes until the blank line, then parse status line and field lines (§4, §5)
 *   Length → a body of Content-Length bytes (§6.3 rule 6)
 *   Close  → a body delimited by the end of the connection (§6.3 rule 8)
 *   Size → Extension → SizeLf → Body → BodyCr → BodyLf → … → Trailer → done (chunked, §7.1)
 * Body bytes are handed out as sub-arrays of the fed chunks: the fast path copies nothing.
 * Bytes that follow a complete message stay in `leftover`: a connection holding any is not reused.
 * @internal
 */

import { concat, decodeLatin1 } from "../bytes.js"
import { checkPartial, checkPartialStatus, parseSection, sectionEnd, statusLine } from "./fields.js"
import { delimitersOf, framingOf, lengthOf, persistsAfter } from "./framing.js"
import { chunkExtensionPattern } from "./grammar.js"
import type { Event, Failure, Head, Limits, Pairs } from "./model.js"

const NEED_DATA: Event = { _tag: "NeedData" }
const EMPTY = new Uint8Array(0)

/** Where the decoder is in the message (see the theory of operation above). */
type State =
  | "Head"
  | "Length"
  | "Close"
  | "Size"
  | "Extension"
  | "SizeLf"
  | "Body"
  | "BodyCr"
  | "BodyLf"
  | "Trailer"
  | "Done"
  | "Failed"

/** Where decoding goes on: the bytes, the stream offset of their first, and the position in them. */
interface Cursor {
  readonly data: Uint8Array
  readonly base: number
  readonly pos: number
}

/** The states that read chunk framing one byte at a time. */
type ChunkFraming = "Size" | "Extension" | "SizeLf" | "BodyCr" | "BodyLf"

/** The failure for framing that `framingOf` refused. */
const refusal = (reason: "Smuggling" | "UnknownCoding" | "BadLength", value: string, offset: number): Failure => {
  switch (reason) {
    case "Smuggling":
      return { _tag: "ProtocolError", reason: "both Transfer-Encoding and Content-Length", offset }
    case "UnknownCoding":
      return { _tag: "UnknownTransferEncoding", encoding: value }
    case "BadLength":
      return { _tag: "ProtocolError", reason: `invalid Content-Length ${JSON.stringify(value)}`, offset }
  }
}

const CR = 13
const LF = 10

const hexValue = (c: number): number =>
  c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1

export class ResponseDecoder {
  private state: State = "Head"
  private failure: Event | undefined
  /** Bytes of an unfinished head or trailer section, and the stream offset of its first byte. */
  private acc: Uint8Array = EMPTY
  private accStart = 0
  private scanFrom = 0
  /** Stream offset of the first byte of the chunk being fed. */
  private offset = 0
  private remaining = 0
  private received = 0
  private expected: number | undefined
  private keepAlive = false
  private size = 0
  private lineBytes = 0
  private extension = ""
  private extensionBytes = 0
  private informational = 0
  /** Bytes of the 1xx heads so far: together they must fit in `maxHeadBytes`. */
  private informationalBytes = 0
  /** Bytes received after the end of the message. */
  leftover: Uint8Array = EMPTY

  constructor(
    private readonly method: string,
    private readonly limits: Limits,
  ) {}

  /** Whether the message is complete. */
  get done(): boolean {
    return this.state === "Done"
  }

  /** Whether the message ended and the peer keeps the connection open. */
  get persistent(): boolean {
    return this.state === "Done" && this.keepAlive
  }

  /** Whether the connection may be reused: the message ended, the peer allows it, and nothing trails it. */
  get reusable(): boolean {
    return this.state === "Done" && this.keepAlive && this.leftover.length === 0
  }

  /** Feeds the next bytes of the response. */
  feed(chunk: Uint8Array): Array<Event> {
    if (this.failure !== undefined) return [this.failure]
    if (this.state === "Done") {
      this.leftover = concat(this.leftover, chunk)
      return []
    }
    const out: Array<Event> = []
    let data = chunk
    let base = this.offset
    let pos = 0
    this.offset += chunk.length
    while (true) {
      switch (this.state) {
        case "Head":
        case "Trailer": {
          const next = this.section(data, base, pos, out)
          if (Array.isArray(next)) return next
          data = next.data
          base = next.base
          pos = next.pos
          break
        }
        case "Length": {
          if (pos === data.length) return this.need(out)
          pos = this.counted(data, pos, out)
          if (this.remaining === 0) {
            this.state = "Done"
            out.push({ _tag: "End", trailers: [] })
            return this.finish(out, data.subarray(pos))
          }
          break
        }
        case "Close": {
          if (pos < data.length) {
            this.received += data.length - pos
            out.push({ _tag: "Data", chunk: data.subarray(pos) })
          }
          return this.need(out)
        }
        case "Body": {
          if (pos === data.length) return this.need(out)
          pos = this.counted(data, pos, out)
          if (this.remaining === 0) this.state = "BodyCr"
          break
        }
        case "Size":
        case "Extension":
        case "SizeLf":
        case "BodyCr":
        case "BodyLf": {
          // The chunk framing, one byte at a time.
          if (pos === data.length) return this.need(out)
          const failure = this.framingByte(this.state, data[pos] as number, base + pos)
          pos++
          if (failure !== undefined) return this.fail(out, failure)
          break
        }
        case "Failed":
          // Unreachable: a failure returns as it is reported.
          return out
      }
    }
  }

  /**
   * A head or trailer section from `pos`, joined to what an earlier chunk left unfinished. Returns where
   * decoding goes on, or the events to return now: more data needed, a failure, or the message's end.
   */
  private section(data: Uint8Array, base: number, pos: number, out: Array<Event>): Cursor | Array<Event> {
    const trailer = this.state === "Trailer"
    let section = data.subarray(pos)
    let start = base + pos
    if (this.acc.length > 0) {
      section = concat(this.acc, section)
      start = this.accStart
    }
    const end = sectionEnd(section, this.scanFrom, trailer ? "trailer" : "head")
    if (end === -1) {
      const failure = (trailer ? undefined : checkPartialStatus(section)) ?? checkPartial(section, this.limits)
      if (failure !== undefined) return this.fail(out, failure)
      this.acc = section.slice()
      this.accStart = start
      this.scanFrom = Math.max(0, section.length - 2)
      out.push(NEED_DATA)
      return out
    }
    this.acc = EMPTY
    this.scanFrom = 0
    const failure = trailer ? this.onTrailer(section, end, start, out) : this.onHead(section, end, start, out)
    if (failure !== undefined) return this.fail(out, failure)
    if (this.done) return this.finish(out, section.subarray(end))
    return { data: section, base: start, pos: end }
  }

  /** Tells the decoder that the peer closed the connection. */
  eof(): Array<Event> {
    if (this.failure !== undefined) return [this.failure]
    switch (this.state) {
      case "Done":
        return []
      case "Close":
        this.state = "Done"
        return [{ _tag: "End", trailers: [] }]
      case "Head": {
        // No final status line: httplib's RemoteDisconnected, after 1xx responses too (a 100 Continue then a
        // close has no answer to the request).
        if (this.acc.length === 0) return this.fail([], { _tag: "BadStatusLine", line: "" })
        const lf = this.acc.indexOf(LF)
        if (lf === -1 && this.informational === 0) {
          return this.fail([], {
            _tag: "BadStatusLine",
            line: decodeLatin1(this.acc, 0, Math.min(this.acc.length, 200)),
          })
        }
        return this.fail([], { _tag: "ProtocolError", reason: "connection closed in the head", offset: this.offset })
      }
      case "Length":
      case "Size":
      case "Extension":
      case "SizeLf":
      case "Body":
      case "BodyCr":
      case "BodyLf":
      case "Trailer":
        return this.fail([], { _tag: "IncompleteRead", received: this.received, expected: this.expected })
      case "Failed":
        // Unreachable: the failure was returned above.
        return []
    }
  }

  /** Hands out up to `remaining` bytes of `data` from `pos` (a length or a chunk); returns where it stopped. */
  private counted(data: Uint8Array, pos: number, out: Array<Event>): number {
    const n = Math.min(this.remaining, data.length - pos)
    out.push({ _tag: "Data", chunk: data.subarray(pos, pos + n) })
    this.remaining -= n
    this.received += n
    return pos + n
  }

  private need(out: Array<Event>): Array<Event> {
    out.push(NEED_DATA)
    return out
  }

  private finish(out: Array<Event>, rest: Uint8Array): Array<Event> {
    if (rest.length > 0) this.leftover = rest.slice()
    return out
  }

  private fail(out: Array<Event>, failure: Failure): Array<Event> {
    this.state = "Failed"
    this.failure = { _tag: "Error", failure }
    out.push(this.failure)
    return out
  }

  private onHead(section: Uint8Array, end: number, start: number, out: Array<Event>): Failure | undefined {
    const parsed = parseSection(section, end, start, this.limits, "head")
    if ("_tag" in parsed) return parsed
    const first = parsed.first
    const match = statusLine.exec(first)
    const status = Number(match?.[3])
    // RFC 9110 §15: status codes run from 100; one below is no status at all, not an interim response.
    if (match === null || match[1] !== "1" || status < 100) return { _tag: "BadStatusLine", line: first.slice(0, 200) }
    const version = match[2] === "0" ? 10 : 11
    const reason = match[4] ?? ""
    const headers = parsed.fields
    if (status < 200) {
      if (status === 101)
        return { _tag: "ProtocolError", reason: "101 Switching Protocols was not asked for", offset: start }
      this.informational++
      this.informationalBytes += end
      if (this.informational > this.limits.maxInformational) {
        const reason = `more than ${this.limits.maxInformational} informational (1xx) responses`
        return { _tag: "ProtocolError", reason, offset: start }
      }
      if (this.informationalBytes > this.limits.maxHeadBytes) {
        return { _tag: "HeaderOverflow", limit: "informational heads", max: this.limits.maxHeadBytes }
      }
      out.push({ _tag: "Informational", status, reason, headers })
      return undefined
    }
    return this.frame(version, status, reason, headers, start, out)
  }

  /** Applies the framing `framingOf` chooses (framing.ts), and the persistence the head asks for. */
  private frame(
    version: 10 | 11,
    status: number,
    reason: string,
    headers: Pairs,
    start: number,
    out: Array<Event>,
  ): Failure | undefined {
    const delimiters = delimitersOf(headers)
    this.keepAlive = persistsAfter(version, delimiters)
    const framing = framingOf({ status, delimiters }, { method: this.method })
    const head = (contentLength: number | undefined): Head => ({
      _tag: "Head",
      version,
      status,
      reason,
      headers,
      keepAlive: this.keepAlive,
      contentLength,
      keepAliveTimeout: delimiters.keepAliveTimeout,
    })
    switch (framing._tag) {
      case "None": {
        // No body follows; a Content-Length here announces the representation's size (to a HEAD, say), and is reported as it is.
        const announced = delimiters.contentLength === undefined ? undefined : lengthOf(delimiters.contentLength)
        this.state = "Done"
        out.push(head(announced ?? 0), { _tag: "End", trailers: [] })
        return undefined
      }
      case "Chunked":
        this.state = "Size"
        out.push(head(undefined))
        return undefined
      case "Length":
        this.expected = framing.length
        this.remaining = framing.length
        out.push(head(framing.length))
        if (framing.length === 0) {
          this.state = "Done"
          out.push({ _tag: "End", trailers: [] })
        } else this.state = "Length"
        return undefined
      case "UntilClose":
        // The end of the body is the end of the connection, which therefore cannot be reused.
        this.keepAlive = false
        this.state = "Close"
        out.push(head(undefined))
        return undefined
      case "Refused":
        return refusal(framing.reason, framing.value, start)
    }
  }

  private onTrailer(section: Uint8Array, end: number, start: number, out: Array<Event>): Failure | undefined {
    const parsed = parseSection(section, end, start, this.limits, "trailer")
    if ("_tag" in parsed) return parsed
    const trailers = parsed.fields
    this.state = "Done"
    out.push({ _tag: "End", trailers })
    return undefined
  }

  /** One byte of chunk framing (chunk-size line, or the CRLF after chunk data). */
  private framingByte(state: ChunkFraming, c: number, at: number): Failure | undefined {
    switch (state) {
      case "Size": {
        const d = hexValue(c)
        if (d !== -1) {
          this.size = this.size * 16 + d
          if (this.size > Number.MAX_SAFE_INTEGER)
            return { _tag: "ProtocolError", reason: "chunk size too large", offset: at }
          return this.countLine()
        }
        if (this.lineBytes === 0) return { _tag: "ProtocolError", reason: "invalid chunk size", offset: at }
        if (c === CR) this.state = "SizeLf"
        else if (c === 59 || c === 32 || c === 9) {
          this.state = "Extension"
          this.extension = String.fromCharCode(c)
          return this.countExtension()
        } else return { _tag: "ProtocolError", reason: "invalid chunk size", offset: at }
        return undefined
      }
      case "Extension": {
        if (c === CR) {
          if (!chunkExtensionPattern.test(this.extension))
            return { _tag: "ProtocolError", reason: "invalid chunk extension", offset: at }
          this.state = "SizeLf"
          return undefined
        }
        if (c === LF) return { _tag: "ProtocolError", reason: "chunk line must end with CRLF", offset: at }
        this.extension += String.fromCharCode(c)
        return this.countExtension()
      }
      case "SizeLf": {
        if (c !== LF) return { _tag: "ProtocolError", reason: "chunk line must end with CRLF", offset: at }
        this.lineBytes = 0
        this.extension = ""
        if (this.size === 0) this.state = "Trailer"
        else {
          this.remaining = this.size
          this.state = "Body"
        }
        this.size = 0
        return undefined
      }
      case "BodyCr": {
        if (c !== CR) return { _tag: "ProtocolError", reason: "chunk data must end with CRLF", offset: at }
        this.state = "BodyLf"
        return undefined
      }
      case "BodyLf": {
        if (c !== LF) return { _tag: "ProtocolError", reason: "chunk data must end with CRLF", offset: at }
        this.state = "Size"
        return undefined
      }
    }
  }

  private countLine(): Failure | undefined {
    this.lineBytes++
    return this.lineBytes > this.limits.maxChunkLineBytes
      ? { _tag: "HeaderOverflow", limit: "chunk line", max: this.limits.maxChunkLineBytes }
      : undefined
  }

  private countExtension(): Failure | undefined {
    this.extensionBytes++
    if (this.extensionBytes > this.limits.maxChunkExtensionBytes) {
      return { _tag: "HeaderOverflow", limit: "chunk extensions", max: this.limits.maxChunkExtensionBytes }
    }
    return this.countLine()
  }
}
