/**
 * The HTTP/2 session pool: per origin, the sessions open and the line of requests waiting for a stream.
 *
 * One session carries up to as many streams at once as the peer's `SETTINGS_MAX_CONCURRENT_STREAMS` (the
 * binding hands a session over once the peer's first SETTINGS arrived), never more than the local cap. A request takes
 * a stream on the first session with room; when none has room it waits in line, and a new session is dialled
 * only when none is being dialled already, the origin has fewer than its limit, and no live session's peer
 * grants 0 streams. A session that received `GOAWAY` takes no new streams and closes once its last stream
 * ends; a session with no stream — one that finished its last, or was never used — closes after the idle
 * timeout. When the dial finds that the origin speaks HTTP/1.1 (ALPN), everyone in line is told so and the
 * origin is remembered as HTTP/1.1.
 *
 * Plain calls and callbacks only: dialling is the binding's (`start` hands it an origin, `dialled` and
 * `failed` give the outcome back).
 * @internal
 */
import type * as http2 from "node:http2"
import type { Connector, Deadlines, Url } from "@courier/core"

/** One session of the pool. */
export class Session {
  /** Streams open on it now. */
  active = 0
  /** Streams it has carried. */
  served = 0
  /** It received GOAWAY or closed: it takes no new streams. */
  draining = false
  /** The last stream id the peer said it processed, once it sent GOAWAY. */
  lastStreamId = Number.POSITIVE_INFINITY
  /** The GOAWAY's error code, if one came. */
  goawayCode: number | undefined
  idle: Deadlines.Deadline | undefined
  /** The exchanges with a stream open on it, told when a GOAWAY leaves their stream unprocessed. */
  readonly open = new Set<{ readonly goaway: (lastStreamId: number) => void }>()

  constructor(
    readonly id: number,
    readonly key: string,
    readonly session: http2.ClientHttp2Session,
    /** Streams it may carry at once: the peer's limit, capped. */
    public capacity: number,
    /** Where its connection went. */
    readonly peer: Connector.Peer | undefined,
  ) {}

  get hasRoom(): boolean {
    return !this.draining && this.active < this.capacity && !this.session.closed && !this.session.destroyed
  }
}

/** What a request in line gets: a session with a stream reserved for it, word that the origin is HTTP/1.1, or the dial's failure. */
export type Grant =
  | { readonly _tag: "Stream"; readonly session: Session }
  | { readonly _tag: "Http1" }
  | { readonly _tag: "Failed"; readonly error: Connector.ConnectError }

export interface Waiter {
  readonly grant: (grant: Grant) => void
  /** The connect deadline a dial started for this waiter gets. */
  readonly connectMillis: number
}

class OriginSessions {
  readonly sessions: Array<Session> = []
  readonly waiters: Array<Waiter> = []
  /** Stops the dial in progress, if one is. */
  dialling: (() => void) | undefined

  constructor(readonly origin: Url.Origin) {}
}

export interface PoolOptions {
  readonly maxSessionsPerOrigin: number
  /** The local cap on streams per session. */
  readonly maxStreamsPerSession: number
  readonly idleTimeoutMillis: number
  /** The most origins remembered as speaking HTTP/1.1 only. */
  readonly maxHttp1Origins: number
}

/** The answer the binding gives a dial. */
export type Dialled =
  | {
      readonly _tag: "H2"
      readonly session: http2.ClientHttp2Session
      /** Where its connection went. */
      readonly peer: Connector.Peer | undefined
    }
  | { readonly _tag: "Http1" }

export class SessionPool {
  private readonly origins = new Map<string, OriginSessions>()
  /** Origins whose servers chose HTTP/1.1 by ALPN, oldest first. */
  private readonly http1 = new Set<string>()
  private nextId = 0

  constructor(
    private readonly options: PoolOptions,
    private readonly deadlines: Deadlines.Deadlines,
    /**
     * Starts a dial to the origin; its outcome comes back through `dialled` or `failed`, unless the function
     * returned stops it first.
     */
    private readonly start: (origin: Url.Origin, connectMillis: number) => () => void,
  ) {}

  /** Whether the origin's server chose HTTP/1.1 when last dialled. */
  speaksHttp1(key: string): boolean {
    return this.http1.has(key)
  }

  /**
   * A stream on a session of the origin: granted at once (the session is returned) when one has room;
   * otherwise the waiter is put in line and returned, and `grant` is called later.
   */
  request(origin: Url.Origin, waiter: Waiter): Session | Waiter {
    const state = this.stateOf(origin)
    for (const s of state.sessions) {
      if (s.hasRoom) return this.take(s)
    }
    state.waiters.push(waiter)
    this.dialIfNeeded(state, waiter.connectMillis)
    return waiter
  }

  /** Takes a waiter out of line (interrupted, or past its deadline). */
  cancel(key: string, waiter: Waiter): void {
    const state = this.origins.get(key)
    if (state === undefined) return
    const i = state.waiters.indexOf(waiter)
    if (i !== -1) state.waiters.splice(i, 1)
    // Nobody is left to use the session being dialled, and none is open: stop dialling.
    if (state.waiters.length === 0 && state.sessions.length === 0 && state.dialling !== undefined) {
      const stop = state.dialling
      state.dialling = undefined
      stop()
    }
    this.forgetIfEmpty(state)
  }

  /** A stream of `session` ended: its room goes to the next in line. */
  release(session: Session): void {
    session.active--
    const state = this.origins.get(session.key)
    if (state !== undefined) this.serve(state)
    if (session.active > 0) return
    if (session.draining) {
      this.drop(session)
      session.session.close()
      return
    }
    this.idleFrom(session)
  }

  /** Starts a session's idle timer when it carries no stream: used or not, it closes after the idle timeout. */
  private idleFrom(session: Session): void {
    if (session.active > 0 || session.idle !== undefined) return
    session.idle = this.deadlines.after(this.options.idleTimeoutMillis, () => {
      session.idle = undefined
      if (session.active === 0) {
        this.drop(session)
        session.session.close()
      }
    })
  }

  /** The dial to `origin` succeeded: a new session (or word that the origin is HTTP/1.1). */
  dialled(origin: Url.Origin, outcome: Dialled): void {
    const state = this.stateOf(origin)
    state.dialling = undefined
    if (outcome._tag === "Http1") {
      this.rememberHttp1(origin.key)
      for (let w = state.waiters.shift(); w !== undefined; w = state.waiters.shift()) w.grant({ _tag: "Http1" })
      this.forgetIfEmpty(state)
      return
    }
    const capacity = this.capacityOf(outcome.session.remoteSettings)
    const s = new Session(++this.nextId, origin.key, outcome.session, capacity, outcome.peer)
    state.sessions.push(s)
    this.watch(s, state)
    this.serve(state)
    // A session dialled for a request that another session served meanwhile is idle from the start.
    this.idleFrom(s)
  }

  /** The dial to `origin` failed: those in line get the failure when no session is left to wait for. */
  failed(origin: Url.Origin, error: Connector.ConnectError): void {
    const state = this.stateOf(origin)
    state.dialling = undefined
    if (state.sessions.some((s) => !s.draining)) return
    for (let w = state.waiters.shift(); w !== undefined; w = state.waiters.shift()) w.grant({ _tag: "Failed", error })
    this.forgetIfEmpty(state)
  }

  /** Origins with sessions, a dial or requests in line (the gauges' keys). */
  readonly keys = (): ReadonlyArray<string> => [...this.origins.keys()]

  /** An origin's sessions open or being dialled, its idle ones, and the requests waiting for a stream. */
  readonly stats = (key: string): { readonly open: number; readonly idle: number; readonly waiting: number } => {
    const state = this.origins.get(key)
    if (state === undefined) return { open: 0, idle: 0, waiting: 0 }
    const idle = state.sessions.filter((s) => s.active === 0).length
    const open = state.sessions.length + (state.dialling === undefined ? 0 : 1)
    return { open, idle, waiting: state.waiters.length }
  }

  /** Every session, for closing the pool. */
  all(): Array<Session> {
    return [...this.origins.values()].flatMap((o) => o.sessions)
  }

  /** Streams a session may carry: the peer's limit (the binding hands sessions over once it is known), capped. */
  private capacityOf(settings: http2.Settings): number {
    return Math.max(0, Math.min(this.options.maxStreamsPerSession, settings.maxConcurrentStreams ?? 100))
  }

  private stateOf(origin: Url.Origin): OriginSessions {
    let state = this.origins.get(origin.key)
    if (state === undefined) {
      state = new OriginSessions(origin)
      this.origins.set(origin.key, state)
    }
    return state
  }

  private take(s: Session): Session {
    s.active++
    s.served++
    this.deadlines.cancel(s.idle)
    s.idle = undefined
    return s
  }

  /** Hands free streams to those in line, in order; dials again when they still wait. */
  private serve(state: OriginSessions): void {
    while (state.waiters.length > 0) {
      const room = state.sessions.find((s) => s.hasRoom)
      if (room === undefined) break
      const w = state.waiters.shift() as Waiter
      w.grant({ _tag: "Stream", session: this.take(room) })
    }
    const first = state.waiters[0]
    if (first !== undefined) this.dialIfNeeded(state, first.connectMillis)
  }

  /**
   * Dials when nothing open or dialling can take the line: not while a dial is under way (its SETTINGS are
   * not known yet), not past the origin's limit, and not while a live session's peer grants 0 streams —
   * another connection to the same peer would be told the same; the line waits for that session's SETTINGS
   * to change, or for its acquire deadline.
   */
  private dialIfNeeded(state: OriginSessions, connectMillis: number): void {
    if (state.dialling !== undefined || state.sessions.length >= this.options.maxSessionsPerOrigin) return
    if (state.sessions.some((s) => s.capacity === 0 && !s.draining && !s.session.closed)) return
    state.dialling = this.start(state.origin, connectMillis)
  }

  /** Follows the session's settings, GOAWAY and end. */
  private watch(s: Session, state: OriginSessions): void {
    const session = s.session
    session.on("remoteSettings", (settings: http2.Settings) => {
      s.capacity = this.capacityOf(settings)
      this.serve(state)
    })
    session.on("goaway", (code: number, lastStreamId: number) => {
      s.draining = true
      s.lastStreamId = lastStreamId
      s.goawayCode = code
      for (const ex of [...s.open]) ex.goaway(lastStreamId)
      this.drop(s)
    })
    session.on("close", () => {
      s.draining = true
      this.deadlines.cancel(s.idle)
      this.drop(s)
    })
    // Errors reach the streams that were open; the session's own is only logged by 'close'.
    session.on("error", () => undefined)
  }

  /** Takes a session out of the origin's list; those still in line get a new dial. */
  private drop(s: Session): void {
    const state = this.origins.get(s.key)
    if (state === undefined) return
    const i = state.sessions.indexOf(s)
    if (i !== -1) state.sessions.splice(i, 1)
    const first = state.waiters[0]
    if (first !== undefined) this.dialIfNeeded(state, first.connectMillis)
    this.forgetIfEmpty(state)
  }

  private forgetIfEmpty(state: OriginSessions): void {
    if (state.sessions.length === 0 && state.waiters.length === 0 && state.dialling === undefined) {
      this.origins.delete(state.origin.key)
    }
  }

  private rememberHttp1(key: string): void {
    this.http1.delete(key)
    this.http1.add(key)
    if (this.http1.size > this.options.maxHttp1Origins) {
      const oldest = this.http1.values().next().value
      if (oldest !== undefined) this.http1.delete(oldest)
    }
  }
}
