/**
 * A Connector whose peer follows a script: the real HTTP/1.1 transport of @courier/core talks to it through
 * the real codec, with no sockets.
 *
 * Each connection the transport opens runs the script once, with a `Peer` to drive: receive the client's
 * request, send bytes (whole, split at given offsets, or one byte at a time), pause on the Effect Clock,
 * half-close or reset. So tests reach every wire case — bad status lines, bodies cut short, trailers, 1xx,
 * stalls, idle closes — through the code path real servers take, and TestClock drives every wait.
 *
 * @since 0.1.0
 */
import { Connector } from "@courier/core"
import type { DurationInput } from "@courier/core/internal/edition"
import * as Edition from "@courier/core/internal/edition"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import * as Ref from "effect/Ref"
import { type Ending, Pipe } from "./internal/pipe.js"

/**
 * A request as the peer received it.
 *
 * @since 0.1.0
 * @category models
 */
export interface Received {
  readonly method: string
  readonly target: string
  /** Header fields in order, names as sent. */
  readonly headers: ReadonlyArray<readonly [string, string]>
  readonly body: Uint8Array
  /** The head exactly as sent, latin1. */
  readonly head: string
}

/**
 * The server side of one connection, for a script to drive.
 *
 * @since 0.1.0
 * @category models
 */
export interface Peer {
  /** The connection's number, from 1, in the order the transport opened them. */
  readonly id: number
  /** Waits for the next complete request (head, then a Content-Length or chunked body). */
  readonly receive: Effect.Effect<Received>
  /**
   * Waits for the next request and checks it: a string must be a prefix of the head (`"GET /a HTTP/1.1"`),
   * a RegExp must match the head, a predicate must hold. On a mismatch the peer resets the connection,
   * and the test fails when the layer's scope closes.
   */
  readonly expect: (matcher: string | RegExp | ((request: Received) => boolean)) => Effect.Effect<Received>
  /** Sends bytes to the client: whole, cut at `splitAt` offsets, or one byte per write. */
  readonly send: (
    data: string | Uint8Array,
    options?: { readonly splitAt?: ReadonlyArray<number>; readonly byteByByte?: boolean },
  ) => Effect.Effect<void>
  /** Waits on the Effect Clock (TestClock moves it in tests). */
  readonly pause: (duration: DurationInput) => Effect.Effect<void>
  /** Closes the peer's side: the client reads the end of the stream. */
  readonly close: Effect.Effect<void>
  /** Resets the connection: the client's next read fails with ECONNRESET. */
  readonly reset: Effect.Effect<void>
}

/**
 * Counts of what the peer has seen.
 *
 * @since 0.1.0
 * @category models
 */
export interface Stats {
  /** Connections opened so far. */
  readonly connections: Effect.Effect<number>
}

/**
 * The peer's statistics service.
 *
 * @since 0.1.0
 * @category tags
 */
export class ScriptedPeer extends Edition.Service<ScriptedPeer, Stats>()("@courier/mock-transport/ScriptedPeer") {}

const latin1 = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0) & 0xff)
const text = (b: Uint8Array): string => String.fromCharCode(...b)

/** Reads requests out of the bytes a client wrote: the head up to the blank line, then its body. */
class RequestReader {
  private buffer = new Uint8Array(0)
  constructor(private readonly pipe: Pipe) {}

  /** Reads more of the client's bytes; false once the client is gone. */
  private more(): Effect.Effect<boolean> {
    return Effect.map(
      Effect.orElseSucceed(
        this.pipe.read(() => "gone"),
        () => undefined,
      ),
      (chunk) => {
        if (chunk === undefined) return false
        const next = new Uint8Array(this.buffer.length + chunk.length)
        next.set(this.buffer)
        next.set(chunk, this.buffer.length)
        this.buffer = next
        return true
      },
    )
  }

  private take(n: number): Uint8Array {
    const out = this.buffer.slice(0, n)
    this.buffer = this.buffer.slice(n)
    return out
  }

  private until(find: () => number): Effect.Effect<number> {
    return Effect.suspend(() => {
      const at = find()
      return at !== -1
        ? Effect.succeed(at)
        : Effect.flatMap(this.more(), (ok) => (ok ? this.until(find) : Effect.never))
    })
  }

  readonly receive: Effect.Effect<Received> = this.receiving()

  private receiving(): Effect.Effect<Received> {
    const self = this
    return Effect.gen(function* () {
      const headEnd = yield* self.until(() => {
        const i = text(self.buffer).indexOf("\r\n\r\n")
        return i === -1 ? -1 : i + 4
      })
      const head = text(self.take(headEnd))
      const [requestLine = "", ...lines] = head.slice(0, -4).split("\r\n")
      const [method = "", target = ""] = requestLine.split(" ")
      const headers = lines.map((l): readonly [string, string] => {
        const colon = l.indexOf(":")
        return [l.slice(0, colon), l.slice(colon + 1).trim()]
      })
      const field = (name: string) => headers.find(([k]) => k.toLowerCase() === name)?.[1]
      let body: Uint8Array = new Uint8Array(0)
      if (field("transfer-encoding")?.toLowerCase() === "chunked") {
        const parts: Array<Uint8Array> = []
        while (true) {
          const lineEnd = yield* self.until(() => text(self.buffer).indexOf("\r\n"))
          const size = Number.parseInt(text(self.take(lineEnd + 2)), 16)
          if (size === 0) {
            yield* self.until(() => (text(self.buffer).startsWith("\r\n") ? 2 : -1))
            self.take(2)
            break
          }
          yield* self.until(() => (self.buffer.length >= size + 2 ? size : -1))
          parts.push(self.take(size))
          self.take(2)
        }
        body = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
        let at = 0
        for (const p of parts) {
          body.set(p, at)
          at += p.length
        }
      } else {
        const length = Number(field("content-length") ?? 0)
        yield* self.until(() => (self.buffer.length >= length ? length : -1))
        body = self.take(length)
      }
      return { method, target, headers, body, head }
    })
  }
}

let socketIds = 0

const noop = (): void => undefined

/** The client's end of an in-memory connection: what it sends goes to `toPeer`, it hears `toClient`. */
const clientSocket = (toClient: Pipe, toPeer: Pipe, destroy: Effect.Effect<void>): Connector.Socket => {
  const gone = new Connector.SocketError({ code: "EPIPE", reason: "the peer has gone" })
  return {
    id: ++socketIds,
    send: (bytes) => {
      if (toPeer.ended) return gone
      toPeer.push(bytes.slice())
      return undefined
    },
    // The peer's side is memory: it takes whatever is sent, and the script reads it at its pace.
    whenWritable: (ready) => {
      ready(toPeer.ended ? gone : undefined)
      return noop
    },
    listen: (onBytes, onError) =>
      toClient.listen((chunk, ending) => {
        if (ending?._tag !== "Fail") return onBytes(chunk)
        onError(new Connector.SocketError({ code: ending.code, reason: ending.reason }))
        return false
      }),
    reusable: () => !toClient.ended && toClient.buffered === 0,
    destroy,
  }
}

/**
 * How the scripted peer's connections open.
 *
 * @since 0.2.0
 * @category models
 */
export interface LayerOptions {
  /**
   * Runs before each connection opens, as a dial would: `Effect.never` for a peer that never answers (an
   * unreachable address, a TLS server that never completes its handshake), `Effect.sleep(…)` for a slow one
   * (TestClock moves it).
   */
  readonly accept?: Effect.Effect<void>
}

/**
 * A Connector whose every connection runs `script`, and the statistics service beside it.
 *
 * @example
 * ```ts
 * const peer = ScriptedPeer.layer((peer) =>
 *   Effect.gen(function* () {
 *     yield* peer.receive
 *     yield* peer.send("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhel", { byteByByte: true })
 *     yield* peer.close // the client sees IncompleteRead
 *   }),
 * )
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = <R = never>(
  script: (peer: Peer) => Effect.Effect<void, never, R>,
  options?: LayerOptions,
): Layer.Layer<Connector.Connector | ScriptedPeer, never, R> =>
  Edition.layerScopedContext(
    Effect.gen(function* () {
      const context = yield* Effect.context<R>()
      const opened = yield* Ref.make(0)
      const mismatches: Array<string> = []
      yield* Effect.addFinalizer(() =>
        mismatches.length === 0 ? Effect.void : Effect.die(new Error(`ScriptedPeer: ${mismatches.join("; ")}`)),
      )
      const connect: Connector.Service["connect"] = () =>
        Effect.gen(function* () {
          if (options?.accept !== undefined) yield* options.accept
          const id = yield* Ref.updateAndGet(opened, (n) => n + 1)
          const toClient = new Pipe()
          const toPeer = new Pipe()
          const reader = new RequestReader(toPeer)
          const finish = (ending: Ending) =>
            Effect.sync(() => {
              toClient.end(ending)
              toPeer.end(ending)
            })
          const reset = finish({ _tag: "Fail", code: "ECONNRESET", reason: "connection reset by the scripted peer" })
          const peer: Peer = {
            id,
            receive: reader.receive,
            expect: (matcher) =>
              Effect.flatMap(reader.receive, (received) => {
                const ok =
                  typeof matcher === "string"
                    ? received.head.startsWith(matcher)
                    : matcher instanceof RegExp
                      ? matcher.test(received.head)
                      : matcher(received)
                if (ok) return Effect.succeed(received)
                mismatches.push(
                  `connection ${id} expected ${String(matcher)}, got ${JSON.stringify(received.head.split("\r\n")[0])}`,
                )
                return Effect.andThen(reset, Effect.never)
              }),
            send: (data, options) =>
              Effect.sync(() => {
                const bytes = typeof data === "string" ? latin1(data) : data
                const cuts = options?.byteByByte
                  ? Array.from({ length: bytes.length }, (_, i) => i + 1)
                  : [...(options?.splitAt ?? []), bytes.length]
                let from = 0
                for (const cut of cuts) {
                  toClient.push(bytes.subarray(from, cut))
                  from = cut
                }
              }),
            pause: (duration) => Effect.sleep(duration),
            close: Effect.sync(() => toClient.end({ _tag: "End" })),
            reset,
          }
          yield* Effect.forkScoped(Effect.provide(script(peer), context))
          const socket = clientSocket(toClient, toPeer, finish({ _tag: "End" }))
          yield* Effect.addFinalizer(() => socket.destroy)
          return socket
        })
      return Context.make(Connector.Connector, { connect }).pipe(
        Context.add(ScriptedPeer, { connections: Ref.get(opened) }),
      )
    }),
  )

/**
 * The number of connections opened so far.
 *
 * @since 0.1.0
 * @category stats
 */
export const connections: Effect.Effect<number, never, ScriptedPeer> = Effect.flatMap(
  Edition.service(ScriptedPeer),
  (s) => s.connections,
)
