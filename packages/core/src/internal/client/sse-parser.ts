/**
 * The event stream parser of the WHATWG HTML standard ("server-sent events", §9.2.6), fed text as it
 * arrives: a BOM at the start is dropped; lines end with CRLF, LF or CR (a CR at the end of one piece and an
 * LF at the start of the next are one line end); `event`, `data` (joined with LF), `id` (not with a NUL)
 * and `retry` (digits only) fields; comments; an event dispatched at a blank line, none when it has no
 * data; a last event with no blank line after it dropped. What one event may hold is bounded.
 * @internal
 */

/** One event as the stream delivers it. */
export interface ParsedEvent {
  /** The `event` field, or "message". */
  readonly type: string
  readonly data: string
  /** The last event ID as of this event (the stream's, which an event without `id` keeps). */
  readonly lastEventId: string
}

/** What `feed` found: events, a new reconnection time, or an event past the size limit. */
export interface Fed {
  readonly events: ReadonlyArray<ParsedEvent>
  readonly retry: number | undefined
  /** An event (its fields, or an unfinished line) grew past the limit: the stream is not parsed further. */
  readonly tooLarge: boolean
}

export class SseParser {
  private started = false
  /** The unfinished line. */
  private line = ""
  /** The last piece ended with CR: an LF first in the next piece belongs to that line end. */
  private afterCr = false
  private data = ""
  private type = ""
  private lastEventId: string
  /** The ID set by the event being read, applied when it is dispatched or the stream goes on. */
  private pendingId: string | undefined
  private size = 0

  /** `lastEventId`: the stream's last event ID so far, which a reconnection carries on. */
  constructor(
    private readonly maxEventChars: number,
    lastEventId = "",
  ) {
    this.lastEventId = lastEventId
  }

  /** The ID of the last event dispatched (the spec's "last event ID string"), for `Last-Event-ID`. */
  get lastId(): string {
    return this.lastEventId
  }

  feed(text: string): Fed {
    let input = text
    if (!this.started && input.length > 0) {
      this.started = true
      if (input.charCodeAt(0) === 0xfeff) input = input.slice(1)
    }
    const events: Array<ParsedEvent> = []
    let retry: number | undefined
    let from = 0
    if (this.afterCr && input.charCodeAt(0) === 10) from = 1
    this.afterCr = false
    for (let i = from; i < input.length; i++) {
      const c = input.charCodeAt(i)
      if (c !== 10 && c !== 13) continue
      const line = this.line + input.slice(from, i)
      this.line = ""
      if (c === 13) {
        if (i + 1 === input.length) this.afterCr = true
        else if (input.charCodeAt(i + 1) === 10) i++
      }
      from = i + 1
      const outcome = this.onLine(line, events)
      if (outcome === "too large") return { events, retry, tooLarge: true }
      if (outcome !== undefined) retry = outcome
    }
    this.line += input.slice(from)
    this.size = this.data.length + this.line.length + this.type.length
    return { events, retry, tooLarge: this.size > this.maxEventChars }
  }

  /** One whole line: a field, a comment, or the blank line that dispatches. */
  private onLine(line: string, events: Array<ParsedEvent>): number | "too large" | undefined {
    if (line === "") {
      this.dispatch(events)
      return undefined
    }
    if (line.charCodeAt(0) === 58) return undefined // a comment
    const colon = line.indexOf(":")
    const name = colon === -1 ? line : line.slice(0, colon)
    let value = colon === -1 ? "" : line.slice(colon + 1)
    if (value.charCodeAt(0) === 32) value = value.slice(1)
    switch (name) {
      case "event":
        this.type = value
        break
      case "data":
        this.data += `${value}\n`
        break
      case "id":
        if (!value.includes("\0")) this.pendingId = value
        break
      case "retry":
        if (/^\d+$/.test(value)) return Number(value)
        break
    }
    return this.data.length + this.type.length > this.maxEventChars ? "too large" : undefined
  }

  private dispatch(events: Array<ParsedEvent>): void {
    if (this.pendingId !== undefined) {
      this.lastEventId = this.pendingId
      this.pendingId = undefined
    }
    if (this.data === "") {
      this.type = ""
      return
    }
    events.push({
      type: this.type === "" ? "message" : this.type,
      data: this.data.endsWith("\n") ? this.data.slice(0, -1) : this.data,
      lastEventId: this.lastEventId,
    })
    this.data = ""
    this.type = ""
  }
}
