/**
 * Server-sent events (the WHATWG HTML standard's `text/event-stream`) as a `Stream` of typed events, on
 * the Client, so every transform (auth, tracing, retries) applies to each connection. Reconnection follows
 * `EventSource`: after the response ends or the connection fails, the request is sent again after the
 * server's `retry` (3 s until it says otherwise), with `Last-Event-ID`; a 204, another status, or a
 * response that is not an event stream ends it. One event is bounded (`maxEventBytes`), so a server cannot
 * make the client hold an endless one.
 *
 * @example
 * ```ts
 * import { Request, Sse } from "@courier/core"
 * const prices = Sse.events(Request.get("https://api.example.com/prices/stream")).pipe(
 *   Stream.filter((e) => e.type === "price"),
 *   Stream.map((e) => JSON.parse(e.data) as { symbol: string; price: number }),
 * )
 * ```
 *
 * @since 0.5.0
 */
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import * as Client from "./Client.js"
import * as Headers from "./Headers.js"
import { DecodeError, type HttpError, isHttpError } from "./HttpError.js"
import { SseParser } from "./internal/client/sse-parser.js"
import * as Edition from "./internal/shared/edition-effect.js"
import * as Request from "./Request.js"
import * as Response from "./Response.js"

/**
 * One event: its type (the `event` field, or `"message"`), its data (the `data` lines joined with LF), and
 * the stream's last event ID as of this event.
 *
 * @since 0.5.0
 * @category models
 */
export interface Event {
  readonly type: string
  readonly data: string
  readonly id: string
}

/**
 * How events are read and the connection kept.
 *
 * @since 0.5.0
 * @category models
 */
export interface Options {
  /**
   * The most one event may hold (its fields, or a line not yet ended), in characters; past it the stream
   * fails with a `DecodeError`.
   * @default 1048576
   */
  readonly maxEventBytes?: number
  /**
   * Reconnect after the response ends or the connection fails, as `EventSource` does.
   * @default true
   */
  readonly reconnect?: boolean
  /**
   * The most reconnections; past it the stream ends, or fails with the error that ended the last connection.
   * @default Infinity
   */
  readonly maxReconnects?: number
  /**
   * The wait before reconnecting until the server's `retry` field sets another, in milliseconds.
   * @default 3000
   */
  readonly retryMillis?: number
}

/**
 * The default bound on one event: 1 MiB.
 *
 * @since 0.5.0
 * @category limits
 */
export const MAX_EVENT_BYTES = 1024 * 1024

/** What one connection left for the next: the last event ID, the reconnection time, how it ended. */
interface State {
  lastId: string
  retryMillis: number
  /** The error that ended the last connection, when one did. */
  failure: HttpError | undefined
  /** A response said not to reconnect (a 204). */
  finished: boolean
}

const tooLarge = (response: Response.Response, limit: number) =>
  new DecodeError({
    request: response.request,
    expected: `server-sent events of at most ${limit} characters each`,
    reason: "an event grew past the limit",
    preview: "",
  })

/** The events of one response body, the parser starting from the stream's last event ID. */
const parse = (response: Response.Response, state: State, limit: number): Stream.Stream<Event, HttpError> =>
  Stream.suspend(() => {
    const parser = new SseParser(limit, state.lastId)
    const decoder = new TextDecoder()
    return Edition.flattenIterable(
      Stream.mapEffect(Response.stream(response), (chunk) => {
        const fed = parser.feed(decoder.decode(chunk, { stream: true }))
        if (fed.retry !== undefined) state.retryMillis = fed.retry
        state.lastId = parser.lastId
        if (fed.tooLarge) return Effect.fail(tooLarge(response, limit))
        return Effect.succeed(fed.events.map((e): Event => ({ type: e.type, data: e.data, id: e.lastEventId })))
      }),
    )
  })

/** Whether a failure is the connection's (reconnected after), not the response's (which ends the stream). */
const connectionLost = (e: HttpError): boolean =>
  e._tag === "IOError" ||
  e._tag === "IncompleteRead" ||
  e._tag === "HTTPConnectionError" ||
  e._tag === "Timeout" ||
  e._tag === "StreamReset" ||
  (e._tag === "BadStatusLine" && e.line === "")

const isEventStream = (response: Response.Response): boolean =>
  /^text\/event-stream\s*(;|$)/i.test(Response.getHeader(response, "content-type") ?? "")

/**
 * The events of `request` over `client` (see the module's description), reconnecting as `EventSource` does.
 *
 * @since 0.5.0
 * @category streams
 */
export const eventsWith = <E, R>(
  client: Client.With<E, R>,
  request: Request.Request,
  options: Options = {},
): Stream.Stream<Event, E | HttpError, R> => {
  const limit = options.maxEventBytes ?? MAX_EVENT_BYTES
  const maxReconnects = options.reconnect === false ? 0 : (options.maxReconnects ?? Number.POSITIVE_INFINITY)
  return Stream.suspend(() => {
    const state: State = { lastId: "", retryMillis: options.retryMillis ?? 3000, failure: undefined, finished: false }
    const accept = Headers.has(request.headers, "accept")
      ? request
      : Request.setHeader(request, "Accept", "text/event-stream")
    /** One connection's events; a lost connection ends it quietly, and says so in `state.failure`. */
    const connection: Stream.Stream<Event, E | HttpError, R> = Edition.catchStream(
      Edition.unwrapScoped(
        Effect.map(
          // Built at each connection: the request carries the last event ID as of then.
          Effect.suspend(() =>
            client.execute(state.lastId === "" ? accept : Request.setHeader(accept, "Last-Event-ID", state.lastId)),
          ),
          (response): Stream.Stream<Event, HttpError> => {
            if (response.status === 204) {
              state.finished = true
              return Stream.empty
            }
            if (response.status !== 200) return Stream.fail(Response.toStatusError(response))
            if (!isEventStream(response)) {
              return Stream.fail(
                new DecodeError({
                  request: response.request,
                  expected: "text/event-stream",
                  reason: `the response is ${Response.getHeader(response, "content-type") ?? "untyped"}`,
                  preview: "",
                }),
              )
            }
            return parse(response, state, limit)
          },
        ),
      ),
      (e) => {
        if (isHttpError(e) && connectionLost(e)) {
          state.failure = e
          return Stream.empty
        }
        return Stream.fail(e)
      },
    )
    let connections = 0
    // The connections, one after another: the first at once, each other one after the retry delay.
    const next: Effect.Effect<ReadonlyArray<Stream.Stream<Event, E | HttpError, R>> | undefined, HttpError> =
      Effect.suspend(() => {
        if (connections === 0) {
          connections++
          return Effect.succeed([connection])
        }
        if (state.finished) return Effect.succeed(undefined)
        if (connections - 1 >= maxReconnects) {
          return state.failure === undefined ? Effect.succeed(undefined) : Effect.fail(state.failure)
        }
        connections++
        state.failure = undefined
        return Effect.as(Effect.sleep(state.retryMillis), [connection])
      })
    return Stream.flatten(Edition.fromPull(next))
  })
}

/**
 * The events of `request` over the Client in context (see `eventsWith`).
 *
 * @since 0.5.0
 * @category streams
 */
export const events = (request: Request.Request, options?: Options): Stream.Stream<Event, HttpError, Client.Client> =>
  Stream.unwrap(Effect.map(Client.Client, (client) => eventsWith(client, request, options)))

/**
 * The events of one response already received, without reconnection: for a response read by other means.
 *
 * @since 0.5.0
 * @category streams
 */
export const fromResponse = (
  response: Response.Response,
  options: Pick<Options, "maxEventBytes"> = {},
): Stream.Stream<Event, HttpError> =>
  parse(
    response,
    { lastId: "", retryMillis: 3000, failure: undefined, finished: false },
    options.maxEventBytes ?? MAX_EVENT_BYTES,
  )
