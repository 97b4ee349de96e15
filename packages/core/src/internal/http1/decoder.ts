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
 *   Head  → read line by line as bytes arrive (`SectionReader`): the status line, then field lines (§4, §5)
 *   Length → a body of Content-Length bytes (§6.3 rule 6)
 *   Close  → a body delimited by the end of the connection (§6.3 rule 8)
 *   Size → Extension → SizeLf → Body → BodyCr → BodyLf → … → Trailer → done (chunked, §7.1)
 * Body bytes are handed out as sub-arrays of the fed chunks: the fast path copies nothing.
 * Bytes that follow a complete message stay in `leftover`: a connection holding any is not reused.
 * @internal
 */

import { concat } from "../shared/bytes.js"
import { type Section, SectionReader } from "./fields.js"
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
  /** The head or trailer section being read, from its first byte on. */
  private reader: SectionReader | undefined
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
          const failure = this.framingByte(this.state, data[pos] ?? LF, base + pos)
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
    if (this.reader === undefined)
      this.reader = new SectionReader(trailer ? "trailer" : "head", this.limits, base + pos)
    const read = this.reader.read(data, pos)
    if (read === undefined) {
      out.push(NEED_DATA)
      return out
    }
    if ("_tag" in read) return this.fail(out, read)
    this.reader = undefined
    const failure = trailer ? this.onTrailer(read.section, out) : this.onHead(read.section, out)
    if (failure !== undefined) return this.fail(out, failure)
    if (this.done) return this.finish(out, data.subarray(read.end))
    return { data, base, pos: read.end }
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
        const reader = this.reader
        if (reader === undefined || reader.empty) return this.fail([], { _tag: "BadStatusLine", line: "" })
        if (!reader.statusRead && this.informational === 0) {
          return this.fail([], { _tag: "BadStatusLine", line: reader.shown })
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

  private onHead(section: Section, out: Array<Event>): Failure | undefined {
    const start = section.start
    // Unreachable: the reader reads a head's status line first and refuses a head without one.
    if (section.status === undefined) return { _tag: "BadStatusLine", line: "" }
    const { version, status, reason } = section.status
    const headers = section.fields
    if (status < 200) {
      if (status === 101)
        return { _tag: "ProtocolError", reason: "101 Switching Protocols was not asked for", offset: start }
      this.informational++
      this.informationalBytes += section.size
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

  private onTrailer(section: Section, out: Array<Event>): Failure | undefined {
    this.state = "Done"
    out.push({ _tag: "End", trailers: section.fields })
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
