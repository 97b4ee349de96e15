/**
 * HTTP/1.1 response decoder — theory of operation.
 *
 * The decoder is a state machine fed bytes by `feed` and told about the end of the stream by `eof`. It does
 * no I/O and keeps no timers, so the same object serves the node transport, the scripted mock peer and the
 * tests. Each call returns the events that the new bytes completed, and the last event is always one of:
 * `NeedData` (give me more bytes), `End` (the message is complete) or `Error` (the peer broke the protocol;
 * the decoder refuses all further input and returns the same error again).
 *
 * States follow the grammar of RFC 9112, each holding what is valid in it:
 *   Head    → read line by line as bytes arrive (`SectionReader`): the status line, then field lines (§4, §5)
 *   Length  → a body of Content-Length bytes (§6.3 rule 6): the bytes still to come
 *   Close   → a body delimited by the end of the connection (§6.3 rule 8)
 *   Chunked → a chunked body (§7.1), one step at a time: Size → Extension → SizeLf → Data → DataCr →
 *             DataLf → Size …, with the chunk line read so far; a last chunk goes on to
 *   Trailer → the trailer section, then Done (with whether the connection persists) or Failed.
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

/** A head (the final one, after any 1xx) being read; its reader starts at the section's first byte. */
interface Heading {
  readonly _tag: "Head"
  reader: SectionReader | undefined
}

/** A body of Content-Length bytes. */
interface Counted {
  readonly _tag: "Length"
  remaining: number
  readonly keepAlive: boolean
}

/** A body that ends with the connection. */
interface UntilClose {
  readonly _tag: "Close"
}

/** Where a chunked body's framing is read one byte at a time (the data between goes out in runs). */
type Step = "Size" | "Extension" | "SizeLf" | "Data" | "DataCr" | "DataLf"

/** A chunked body: the step, the chunk line read so far, and the chunk's data still to come. */
interface Chunked {
  readonly _tag: "Chunked"
  step: Step
  size: number
  lineBytes: number
  extension: string
  /** Bytes of chunk extensions in the whole body, against `maxChunkExtensionBytes`. */
  extensionBytes: number
  remaining: number
  readonly keepAlive: boolean
}

/** The trailer section after the last chunk. */
interface Trailing {
  readonly _tag: "Trailer"
  reader: SectionReader | undefined
  readonly keepAlive: boolean
}

/** The message is complete. */
interface Done {
  readonly _tag: "Done"
  readonly keepAlive: boolean
}

/** The peer broke the protocol: every later call returns the same error. */
interface Failed {
  readonly _tag: "Failed"
  readonly error: Event
}

/** Where the decoder is in the message (see the theory of operation above). */
type State = Heading | Counted | UntilClose | Chunked | Trailing | Done | Failed

const CLOSE: UntilClose = { _tag: "Close" }
const DONE_KEEP: Done = { _tag: "Done", keepAlive: true }
const DONE_CLOSE: Done = { _tag: "Done", keepAlive: false }
const done = (keepAlive: boolean): Done => (keepAlive ? DONE_KEEP : DONE_CLOSE)

/** Where decoding goes on: the bytes, the stream offset of their first, and the position in them. */
interface Cursor {
  readonly data: Uint8Array
  readonly base: number
  readonly pos: number
}

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

/** Whether a chunked body reads framing bytes now (not the chunk's data). */
const inFraming = (s: Chunked): boolean => s.step !== "Data"

const hexValue = (c: number): number =>
  c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1

export class ResponseDecoder {
  private state: State = { _tag: "Head", reader: undefined }
  /** Stream offset of the first byte of the chunk being fed. */
  private offset = 0
  /** Body bytes received, and the Content-Length announced: what an `IncompleteRead` reports. */
  private received = 0
  private expected: number | undefined
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
    return this.state._tag === "Done"
  }

  /** Whether the message ended and the peer keeps the connection open. */
  get persistent(): boolean {
    return this.state._tag === "Done" && this.state.keepAlive
  }

  /** Whether the connection may be reused: the message ended, the peer allows it, and nothing trails it. */
  get reusable(): boolean {
    return this.persistent && this.leftover.length === 0
  }

  /** Feeds the next bytes of the response. */
  feed(chunk: Uint8Array): Array<Event> {
    const first = this.state
    if (first._tag === "Failed") return [first.error]
    if (first._tag === "Done") {
      this.leftover = concat(this.leftover, chunk)
      return []
    }
    const out: Array<Event> = []
    let data = chunk
    let base = this.offset
    let pos = 0
    this.offset += chunk.length
    while (true) {
      const s = this.state
      switch (s._tag) {
        case "Head":
        case "Trailer": {
          const next = this.section(s, data, base, pos, out)
          if (Array.isArray(next)) return next
          data = next.data
          base = next.base
          pos = next.pos
          break
        }
        case "Length": {
          if (pos === data.length) return this.need(out)
          pos = this.counted(s, data, pos, out)
          if (s.remaining === 0) {
            this.state = done(s.keepAlive)
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
        case "Chunked": {
          if (pos === data.length) return this.need(out)
          if (s.step === "Data") {
            pos = this.counted(s, data, pos, out)
            if (s.remaining === 0) s.step = "DataCr"
            break
          }
          // The chunk framing, one byte at a time, up to the chunk's data or the trailer.
          while (pos < data.length && inFraming(s) && this.state === s) {
            const failure = this.framingByte(s, data[pos] ?? LF, base + pos)
            pos++
            if (failure !== undefined) return this.fail(out, failure)
          }
          break
        }
        case "Done":
        case "Failed":
          // Unreachable: the end and a failure return as they are reached.
          return out
      }
    }
  }

  /**
   * A head or trailer section from `pos`, joined to what an earlier chunk left unfinished. Returns where
   * decoding goes on, or the events to return now: more data needed, a failure, or the message's end.
   */
  private section(
    s: Heading | Trailing,
    data: Uint8Array,
    base: number,
    pos: number,
    out: Array<Event>,
  ): Cursor | Array<Event> {
    s.reader ??= new SectionReader(s._tag === "Trailer" ? "trailer" : "head", this.limits, base + pos)
    const read = s.reader.read(data, pos)
    if (read === undefined) {
      out.push(NEED_DATA)
      return out
    }
    if ("_tag" in read) return this.fail(out, read)
    s.reader = undefined
    const failure = s._tag === "Trailer" ? this.onTrailer(s, read.section, out) : this.onHead(read.section, out)
    if (failure !== undefined) return this.fail(out, failure)
    if (this.done) return this.finish(out, data.subarray(read.end))
    return { data, base, pos: read.end }
  }

  /** Tells the decoder that the peer closed the connection. */
  eof(): Array<Event> {
    const s = this.state
    switch (s._tag) {
      case "Failed":
        return [s.error]
      case "Done":
        return []
      case "Close":
        this.state = DONE_CLOSE
        return [{ _tag: "End", trailers: [] }]
      case "Head": {
        // No final status line: httplib's RemoteDisconnected, after 1xx responses too (a 100 Continue then a
        // close has no answer to the request).
        const reader = s.reader
        if (reader === undefined || reader.empty) return this.fail([], { _tag: "BadStatusLine", line: "" })
        if (!reader.statusRead && this.informational === 0) {
          return this.fail([], { _tag: "BadStatusLine", line: reader.shown })
        }
        return this.fail([], { _tag: "ProtocolError", reason: "connection closed in the head", offset: this.offset })
      }
      case "Length":
      case "Chunked":
      case "Trailer":
        return this.fail([], { _tag: "IncompleteRead", received: this.received, expected: this.expected })
    }
  }

  /** Hands out up to `remaining` bytes of `data` from `pos` (a length or a chunk); returns where it stopped. */
  private counted(s: Counted | Chunked, data: Uint8Array, pos: number, out: Array<Event>): number {
    const n = Math.min(s.remaining, data.length - pos)
    out.push({ _tag: "Data", chunk: data.subarray(pos, pos + n) })
    s.remaining -= n
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
    const error: Event = { _tag: "Error", failure }
    this.state = { _tag: "Failed", error }
    out.push(error)
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
    const framing = framingOf({ status, delimiters }, { method: this.method })
    // The end of a body delimited by the close is the end of the connection, which cannot be reused then.
    const keepAlive = framing._tag !== "UntilClose" && persistsAfter(version, delimiters)
    const head = (contentLength: number | undefined): Head => ({
      _tag: "Head",
      version,
      status,
      reason,
      headers,
      keepAlive,
      contentLength,
      keepAliveTimeout: delimiters.keepAliveTimeout,
    })
    switch (framing._tag) {
      case "None": {
        // No body follows; a Content-Length here announces the representation's size (to a HEAD, say), and is reported as it is.
        const announced = delimiters.contentLength === undefined ? undefined : lengthOf(delimiters.contentLength)
        this.state = done(keepAlive)
        out.push(head(announced ?? 0), { _tag: "End", trailers: [] })
        return undefined
      }
      case "Chunked":
        this.state = {
          _tag: "Chunked",
          step: "Size",
          size: 0,
          lineBytes: 0,
          extension: "",
          extensionBytes: 0,
          remaining: 0,
          keepAlive,
        }
        out.push(head(undefined))
        return undefined
      case "Length":
        this.expected = framing.length
        out.push(head(framing.length))
        if (framing.length === 0) {
          this.state = done(keepAlive)
          out.push({ _tag: "End", trailers: [] })
        } else this.state = { _tag: "Length", remaining: framing.length, keepAlive }
        return undefined
      case "UntilClose":
        this.state = CLOSE
        out.push(head(undefined))
        return undefined
      case "Refused":
        return refusal(framing.reason, framing.value, start)
    }
  }

  private onTrailer(s: Trailing, section: Section, out: Array<Event>): Failure | undefined {
    this.state = done(s.keepAlive)
    out.push({ _tag: "End", trailers: section.fields })
    return undefined
  }

  /** One byte of chunk framing (chunk-size line, or the CRLF after chunk data). */
  private framingByte(s: Chunked, c: number, at: number): Failure | undefined {
    switch (s.step) {
      case "Size": {
        const d = hexValue(c)
        if (d !== -1) {
          s.size = s.size * 16 + d
          if (s.size > Number.MAX_SAFE_INTEGER)
            return { _tag: "ProtocolError", reason: "chunk size too large", offset: at }
          return this.countLine(s)
        }
        if (s.lineBytes === 0) return { _tag: "ProtocolError", reason: "invalid chunk size", offset: at }
        if (c === CR) s.step = "SizeLf"
        else if (c === 59 || c === 32 || c === 9) {
          s.step = "Extension"
          s.extension = String.fromCharCode(c)
          return this.countExtension(s)
        } else return { _tag: "ProtocolError", reason: "invalid chunk size", offset: at }
        return undefined
      }
      case "Extension": {
        if (c === CR) {
          if (!chunkExtensionPattern.test(s.extension))
            return { _tag: "ProtocolError", reason: "invalid chunk extension", offset: at }
          s.step = "SizeLf"
          return undefined
        }
        if (c === LF) return { _tag: "ProtocolError", reason: "chunk line must end with CRLF", offset: at }
        s.extension += String.fromCharCode(c)
        return this.countExtension(s)
      }
      case "SizeLf": {
        if (c !== LF) return { _tag: "ProtocolError", reason: "chunk line must end with CRLF", offset: at }
        s.lineBytes = 0
        s.extension = ""
        if (s.size === 0) this.state = { _tag: "Trailer", reader: undefined, keepAlive: s.keepAlive }
        else {
          s.remaining = s.size
          s.step = "Data"
        }
        s.size = 0
        return undefined
      }
      case "DataCr": {
        if (c !== CR) return { _tag: "ProtocolError", reason: "chunk data must end with CRLF", offset: at }
        s.step = "DataLf"
        return undefined
      }
      case "DataLf": {
        if (c !== LF) return { _tag: "ProtocolError", reason: "chunk data must end with CRLF", offset: at }
        s.step = "Size"
        return undefined
      }
      case "Data":
        // Unreachable: data goes out in runs (`counted`), not byte by byte.
        return undefined
    }
  }

  private countLine(s: Chunked): Failure | undefined {
    s.lineBytes++
    return s.lineBytes > this.limits.maxChunkLineBytes
      ? { _tag: "HeaderOverflow", limit: "chunk line", max: this.limits.maxChunkLineBytes }
      : undefined
  }

  private countExtension(s: Chunked): Failure | undefined {
    s.extensionBytes++
    if (s.extensionBytes > this.limits.maxChunkExtensionBytes) {
      return { _tag: "HeaderOverflow", limit: "chunk extensions", max: this.limits.maxChunkExtensionBytes }
    }
    return this.countLine(s)
  }
}
