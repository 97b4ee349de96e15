/**
 * Seed 000 in Courier: a REST client that authenticates with an API key, keeps a session token, creates a
 * live event, reads its stream URLs and counts down to the launch.
 *
 * The Python original joins URLs with urljoin, adds headers per request, decodes JSON and exits on a
 * non-JSON reply. Here the base URL and the API key live in the Client, each JSON reply is decoded with a
 * Schema, a non-JSON reply is a typed `DecodeError`, and the countdown runs on Effect's Clock.
 */
import { Client, Request, Response } from "@courier/core"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Ref from "effect/Ref"
import * as Schema from "effect/Schema"

export const SessionInfo = Schema.Struct({ session_token: Schema.String, user_id: Schema.String })
const Created = Schema.Struct({ live_event_id: Schema.String })
export const EventInfo = Schema.Struct({ down: Schema.String, up: Schema.String })
const EventList = Schema.Struct({ live_events: EventInfo })

/** POST user/authenticate with the credentials; the session token and user id come back. */
export const authenticate = (userinfo: { readonly email: string; readonly password: string }) =>
  Client.post("user/authenticate", { json: { email: userinfo.email, password: userinfo.password } }).pipe(
    Effect.flatMap(Response.filterStatusOk),
    Effect.flatMap(Response.schemaJson(SessionInfo)),
    Effect.map((js) => ({ token: js.session_token, userId: js.user_id })),
  )

/** A signed-in session: its token and the user it belongs to. */
export interface Session {
  readonly token: string
  readonly userId: string
}

const eventPath = (session: Session) => `user/${encodeURIComponent(session.userId)}/live_event`

/** The start time `minutes` from now, in Unix seconds (the seed's getFutureUTC). */
export const futureUtc = (minutes: number) =>
  Effect.map(Clock.currentTimeMillis, (now) => Math.floor(now / 1000) + minutes * 60)

/** POST a live event; its id comes back. */
export const createLiveEvent = (session: Session, payload: { readonly title: string; readonly start_time: number }) =>
  Client.fetch(
    Request.post(eventPath(session), { json: payload }).pipe(Request.setHeader("X-SESSION-TOKEN", session.token)),
  ).pipe(
    Effect.flatMap(Response.filterStatusOk),
    Effect.flatMap(Response.schemaJson(Created)),
    Effect.map((js) => js.live_event_id),
  )

/** GET the live event's upstream and downstream URLs. */
export const getLiveEventInfo = (session: Session) =>
  Client.get(eventPath(session), { headers: { "X-SESSION-TOKEN": session.token } }).pipe(
    Effect.flatMap(Response.filterStatusOk),
    Effect.flatMap(Response.schemaJson(EventList)),
    Effect.map((js) => js.live_events),
  )

/**
 * Counts down `seconds`, one tick a second on the Effect Clock: every `interval` ticks it announces the
 * time left, above ten seconds it prints a dot, then the last ten seconds one by one (as the seed does).
 */
export const countdown = (seconds: number, interval: number, say: (line: string) => Effect.Effect<void>) =>
  Effect.gen(function* () {
    const tick = yield* Ref.make(0)
    const step = Effect.flatMap(
      Ref.getAndUpdate(tick, (n) => n + 1),
      (i) => {
        const left = seconds - i
        const announce = i % interval === 0 ? say(`Streaming will start in ${left} seconds.`) : Effect.void
        return Effect.andThen(announce, left > 10 ? say(".") : say(String(left)))
      },
    )
    // One tick now and one a second after each, `seconds` ticks in all, then the last second passes.
    for (let i = 0; i < seconds; i++) {
      yield* step
      yield* Effect.sleep("1 second")
    }
    yield* say("Launch!")
  })

/** The whole seed: authenticate → create → read URLs → countdown → "Launch!". */
export const run = (options: {
  readonly userinfo: { readonly email: string; readonly password: string }
  readonly title: string
  readonly afterMinutes: number
  readonly countdownSeconds: number
  readonly interval: number
  readonly say: (line: string) => Effect.Effect<void>
}) =>
  Effect.gen(function* () {
    const session = yield* authenticate(options.userinfo)
    yield* options.say(`Authenticated as ${session.userId} (session token received)`)
    const startTime = yield* futureUtc(options.afterMinutes)
    const eventId = yield* createLiveEvent(session, { title: options.title, start_time: startTime })
    yield* options.say(`Created live event ${eventId} "${options.title}" starting at ${startTime}`)
    const info = yield* getLiveEventInfo(session)
    yield* options.say(`Downstream URL: ${info.down}`)
    yield* options.say(`Upstream URL: ${info.up}`)
    yield* countdown(options.countdownSeconds, options.interval, options.say)
    return info
  })
