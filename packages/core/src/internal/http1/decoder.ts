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
import { chunkExtensionPattern } from "./grammar.js"
import type { Event, Failure, Head, Limits, Pairs } from "./model.js"

const NEED_DATA: Event = { _tag: "NeedData" }
const EMPTY = new Uint8Array(0)

const HEAD = 0
const LENGTH = 1
const CLOSE = 2
const SIZE = 3
const EXTENSION = 4
const SIZE_LF = 5
const BODY = 6
const BODY_CR = 7
const BODY_LF = 8
const TRAILER = 9
const DONE = 10
const FAILED = 11

const CR = 13
const LF = 10

const hexValue = (c: number): number =>
  c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1

export class ResponseDecoder {
  private state = HEAD
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
    return this.state === DONE
  }

  /** Whether the message ended and the peer keeps the connection open. */
  get persistent(): boolean {
    return this.state === DONE && this.keepAlive
  }

  /** Whether the connection may be reused: the message ended, the peer allows it, and nothing trails it. */
  get reusable(): boolean {
    return this.state === DONE && this.keepAlive && this.leftover.length === 0
  }

  /** Feeds the next bytes of the response. */
  feed(chunk: Uint8Array): Array<Event> {
    if (this.failure !== undefined) return [this.failure]
    if (this.state === DONE) {
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
        case HEAD:
        case TRAILER: {
          const trailer = this.state === TRAILER
          let section = data.subarray(pos)
          let start = base + pos
          if (this.acc.length > 0) {
            section = concat(this.acc, section)
            start = this.accStart
          }
          const end = sectionEnd(section, this.scanFrom, trailer)
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
          data = section
          base = start
          pos = end
          const failure = trailer ? this.onTrailer(section, end, start, out) : this.onHead(section, end, start, out)
          if (failure !== undefined) return this.fail(out, failure)
          if (this.done) return this.finish(out, data.subarray(pos))
          break
        }
        case LENGTH: {
          if (pos === data.length) return this.need(out)
          const n = Math.min(this.remaining, data.length - pos)
          out.push({ _tag: "Data", chunk: data.subarray(pos, pos + n) })
          pos += n
          this.remaining -= n
          this.received += n
          if (this.remaining === 0) {
            this.state = DONE
            out.push({ _tag: "End", trailers: [] })
            return this.finish(out, data.subarray(pos))
          }
          break
        }
        case CLOSE: {
          if (pos < data.length) {
            this.received += data.length - pos
            out.push({ _tag: "Data", chunk: data.subarray(pos) })
          }
          return this.need(out)
        }
        case BODY: {
          if (pos === data.length) return this.need(out)
          const n = Math.min(this.remaining, data.length - pos)
          out.push({ _tag: "Data", chunk: data.subarray(pos, pos + n) })
          pos += n
          this.remaining -= n
          this.received += n
          if (this.remaining === 0) this.state = BODY_CR
          break
        }
        default: {
          // Size, Extension, SizeLf, BodyCr, BodyLf: the chunk framing, one byte at a time.
          if (pos === data.length) return this.need(out)
          const failure = this.framingByte(data[pos] as number, base + pos)
          pos++
          if (failure !== undefined) return this.fail(out, failure)
        }
      }
    }
  }

  /** Tells the decoder that the peer closed the connection. */
  eof(): Array<Event> {
    if (this.failure !== undefined) return [this.failure]
    switch (this.state) {
      case DONE:
        return []
      case CLOSE:
        this.state = DONE
        return [{ _tag: "End", trailers: [] }]
      case HEAD: {
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
      default:
        return this.fail([], { _tag: "IncompleteRead", received: this.received, expected: this.expected })
    }
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
    this.state = FAILED
    this.failure = { _tag: "Error", failure }
    out.push(this.failure)
    return out
  }

  private onHead(section: Uint8Array, end: number, start: number, out: Array<Event>): Failure | undefined {
    const parsed = parseSection(section, end, start, this.limits, true)
    if ("_tag" in parsed) return parsed
    const first = parsed.first
    const match = statusLine.exec(first)
    if (match === null || match[1] !== "1") return { _tag: "BadStatusLine", line: first.slice(0, 200) }
    const version = match[2] === "0" ? 10 : 11
    const status = Number(match[3])
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

  /** Chooses the body framing: RFC 9112 §6.3, rules numbered as there. */
  private frame(
    version: 10 | 11,
    status: number,
    reason: string,
    headers: Pairs,
    start: number,
    out: Array<Event>,
  ): Failure | undefined {
    let te: string | undefined
    let cl: string | undefined
    let connection = ""
    let keepAliveTimeout: number | undefined
    for (const [name, value] of headers) {
      // Compare lengths first: most fields are none of these, and lower-casing every name allocates.
      const n = name.length
      if (n === 17 && name.toLowerCase() === "transfer-encoding") te = te === undefined ? value : `${te}, ${value}`
      else if (n === 14 && name.toLowerCase() === "content-length") cl = cl === undefined ? value : `${cl}, ${value}`
      else if (n === 10) {
        const lower = name.toLowerCase()
        if (lower === "connection") connection += `,${value.toLowerCase()}`
        else if (lower === "keep-alive") {
          const hint = /(?:^|[,\s])timeout\s*=\s*(\d{1,9})/i.exec(value)
          if (hint !== null) keepAliveTimeout = Number(hint[1])
        }
      }
    }
    if (connection === "") this.keepAlive = version === 11
    else {
      const tokens = connection.split(",").map((t) => t.trim())
      this.keepAlive = version === 11 ? !tokens.includes("close") : tokens.includes("keep-alive")
    }
    const head = (contentLength: number | undefined): Head => ({
      _tag: "Head",
      version,
      status,
      reason,
      headers,
      keepAlive: this.keepAlive,
      contentLength,
      keepAliveTimeout,
    })
    // 1. A response to HEAD, and any 1xx, 204 or 304 response, ends with the head.
    if (this.method === "HEAD" || status === 204 || status === 304) {
      this.state = DONE
      out.push(head(0), { _tag: "End", trailers: [] })
      return undefined
    }
    // 3. Transfer-Encoding with Content-Length is a smuggling vector: strict clients reject it.
    if (te !== undefined && cl !== undefined) {
      return { _tag: "ProtocolError", reason: "both Transfer-Encoding and Content-Length", offset: start }
    }
    // 4. Transfer-Encoding: Courier decodes only a single final `chunked` (see docs/ARCHITECTURE.md).
    if (te !== undefined) {
      const codings = te.split(",").map((t) => t.trim().toLowerCase())
      if (codings.length !== 1 || codings[0] !== "chunked") return { _tag: "UnknownTransferEncoding", encoding: te }
      this.state = SIZE
      out.push(head(undefined))
      return undefined
    }
    // 5/6. Content-Length: repeated values must agree and be plain digits.
    if (cl !== undefined) {
      const values = cl.includes(",") ? new Set(cl.split(",").map((t) => t.trim())) : new Set([cl])
      const [only] = values
      if (values.size !== 1 || only === undefined || !/^\d{1,15}$/.test(only)) {
        return { _tag: "ProtocolError", reason: `invalid Content-Length ${JSON.stringify(cl)}`, offset: start }
      }
      const length = Number(only)
      this.expected = length
      this.remaining = length
      out.push(head(length))
      if (length === 0) {
        this.state = DONE
        out.push({ _tag: "End", trailers: [] })
      } else this.state = LENGTH
      return undefined
    }
    // 8. Otherwise the body runs until the server closes the connection, which therefore cannot be reused.
    this.keepAlive = false
    this.state = CLOSE
    out.push(head(undefined))
    return undefined
  }

  private onTrailer(section: Uint8Array, end: number, start: number, out: Array<Event>): Failure | undefined {
    const parsed = parseSection(section, end, start, this.limits, false)
    if ("_tag" in parsed) return parsed
    const trailers = parsed.fields
    this.state = DONE
    out.push({ _tag: "End", trailers })
    return undefined
  }

  /** One byte of chunk framing (chunk-size line, or the CRLF after chunk data). */
  private framingByte(c: number, at: number): Failure | undefined {
    switch (this.state) {
      case SIZE: {
        const d = hexValue(c)
        if (d !== -1) {
          this.size = this.size * 16 + d
          if (this.size > Number.MAX_SAFE_INTEGER)
            return { _tag: "ProtocolError", reason: "chunk size too large", offset: at }
          return this.countLine()
        }
        if (this.lineBytes === 0) return { _tag: "ProtocolError", reason: "invalid chunk size", offset: at }
        if (c === CR) this.state = SIZE_LF
        else if (c === 59 || c === 32 || c === 9) {
          this.state = EXTENSION
          this.extension = String.fromCharCode(c)
          return this.countExtension()
        } else return { _tag: "ProtocolError", reason: "invalid chunk size", offset: at }
        return undefined
      }
      case EXTENSION: {
        if (c === CR) {
          if (!chunkExtensionPattern.test(this.extension))
            return { _tag: "ProtocolError", reason: "invalid chunk extension", offset: at }
          this.state = SIZE_LF
          return undefined
        }
        if (c === LF) return { _tag: "ProtocolError", reason: "chunk line must end with CRLF", offset: at }
        this.extension += String.fromCharCode(c)
        return this.countExtension()
      }
      case SIZE_LF: {
        if (c !== LF) return { _tag: "ProtocolError", reason: "chunk line must end with CRLF", offset: at }
        this.lineBytes = 0
        this.extension = ""
        if (this.size === 0) this.state = TRAILER
        else {
          this.remaining = this.size
          this.state = BODY
        }
        this.size = 0
        return undefined
      }
      case BODY_CR: {
        if (c !== CR) return { _tag: "ProtocolError", reason: "chunk data must end with CRLF", offset: at }
        this.state = BODY_LF
        return undefined
      }
      default: {
        if (c !== LF) return { _tag: "ProtocolError", reason: "chunk data must end with CRLF", offset: at }
        this.state = SIZE
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
