// An error type of the caller's own travels through the chain: every transform that does not narrow keeps
// it in its type (checked by the compiler through expectTypeOf) and lets it through at run time, and a
// middleware above a step that fails with it sees it, typed.
import { Auth, Client, Cookies, type HttpError, Request, type Response, Retry } from "@courier/core"
import { MockTransport } from "@courier/mock-transport"
import { describe, expect, expectTypeOf, it } from "@effect/vitest"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import type { ErrorOf as EffectError } from "../../core/test/edition.js"

class Boom extends Data.TaggedError("Boom")<{ readonly path: string }> {}

/** The error a client's `fetch` can fail with. */
type ErrorOf<C extends Client.With<unknown, unknown>> = EffectError<ReturnType<C["fetch"]>>

/** A step that fails with Boom on /boom, below everything the tests put above it. */
const booming = <E, R>(self: Client.With<E, R>) =>
  Client.middleware(
    self,
    (request, next): Effect.Effect<Response.Response, E | HttpError.HttpError | Boom> =>
      request.url.endsWith("/boom") ? Effect.fail(new Boom({ path: "/boom" })) : next(request),
  )

const layer = MockTransport.layer([{ path: "/ok", reply: { status: 200 } }])

describe("a user's error type through the chain", () => {
  it.effect("every transform that does not narrow keeps it, in its type and at run time", () =>
    Effect.gen(function* () {
      const base = booming(yield* Client.makeBare)
      expectTypeOf<ErrorOf<typeof base>>().toEqualTypeOf<Boom | HttpError.HttpError>()
      const provider = yield* Auth.tokenProvider(Effect.succeed({ token: "t" }))
      const chains = {
        mapRequest: base.pipe(Client.mapRequest((r) => r)),
        mapRequestEffect: base.pipe(Client.mapRequestEffect(Effect.succeed)),
        tapRequest: base.pipe(Client.tapRequest(() => Effect.void)),
        mapResponse: base.pipe(Client.mapResponse((r) => r)),
        mapResponseEffect: base.pipe(Client.mapResponseEffect(Effect.succeed)),
        tapResponse: base.pipe(Client.tapResponse(() => Effect.void)),
        tapError: base.pipe(Client.tapError(() => Effect.void)),
        middleware: base.pipe(Client.middleware((request, next) => next(request))),
        withBaseUrl: base.pipe(Client.withBaseUrl("http://api.test/")),
        withHeaders: base.pipe(Client.withHeaders({ A: "1" })),
        withAuth: base.pipe(Client.withAuth({ bearer: "t" })),
        withAuthToken: base.pipe(Client.withAuth({ token: provider })),
        withNetrc: base.pipe(Client.withNetrc(Auth.parseNetrc(""))),
        retry: base.pipe(Client.retry(Retry.transient)),
        followRedirects: base.pipe(Client.followRedirects(3)),
        withCookies: base.pipe(Client.withCookies(Cookies.make())),
        decompress: base.pipe(Client.decompress()),
        withTimeouts: base.pipe(Client.withTimeouts({ head: "1 second" })),
        withMaxResponseBytes: base.pipe(Client.withMaxResponseBytes(1000)),
        withExpectContinue: base.pipe(Client.withExpectContinue(true)),
        withTracing: base.pipe(Client.withTracing()),
        limitConcurrency: base.pipe(Client.limitConcurrency(2)),
        rateLimit: base.pipe(Client.rateLimit({ limit: 10, interval: "1 second" })),
        filterStatusOk: base.pipe(Client.filterStatusOk),
      }
      expectTypeOf<ErrorOf<(typeof chains)["retry"]>>().toEqualTypeOf<Boom | HttpError.HttpError>()
      expectTypeOf<ErrorOf<(typeof chains)["middleware"]>>().toEqualTypeOf<Boom | HttpError.HttpError>()
      expectTypeOf<ErrorOf<(typeof chains)["rateLimit"]>>().toEqualTypeOf<Boom | HttpError.HttpError>()
      expectTypeOf<ErrorOf<(typeof chains)["filterStatusOk"]>>().toEqualTypeOf<Boom | HttpError.HttpError>()
      type All = { [K in keyof typeof chains]: Extract<ErrorOf<(typeof chains)[K]>, Boom> }
      expectTypeOf<All[keyof All]>().toEqualTypeOf<Boom>()
      for (const [name, client] of Object.entries(chains)) {
        const error = yield* Effect.flip(client.fetch(Request.get("http://api.test/boom")))
        expect([name, error]).toEqual([name, new Boom({ path: "/boom" })])
        expect((yield* client.fetch(Request.get("http://api.test/ok"))).status).toBe(200)
      }
    }).pipe(Effect.provide(layer)),
  )

  it.effect("a middleware above sees the user's error typed, and may recover from it by its tag", () =>
    Effect.gen(function* () {
      const seen: Array<string> = []
      const client = booming(yield* Client.makeBare).pipe(
        Client.middleware((request, next) =>
          next(request).pipe(
            Effect.tapError((error) => Effect.sync(() => seen.push(error._tag))),
            Effect.catchTag("Boom", (boom) => Effect.fail({ recovered: boom.path })),
          ),
        ),
      )
      expectTypeOf<ErrorOf<typeof client>>().toEqualTypeOf<{ recovered: string } | HttpError.HttpError>()
      expect(yield* Effect.flip(client.fetch(Request.get("http://api.test/boom")))).toEqual({ recovered: "/boom" })
      expect(seen).toEqual(["Boom"])
    }).pipe(Effect.provide(layer)),
  )
})
