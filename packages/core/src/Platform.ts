/**
 * Interop with @effect/platform's HttpClient, both ways.
 *
 * `Platform.httpClient()` provides platform's `HttpClient.HttpClient` over a Courier Transport: an app
 * written against @effect/platform (request builders, `bodyJson`, `bodyStream`, `filterStatusOk`,
 * `retryTransient`, `followRedirects`, `schemaBodyJson`, streamed responses) runs unchanged over Courier's
 * node transport, and a Courier error is kept as the `cause` of platform's RequestError or ResponseError.
 * As platform's Node client does, it returns redirects as they come — platform's `followRedirects` follows
 * them — and decodes compressed bodies; pass `{ redirects: n }` to have Courier follow them instead. Spans
 * and `traceparent` are platform's: one client span per request, none of Courier's own underneath.
 *
 * `Platform.transport` goes the other way: any platform HttpClient (FetchHttpClient in browsers, Deno, Bun,
 * workers) becomes a Courier Transport, its failures mapped onto Courier's typed errors as far as fetch
 * tells what happened.
 *
 * @since 0.1.0
 */
import type * as HttpBody from "@effect/platform/HttpBody"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as Body from "./Body.js"
import * as Client from "./Client.js"
import { EncodeError, HTTPConnectionError, type HttpError, IOError, isHttpError } from "./HttpError.js"
import * as Request from "./Request.js"
import * as Response from "./Response.js"
import { Transport } from "./Transport.js"
import type { Url } from "./Url.js"

/** How a Courier error maps onto platform's RequestError reasons. */
const requestReason = (e: HttpError): "InvalidUrl" | "Encode" | "Transport" =>
  e._tag === "InvalidURL" || e._tag === "UnknownProtocol"
    ? "InvalidUrl"
    : e._tag === "EncodeError" || e._tag === "InvalidHeader"
      ? "Encode"
      : "Transport"

const nullBody = new Set([101, 204, 205, 304])

/**
 * A raw platform body as a Courier body: text, bytes (any typed array or `ArrayBuffer`), a `Blob`, a web
 * `ReadableStream` or any async iterable of bytes (a Node `Readable`); anything else is refused with its
 * reason rather than sent empty.
 */
const rawBody = (raw: unknown, contentType: string | undefined): Either.Either<Body.Body, string> => {
  const type = contentType ?? "application/octet-stream"
  if (typeof raw === "string") return Either.right(Body.text(raw, contentType ?? "text/plain"))
  if (raw instanceof Uint8Array) return Either.right(Body.bytes(raw, type))
  if (raw instanceof ArrayBuffer) return Either.right(Body.bytes(new Uint8Array(raw), type))
  if (ArrayBuffer.isView(raw))
    return Either.right(Body.bytes(new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength), type))
  if (raw instanceof Blob) {
    const stream = Stream.fromReadableStream({ evaluate: () => raw.stream(), onError: (e) => e })
    return Either.right(Body.stream(stream, { contentType: contentType ?? (raw.type || type), length: raw.size }))
  }
  if (raw instanceof ReadableStream) {
    const stream = Stream.fromReadableStream({ evaluate: () => raw as ReadableStream<Uint8Array>, onError: (e) => e })
    return Either.right(Body.stream(stream, { contentType: type }))
  }
  if (typeof raw === "object" && raw !== null && Symbol.asyncIterator in raw) {
    // A Node Readable (fs.createReadStream, say) or any async iterable of byte chunks.
    const stream = Stream.fromAsyncIterable(raw as AsyncIterable<Uint8Array>, (e) => e)
    return Either.right(Body.stream(stream, { contentType: type }))
  }
  return Either.left(`a raw body of type ${raw === null ? "null" : typeof raw} cannot be sent`)
}

/** A platform request body as a Courier body, or why it cannot be sent. */
const bodyOf = (body: HttpBody.HttpBody): Either.Either<Body.Body, string> => {
  switch (body._tag) {
    case "Empty":
      return Either.right(Body.empty)
    case "Uint8Array":
      return Either.right(Body.bytes(body.body, body.contentType))
    case "Raw":
      return rawBody(body.body, body.contentType)
    case "Stream":
      return Either.right(
        Body.stream(body.stream, {
          contentType: body.contentType,
          ...(body.contentLength === undefined ? {} : { length: body.contentLength }),
        }),
      )
    case "FormData": {
      // The platform's own encoder frames the form; its stream becomes the body.
      const encoded = new globalThis.Response(body.formData)
      const type = encoded.headers.get("content-type") ?? "multipart/form-data"
      const stream =
        encoded.body === null
          ? Stream.empty
          : Stream.fromReadableStream({ evaluate: () => encoded.body as ReadableStream<Uint8Array>, onError: (e) => e })
      return Either.right(Body.stream(stream, { contentType: type }))
    }
  }
}

/** A Courier body stream as a web ReadableStream that calls `done` when it ends, fails or is cancelled. */
const readable = (stream: Stream.Stream<Uint8Array, HttpError>, done: () => void): ReadableStream<Uint8Array> => {
  let pull: ((controller: ReadableStreamDefaultController<Uint8Array>) => Promise<void>) | undefined
  const scope = Effect.runSync(Scope.make())
  return new ReadableStream<Uint8Array>({
    start() {
      const next = Effect.runSync(Scope.extend(Stream.toPull(stream), scope))
      pull = (controller) =>
        Effect.runPromise(
          Effect.match(next, {
            onFailure: (error) => {
              if (Option.isSome(error)) controller.error(error.value)
              else controller.close()
              Effect.runFork(Scope.close(scope, Exit.void))
              done()
            },
            onSuccess: (chunk) => {
              for (const c of chunk) controller.enqueue(c)
            },
          }),
        )
    },
    pull: (controller) => pull?.(controller),
    cancel() {
      Effect.runFork(Scope.close(scope, Exit.void))
      done()
    },
  })
}

/**
 * A Courier response as a web Response, for any status a server may send. The web type takes 200–599
 * only, and a server may send anything from 100 to 999 (RFC 9110 §15; @effect/platform's node client
 * returns such a response): outside that range the web Response is made as a 200 and the status the server
 * sent is set on it, with `ok` to match, so platform's response reports it and nothing throws.
 */
const webResponse = (response: Response.Response, body: ReadableStream<Uint8Array> | null): globalThis.Response => {
  const headers = new globalThis.Headers()
  for (const [k, v] of response.headers.entries) headers.append(k, v)
  const { status, reason } = response
  if (status >= 200 && status <= 599) return new globalThis.Response(body, { status, statusText: reason, headers })
  const web = new globalThis.Response(body, { status: 200, statusText: reason, headers })
  Object.defineProperty(web, "status", { value: status })
  Object.defineProperty(web, "ok", { value: false })
  return web
}

/**
 * The reason phrase a platform response carries on its source (a web Response's `statusText`, a node
 * IncomingMessage's `statusMessage`), looking through the wrappers platform's HttpClient puts around it
 * (`original`); "" when it has none.
 */
const reasonOf = (response: HttpClientResponse.HttpClientResponse): string => {
  interface Wrapped {
    readonly original?: unknown
    readonly source?: { readonly statusText?: unknown; readonly statusMessage?: unknown }
  }
  let current: Wrapped | undefined = response as Wrapped
  for (let depth = 0; depth < 4 && current !== undefined; depth++) {
    const phrase = current.source?.statusText ?? current.source?.statusMessage
    if (typeof phrase === "string") return phrase
    current = typeof current.original === "object" && current.original !== null ? current.original : undefined
  }
  return ""
}

/**
 * Platform's HttpClient over the Courier Transport in context; `options` are those of the Courier Client
 * underneath (redirects followed as fetch follows them, no User-Agent added).
 *
 * @example
 * ```ts
 * import { HttpClient } from "@effect/platform"
 * const layer = Platform.httpClient().pipe(Layer.provide(NodeTransport.layer()), Layer.provide(NodeTransport.platform))
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const httpClient = (options: Client.Options = {}): Layer.Layer<HttpClient.HttpClient, never, Transport> =>
  Layer.effect(
    HttpClient.HttpClient,
    // Platform's HttpClient makes the request's client span and sends its traceparent (unless
    // withTracerPropagation(false) says not to): Courier adds neither, so there is one of each.
    Effect.map(
      Client.make({ userAgent: false, redirects: false, tracing: false, propagateTraceContext: false, ...options }),
      (courier) =>
        HttpClient.make((request, url, signal) =>
          Effect.gen(function* () {
            const body = bodyOf(request.body)
            if (Either.isLeft(body)) {
              return yield* Effect.fail(
                new HttpClientError.RequestError({ request, reason: "Encode", description: body.left }),
              )
            }
            const scope = yield* Scope.make()
            const close = () => {
              Effect.runFork(Scope.close(scope, Exit.void))
            }
            signal.addEventListener("abort", close, { once: true })
            const outgoing = Request.make(request.method, url.href, {
              headers: Object.entries(request.headers),
              body: body.right,
            })
            const response = yield* courier.execute(outgoing).pipe(
              Scope.extend(scope),
              Effect.tapErrorCause(() => Effect.sync(close)),
              Effect.mapError(
                (cause) =>
                  new HttpClientError.RequestError({
                    request,
                    reason: requestReason(cause),
                    cause,
                    description: cause.message,
                  }),
              ),
            )
            const stream =
              nullBody.has(response.status) || request.method === "HEAD"
                ? null
                : readable(Response.stream(response), close)
            if (stream === null) close()
            return HttpClientResponse.fromWeb(request, webResponse(response, stream))
          }),
        ),
    ),
  )

/**
 * Header fields as one record, for a client whose headers are a record: a repeated field's values are
 * combined into one line (RFC 9110 §5.3; `Cookie` with "; ", RFC 6265 §5.4) instead of the last one winning.
 */
const combined = (entries: ReadonlyArray<readonly [string, string]>): Record<string, string> => {
  const out: Record<string, string> = {}
  for (const [name, value] of entries) {
    const key = name.toLowerCase()
    const before = out[key]
    out[key] = before === undefined ? value : `${before}${key === "cookie" ? "; " : ", "}${value}`
  }
  return out
}

/** What a platform transport error was, as far as the cause chain says. */
const connectCodes =
  /^(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|UND_ERR_CONNECT_TIMEOUT|CERT_|UNABLE_TO_|DEPTH_ZERO|SELF_SIGNED|ERR_TLS_)/

const codeOf = (e: unknown): string | undefined => {
  let current: unknown = e
  for (let i = 0; i < 5 && typeof current === "object" && current !== null; i++) {
    const code = (current as { code?: unknown }).code
    if (typeof code === "string") return code
    current = (current as { cause?: unknown }).cause
  }
  return undefined
}

const fromPlatformError = (
  e: HttpClientError.HttpClientError,
  info: HttpError["request"],
  origin: { readonly host: string; readonly port: number },
): HttpError => {
  if (isHttpError(e.cause)) return e.cause
  const code = codeOf(e.cause) ?? "EIO"
  const reason =
    e.cause instanceof Error ? (e.cause.cause instanceof Error ? e.cause.cause.message : e.cause.message) : e.message
  return e._tag === "RequestError" && connectCodes.test(code)
    ? new HTTPConnectionError({ request: info, host: origin.host, port: origin.port, code, reason })
    : new IOError({ request: info, code, reason })
}

/**
 * A Courier Transport over the platform HttpClient in context (FetchHttpClient, say). Deadlines for the
 * head and body phases are not available there; the total deadline, applied by the Client, is. fetch
 * decodes compressed bodies itself but keeps `Content-Encoding`; with `decodes` (the default) that header
 * is dropped so that the body is not decoded twice — pass `false` for a client that does not decode.
 *
 * @since 0.1.0
 * @category layers
 */
export const transport = (
  options: { readonly decodes?: boolean } = {},
): Layer.Layer<Transport, never, HttpClient.HttpClient> =>
  Layer.effect(
    Transport,
    Effect.map(HttpClient.HttpClient, (client) => {
      const send = (request: Request.Request, url: Url) =>
        Effect.gen(function* () {
          const info = Request.info(request)
          const encoded = Body.encode(request.body)
          // A body that cannot be encoded is the caller's typed error, never an empty request.
          if (Either.isLeft(encoded))
            return yield* Effect.fail(new EncodeError({ request: info, reason: encoded.left.reason }))
          let outgoing = HttpClientRequest.make(request.method as "GET")(url.href).pipe(
            HttpClientRequest.setHeaders(combined(request.headers.entries)),
          )
          if (Either.isRight(encoded)) {
            const e = encoded.right
            if (e._tag === "Fixed" && e.bytes.length > 0) {
              outgoing = HttpClientRequest.bodyUint8Array(
                outgoing,
                e.bytes,
                e.contentType ?? "application/octet-stream",
              )
            } else if (e._tag === "Streamed") {
              outgoing = HttpClientRequest.bodyStream(outgoing, Stream.orDie(e.stream), {
                contentType: e.contentType,
                ...(e.length === undefined ? {} : { contentLength: e.length }),
              })
            }
          }
          const response = yield* Effect.mapError(client.execute(outgoing), (e) =>
            fromPlatformError(e, info, url.origin),
          )
          const headers: Array<readonly [string, string]> = []
          for (const [k, v] of Object.entries(response.headers)) {
            if (options.decodes !== false && k === "content-encoding") continue
            headers.push([k, v])
          }
          const length = response.headers["content-length"]
          const decoded = options.decodes !== false && response.headers["content-encoding"] !== undefined
          return Response.make({
            request: info,
            status: response.status,
            reason: reasonOf(response),
            headers,
            contentLength: length === undefined || decoded ? undefined : Number(length),
            body: { stream: Stream.mapError(response.stream, (e) => fromPlatformError(e, info, url.origin)) },
          })
        })
      return Transport.of({ send, fetch: (request, url) => Effect.flatMap(send(request, url), Response.buffered) })
    }),
  )
