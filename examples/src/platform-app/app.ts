/**
 * A small app written only against @effect/platform's HttpClient — no Courier import. Its tests run it
 * over Courier (Platform.httpClient over the node transport) and over platform's own FetchHttpClient.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"

export const Todo = Schema.Struct({ id: Schema.Number, title: Schema.String, done: Schema.Boolean })
export type Todo = typeof Todo.Type

const api = (base: string) =>
  Effect.map(HttpClient.HttpClient, (client) =>
    client.pipe(HttpClient.mapRequest(HttpClientRequest.prependUrl(base)), HttpClient.filterStatusOk),
  )

/** GET a todo, decoded with a Schema. */
export const getTodo = (base: string, id: number) =>
  Effect.flatMap(api(base), (client) =>
    Effect.flatMap(client.get(`/todos/${id}`), HttpClientResponse.schemaBodyJson(Todo)),
  ).pipe(Effect.scoped)

/** POST a todo as JSON; the server answers with it. */
export const createTodo = (base: string, todo: Todo) =>
  Effect.gen(function* () {
    const client = yield* api(base)
    const request = yield* HttpClientRequest.post("/todos").pipe(HttpClientRequest.bodyJson(todo))
    const response = yield* client.execute(request)
    return yield* HttpClientResponse.schemaBodyJson(Todo)(response)
  }).pipe(Effect.scoped)

/** Uploads a stream of lines; the server answers with how many bytes it got. */
export const uploadLines = (base: string, lines: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    const client = yield* api(base)
    const body = Stream.fromIterable(lines.map((l) => new TextEncoder().encode(`${l}\n`)))
    const response = yield* client.execute(
      HttpClientRequest.put("/upload").pipe(HttpClientRequest.bodyStream(body, { contentType: "text/plain" })),
    )
    return yield* response.text
  }).pipe(Effect.scoped)

/** A flaky endpoint, retried on transient failures. */
export const flaky = (base: string) =>
  Effect.gen(function* () {
    const client = (yield* api(base)).pipe(HttpClient.retryTransient({ times: 3 }))
    return yield* Effect.flatMap(client.get("/flaky"), (r) => r.text)
  }).pipe(Effect.scoped)

/** An endpoint that redirects twice, followed by platform's followRedirects. */
export const redirected = (base: string) =>
  Effect.gen(function* () {
    // followRedirects sees the 3xx only below filterStatusOk: a client that returns redirects as they come
    // (platform's Node client, Courier's platform layer) needs this order; fetch follows them itself.
    const client = (yield* HttpClient.HttpClient).pipe(
      HttpClient.mapRequest(HttpClientRequest.prependUrl(base)),
      HttpClient.followRedirects(5),
      HttpClient.filterStatusOk,
    )
    return yield* Effect.flatMap(client.get("/moved"), (r) => r.text)
  }).pipe(Effect.scoped)

/** A streamed response of numbered lines, read as a stream. */
export const countLines = (base: string) =>
  Effect.flatMap(api(base), (client) =>
    client.get("/lines").pipe(HttpClientResponse.stream, Stream.decodeText(), Stream.splitLines, Stream.runCount),
  )
