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
import "./internal/shared/effect-major.js"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Client from "./Client.js"
import type { HttpError } from "./HttpError.js"
import { builderOf, fromLibraryError, sendOver, transportOver } from "./internal/client/platform-bridge.js"
import * as Request from "./Request.js"
import { Transport } from "./Transport.js"

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
          sendOver(courier, request, url.href, signal).pipe(
            Effect.mapError((cause) =>
              typeof cause === "string"
                ? new HttpClientError.RequestError({ request, reason: "Encode", description: cause })
                : new HttpClientError.RequestError({
                    request,
                    reason: requestReason(cause),
                    cause,
                    description: cause.message,
                  }),
            ),
            Effect.map((web) => HttpClientResponse.fromWeb(request, web)),
          ),
        ),
    ),
  )

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
    Effect.map(HttpClient.HttpClient, (client) =>
      transportOver(
        builderOf(HttpClientRequest),
        client.execute,
        (e, request, url) =>
          fromLibraryError(e.cause, e.message, e._tag === "RequestError", Request.info(request), url.origin),
        options.decodes !== false,
      ),
    ),
  )
