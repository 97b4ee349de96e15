import { Auth, Client, Request, Response } from "@courier/core"
import { MockTransport } from "@courier/mock-transport"
import { expect, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"

it.effect("a token fetched at run time, cached, and fetched again when the API refuses it", () =>
  Effect.gen(function* () {
    const bare = yield* Client.makeBare
    // The token endpoint is called through the plain client; the API client gets the token on each request.
    const fetchToken = Effect.map(
      Effect.flatMap(
        bare.fetch(Request.post("http://auth.test/token", { data: { grant_type: "client_credentials" } })),
        Response.json,
      ),
      (body) => {
        const { access_token, expires_in } = body as { access_token: string; expires_in: number }
        return { token: Redacted.make(access_token), expiresIn: `${expires_in} seconds` as const }
      },
    )
    const provider = yield* Auth.tokenProvider(fetchToken)
    const api = bare.pipe(Client.withAuth({ token: provider }), Client.withBaseUrl("http://api.test/"))

    expect((yield* api.fetch(Request.get("me"))).status).toBe(200) // token t1
    expect((yield* api.fetch(Request.get("me"))).status).toBe(200) // t1 refused: t2 fetched, sent again
    const calls = (yield* MockTransport.calls).map(
      (c) => `${c.request.url} ${"status" in c.outcome ? c.outcome.status : ""}`,
    )
    expect(calls).toEqual([
      "http://auth.test/token 200",
      "http://api.test/me 200",
      "http://api.test/me 401",
      "http://auth.test/token 200",
      "http://api.test/me 200",
    ])
  }).pipe(
    Effect.provide(
      MockTransport.layer([
        {
          path: "/token",
          reply: [
            { status: 200, json: { access_token: "t1", expires_in: 3600 } },
            { status: 200, json: { access_token: "t2", expires_in: 3600 } },
          ],
        },
        { path: "/me", headers: { authorization: "Bearer t1" }, reply: [{ status: 200 }, { status: 401 }] },
        { path: "/me", headers: { authorization: "Bearer t2" }, reply: { status: 200 } },
      ]),
    ),
  ),
)
