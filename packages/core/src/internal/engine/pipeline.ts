/**
 * The order of exchanges on one pipelined connection. Each lease on the connection takes a ticket when
 * it is granted; requests are written in ticket order and responses read in ticket order, so the n-th
 * response read is the answer to the n-th request written, whichever exchange is ready first.
 *
 * An exchange that gives up while it waits (interrupted, timed out, failed to write) is abandoned: no
 * request joins the connection any more, the exchanges ahead of it read their responses, and when the
 * abandoned one's turn comes the connection is killed. An exchange that fails while reading kills it at
 * once. Killing refuses every exchange still waiting; a refused request was never answered on this
 * connection, and the transport sends it again on a fresh one.
 *
 * The pipeline owns its counters: the pool only issues tickets and acts on what `finish` says.
 * @internal
 */

const EMPTY = new Uint8Array(0)

/** What the pool does with the connection once an exchange on it has finished. */
export type AfterExchange =
  /** Nothing: the connection is already dead, or the exchange waits behind others that finish first. */
  | "Nothing"
  /** Exchanges are still in flight: more may join. */
  | "Busy"
  /** Nothing is in flight and the connection is clean: it may serve the next request. */
  | "Idle"
  /** The connection must be destroyed, refusing every exchange still waiting on it. */
  | "Kill"

/** Whether requests may be pipelined behind the one a ticket is issued for. */
export type Behind = "others may join" | "nothing may join"

export class Pipeline {
  private inFlightCount = 0
  /** False while the connection carries a request that others may not be pipelined behind. */
  private joinable = true
  /** An exchange was abandoned: nothing more is written, and the connection dies when its turn comes. */
  private closingFlag = false
  private deadFlag = false
  /** Bytes read past the end of the last response: the start of the next one. */
  leftover: Uint8Array = EMPTY
  private issued = 0
  private writing = 0
  private reading = 0
  private readonly writers = new Map<number, () => void>()
  private readonly readers = new Map<number, () => void>()
  private readonly givenUp = new Set<number>()

  /** Leases granted on the connection and not yet finished. */
  get inFlight(): number {
    return this.inFlightCount
  }

  /** Killed: every waiting exchange is refused. */
  get dead(): boolean {
    return this.deadFlag
  }

  /** Closed to new writes: an exchange was abandoned behind others. */
  get closing(): boolean {
    return this.closingFlag
  }

  /**
   * The next ticket, for a lease being granted. The first ticket on an idle connection says whether
   * others may join behind it (an idempotent request read whole may be joined).
   */
  issue(behind: Behind): number {
    if (this.inFlightCount === 0) this.joinable = behind === "others may join"
    this.inFlightCount++
    return this.issued++
  }

  /** Whether a pipelinable request may join now, with `depth` the most requests in flight. */
  accepts(depth: number): boolean {
    return this.joinable && !this.closingFlag && !this.deadFlag && this.inFlightCount < depth
  }

  /** The ticket's request is written: the next one may write. */
  wrote(ticket: number): void {
    if (ticket !== this.writing) return
    this.writing++
    while (this.givenUp.has(this.writing)) this.writing++
    this.writers.get(this.writing)?.()
  }

  /**
   * The ticket's exchange finished: its response ended cleanly (`reuse`), or it failed or gave up
   * (`destroy`). Says what becomes of the connection.
   */
  finish(ticket: number, fate: "reuse" | "destroy"): AfterExchange {
    this.inFlightCount--
    if (this.deadFlag) return "Nothing"
    if (fate === "destroy") return this.abandon(ticket) ? "Kill" : "Nothing"
    if (!this.read(ticket)) return "Kill"
    if (this.inFlightCount > 0) return "Busy"
    this.issued = 0
    this.writing = 0
    this.reading = 0
    this.joinable = true
    return this.leftover.length > 0 || this.closingFlag ? "Kill" : "Idle"
  }

  /** The ticket's response ended cleanly: the next may read. False when the next is abandoned. */
  private read(ticket: number): boolean {
    if (ticket !== this.reading) return true
    this.reading++
    if (this.givenUp.has(this.reading)) return false
    this.readers.get(this.reading)?.()
    return true
  }

  /**
   * The ticket's exchange gave up. True when it was reading (or about to): the connection must be killed
   * now; false when it waits behind others, which finish first.
   */
  private abandon(ticket: number): boolean {
    if (ticket <= this.reading) return true
    this.closingFlag = true
    this.givenUp.add(ticket)
    if (ticket === this.writing) this.wrote(ticket)
    return false
  }

  /** Refuses every waiting exchange. */
  kill(): void {
    this.deadFlag = true
    const waiting = [...this.writers.values(), ...this.readers.values()]
    this.writers.clear()
    this.readers.clear()
    for (const wake of waiting) wake()
  }

  /**
   * Calls `f` when it is the ticket's turn to write — at once if it is now — or when the connection dies
   * (`f` checks which).
   */
  whenWriteTurn(ticket: number, f: () => void): void {
    this.when(ticket, this.writers, this.writing, f)
  }

  /** Calls `f` when it is the ticket's turn to read its response, or when the connection dies. */
  whenReadTurn(ticket: number, f: () => void): void {
    this.when(ticket, this.readers, this.reading, f)
  }

  private when(ticket: number, waiting: Map<number, () => void>, current: number, f: () => void): void {
    if (this.deadFlag || current === ticket) f()
    else {
      waiting.set(ticket, () => {
        waiting.delete(ticket)
        f()
      })
    }
  }

  /** Takes the bytes read past the previous response. */
  takeLeftover(): Uint8Array | undefined {
    const bytes = this.leftover
    if (bytes.length === 0) return undefined
    this.leftover = EMPTY
    return bytes
  }
}
