/**
 * Interop with `effect/http`'s HttpClient, both ways (the Effect 4 edition's counterpart of the Effect 3
 * edition's @effect/platform interop, under the same names).
 *
 * `Platform.httpClient()` provides `HttpClient.HttpClient` over a Courier Transport: code written against
 * `effect/http` (request builders, `bodyJson`, `bodyStream`, `filterStatusOk`, `retryTransient`,
 * `followRedirects`, `schemaBodyJson`, streamed responses, and `HttpApiClient` on top of them) runs unchanged
 * over Courier's node transport, its pool, HTTP/2 and limits, and a Courier error is kept as the `cause` of
 * the HttpClientError's reason. As with the Effect 3 interop, redirects come back as they come (effect/http's
 * `followRedirects` follows them) unless `{ redirects: n }` asks Courier to, bodies are decoded, and spans
 * and `traceparent` are effect/http's.
 *
 * `Platform.transport` goes the other way: any `effect/http` HttpClient (FetchHttpClient, say) becomes a
 * Courier Transport, its failures mapped onto Courier's typed errors as far as fetch tells what happened.
 *
 * @since 1.1.0
 */
import "./internal/shared/effect-major.js"
import * as Effect from "effect/Effect"
import * as HttpClient from "effect/http/HttpClient"
import * as HttpClientError from "effect/http/HttpClientError"
import * as HttpClientRequest from "effect/http/HttpClientRequest"
import * as HttpClientResponse from "effect/http/HttpClientResponse"
import * as Layer from "effect/Layer"
import * as Client from "./Client.js"
import type { HttpError } from "./HttpError.js"
import { builderOf, fromLibraryError, sendOver, transportOver } from "./internal/client/platform-bridge.js"
import * as Request from "./Request.js"
import { Transport } from "./Transport.js"

/** A Courier error as the reason of an HttpClientError, by what failed. */
const reasonOf = (request: HttpClientRequest.HttpClientRequest, e: HttpError): HttpClientError.RequestError => {
  const props = { request, cause: e, description: e.message }
  return e._tag === "InvalidURL" || e._tag === "UnknownProtocol"
    ? new HttpClientError.InvalidUrlError(props)
    : e._tag === "EncodeError" || e._tag === "InvalidHeader"
      ? new HttpClientError.EncodeError(props)
      : new HttpClientError.TransportError(props)
}

/**
 * `effect/http`'s HttpClient over the Courier Transport in context; `options` are those of the Courier
 * Client underneath (redirects returned as they come, no User-Agent added).
 *
 * @example
 * ```ts
 * import { HttpClient } from "effect/http"
 * const layer = Platform.httpClient().pipe(Layer.provide(NodeTransport.layer()), Layer.provide(NodeTransport.platform))
 * ```
 *
 * @since 1.1.0
 * @category layers
 */
export const httpClient = (options: Client.Options = {}): Layer.Layer<HttpClient.HttpClient, never, Transport> =>
  Layer.effect(
    HttpClient.HttpClient,
    // effect/http's HttpClient makes the request's client span and sends its traceparent: Courier adds neither.
    Effect.map(
      Client.make({ userAgent: false, redirects: false, tracing: false, propagateTraceContext: false, ...options }),
      (courier) =>
        HttpClient.make((request, url, signal) =>
          sendOver(courier, request, url.href, signal).pipe(
            Effect.mapError(
              (cause) =>
                new HttpClientError.HttpClientError({
                  reason:
                    typeof cause === "string"
                      ? new HttpClientError.EncodeError({ request, description: cause })
                      : reasonOf(request, cause),
                }),
            ),
            Effect.map((web) => HttpClientResponse.fromWeb(request, web)),
          ),
        ),
    ),
  )

/**
 * A Courier Transport over the `effect/http` HttpClient in context (FetchHttpClient, say). Deadlines for
 * the head and body phases are not available there; the total deadline, applied by the Client, is. fetch
 * decodes compressed bodies itself but keeps `Content-Encoding`; with `decodes` (the default) that header
 * is dropped so that the body is not decoded twice — pass `false` for a client that does not decode.
 *
 * @since 1.1.0
 * @category layers
 */
export const transport = (
  options: { readonly decodes?: boolean } = {},
): Layer.Layer<Transport, never, HttpClient.HttpClient> =>
  Layer.effect(
    Transport,
    Effect.map(Effect.service(HttpClient.HttpClient), (client) =>
      transportOver(
        builderOf(HttpClientRequest),
        client.execute,
        (e, request, url) =>
          fromLibraryError(
            e.reason.cause,
            e.message,
            e.reason._tag === "TransportError" || e.reason._tag === "InvalidUrlError",
            Request.info(request),
            url.origin,
          ),
        options.decodes !== false,
      ),
    ),
  )
