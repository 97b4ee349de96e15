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
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as Body from "./Body.js"
import * as Client from "./Client.js"
import { EncodeError, HTTPConnectionError, type HttpError, IOError, isHttpError } from "./HttpError.js"
import {
  bodyOf,
  codeOf,
  combined,
  connectCodes,
  messageOf,
  nullBody,
  readable,
  reasonOf,
  webResponse,
} from "./internal/client/platform-bridge.js"
import { Result } from "./internal/shared/edition.js"
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
            if (Result.isFailure(body)) {
              return yield* Effect.fail(
                new HttpClientError.RequestError({ request, reason: "Encode", description: Result.failure(body) }),
              )
            }
            const scope = yield* Scope.make()
            const close = () => {
              Effect.runFork(Scope.close(scope, Exit.void))
            }
            signal.addEventListener("abort", close, { once: true })
            const outgoing = Request.make(request.method, url.href, {
              headers: Object.entries(request.headers),
              body: Result.success(body),
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

const fromPlatformError = (
  e: HttpClientError.HttpClientError,
  info: HttpError["request"],
  origin: { readonly host: string; readonly port: number },
): HttpError => {
  if (isHttpError(e.cause)) return e.cause
  const code = codeOf(e.cause) ?? "EIO"
  const reason = messageOf(e.cause, e.message)
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
          if (Result.isFailure(encoded))
            return yield* Effect.fail(new EncodeError({ request: info, reason: Result.failure(encoded).reason }))
          let outgoing = HttpClientRequest.make(request.method as "GET")(url.href).pipe(
            HttpClientRequest.setHeaders(combined(request.headers.entries)),
          )
          if (Result.isSuccess(encoded)) {
            const e = Result.success(encoded)
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
