/**
 * The order of exchanges on one pipelined connection. Each lease on the connection takes a ticket when
 * it is granted; requests are written in ticket order and responses read in ticket order, so the n-th
 * response read is the answer to the n-th request written, whichever fiber runs first.
 *
 * An exchange that gives up while it waits (interrupted, timed out, failed to write) is abandoned: no
 * request joins the connection any more, the exchanges ahead of it read their responses, and when the
 * abandoned one's turn comes the connection is killed. An exchange that fails while reading kills it at
 * once. Killing refuses every exchange still waiting; a refused request was never answered on this
 * connection, and the transport sends it again on a fresh one.
 * @internal
 */
import * as Effect from "effect/Effect"

const EMPTY = new Uint8Array(0)

/** Why a pipelined exchange was not served on its connection. */
export class Refused {
  readonly _tag = "Refused"
}

const refused = Effect.fail(new Refused())

export class Pipeline {
  /** Leases granted on the connection and not yet released. */
  inFlight = 0
  /** False while the connection carries a request that others may not be pipelined behind. */
  joinable = true
  /** An exchange was abandoned: nothing more is written, and the connection dies when its turn comes. */
  closing = false
  /** Killed: every waiting exchange is refused. */
  dead = false
  /** Bytes read past the end of the last response: the start of the next one. */
  leftover: Uint8Array = EMPTY
  private issued = 0
  private writing = 0
  private reading = 0
  private readonly writers = new Map<number, () => void>()
  private readonly readers = new Map<number, () => void>()
  private readonly abandoned = new Set<number>()

  /** The next ticket, for a lease being granted. */
  issue(): number {
    this.inFlight++
    return this.issued++
  }

  /** Whether a pipelinable request may join now, with `depth` the most requests in flight. */
  accepts(depth: number): boolean {
    return this.joinable && !this.closing && !this.dead && this.inFlight < depth
  }

  /** Back to a fresh state once nothing is in flight: the connection is idle. */
  reset(): void {
    this.issued = 0
    this.writing = 0
    this.reading = 0
    this.joinable = true
  }

  /** Waits for the ticket's turn to write; refused once the connection is closing. */
  writeTurn(ticket: number): Effect.Effect<void, Refused> {
    return this.turn(ticket, this.writers, () => this.writing, true)
  }

  /** The ticket's request is written: the next one may write. */
  wrote(ticket: number): void {
    if (ticket !== this.writing) return
    this.writing++
    while (this.abandoned.has(this.writing)) this.writing++
    this.writers.get(this.writing)?.()
  }

  /** Waits for the ticket's turn to read its response; refused if the connection dies first. */
  readTurn(ticket: number): Effect.Effect<void, Refused> {
    return this.turn(ticket, this.readers, () => this.reading, false)
  }

  /**
   * The ticket's response ended cleanly: the next may read. Returns false when the next is abandoned,
   * and the connection must be killed.
   */
  read(ticket: number): boolean {
    if (ticket !== this.reading) return true
    this.reading++
    if (this.abandoned.has(this.reading)) return false
    this.readers.get(this.reading)?.()
    return true
  }

  /**
   * The ticket's exchange gave up. Returns true when it was reading (or about to): the connection must be
   * killed now; false when it waits behind others, which finish first.
   */
  abandon(ticket: number): boolean {
    if (ticket <= this.reading) return true
    this.closing = true
    this.abandoned.add(ticket)
    if (ticket === this.writing) this.wrote(ticket)
    return false
  }

  /** Refuses every waiting exchange. */
  kill(): void {
    this.dead = true
    const waiting = [...this.writers.values(), ...this.readers.values()]
    this.writers.clear()
    this.readers.clear()
    for (const wake of waiting) wake()
  }

  /**
   * The callback forms of `writeTurn` and `readTurn`, for exchanges driven by socket callbacks: `f` runs
   * at once when it is the ticket's turn, or when it comes, or when the connection dies (`f` checks which).
   */
  whenWriteTurn(ticket: number, f: () => void): void {
    this.when(ticket, this.writers, this.writing, f)
  }

  whenReadTurn(ticket: number, f: () => void): void {
    this.when(ticket, this.readers, this.reading, f)
  }

  private when(ticket: number, waiting: Map<number, () => void>, current: number, f: () => void): void {
    if (this.dead || current === ticket) f()
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

  private turn(
    ticket: number,
    waiting: Map<number, () => void>,
    current: () => number,
    writing: boolean,
  ): Effect.Effect<void, Refused> {
    return Effect.suspend(() => {
      const refuse = () => this.dead || (writing && this.closing)
      if (refuse()) return refused
      if (current() === ticket) return Effect.void
      return Effect.async<void, Refused>((resume) => {
        this.when(ticket, waiting, current(), () => resume(refuse() ? refused : Effect.void))
        return Effect.sync(() => {
          waiting.delete(ticket)
        })
      })
    })
  }
}
