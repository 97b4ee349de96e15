/**
 * One HTTP/2 connection as the pool's multiplexed `Connection`: its node session, how many streams the
 * peer allows at once (its `SETTINGS_MAX_CONCURRENT_STREAMS`, capped by the local limit), whether it drains
 * (a GOAWAY came, or it closed), and the exchanges with a stream open on it. The pool in core decides who
 * gets a stream; this tells it when the answer may have changed.
 * @internal
 */
import type * as http2 from "node:http2"
import type { Connector, Deadlines, Multiplex } from "@courier/core"

/** What starts one exchange on a session (transport.ts). */
export type Run = (session: Session, ...args: Parameters<Multiplex.Connection["exchange"]>) => () => void

export class Session implements Multiplex.Connection {
  /** Streams it may carry at once: the peer's limit, capped. */
  private limit: number
  /** It received GOAWAY: it takes no new streams. */
  private goingAway = false
  /** The last stream id the peer said it processed, once it sent GOAWAY. */
  lastStreamId = Number.POSITIVE_INFINITY
  /** The GOAWAY's error code, if one came. */
  goawayCode: number | undefined
  /** The exchanges with a stream open on it, told when a GOAWAY leaves their stream unprocessed. */
  readonly open = new Set<{ readonly goaway: (lastStreamId: number) => void }>()

  constructor(
    /** The id of the socket under it: unique among the transport's connections, whatever they speak. */
    readonly id: number,
    readonly session: http2.ClientHttp2Session,
    /** The local cap on streams at once. */
    private readonly maxStreams: number,
    /** Where its connection went. */
    readonly peer: Connector.Peer | undefined,
    readonly deadlines: Deadlines.Deadlines,
    private readonly run: Run,
    /** Tells the pool that the capacity changed or that the session drains. */
    private readonly changed: () => void,
  ) {
    this.limit = this.capacityOf(session.remoteSettings)
    session.on("remoteSettings", (settings: http2.Settings) => {
      this.limit = this.capacityOf(settings)
      changed()
    })
    session.on("goaway", (code: number, lastStreamId: number) => {
      this.goingAway = true
      this.lastStreamId = lastStreamId
      this.goawayCode = code
      for (const ex of [...this.open]) ex.goaway(lastStreamId)
      changed()
    })
    session.on("close", changed)
    // Errors reach the streams that were open; the session's own is only logged by 'close'.
    session.on("error", () => undefined)
  }

  /** Streams the peer allows (100 when it says nothing, as node assumes), capped. */
  private capacityOf(settings: http2.Settings): number {
    return Math.max(0, Math.min(this.maxStreams, settings.maxConcurrentStreams ?? 100))
  }

  readonly capacity = (): number => this.limit

  readonly draining = (): boolean => this.goingAway || this.session.closed || this.session.destroyed

  /** Takes no new stream from now on: node refused to open one on it. */
  drain(): void {
    this.goingAway = true
    this.changed()
  }

  readonly exchange: Multiplex.Connection["exchange"] = (request, mode, lease, done) =>
    this.run(this, request, mode, lease, done)

  readonly close = (): void => {
    this.session.destroy()
  }
}
