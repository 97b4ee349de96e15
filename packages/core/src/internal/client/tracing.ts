/**
 * Spans and the request-duration histogram, as OpenTelemetry's HTTP semantic conventions (1.26) say: each
 * physical request — every attempt and redirect hop — is a CLIENT span named `{method}`, with
 * `http.request.resend_count` on the resends (retries and redirects counted together), inside one INTERNAL
 * span for the call as the caller sees it; each physical request's duration goes to the
 * `http.client.request.duration` histogram, in seconds. URLs carry no user info and no header values are
 * recorded, so credentials stay out. The CLIENT span's context goes to the server in a W3C `traceparent`
 * header when propagation is on.
 * @internal
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Metric from "effect/Metric"
import * as Option from "effect/Option"
import type * as Tracer from "effect/Tracer"

/**
 * Effect's built-in tracer, as the default runtime has it. Spans made under it go nowhere, yet cost time
 * (docs/ARCHITECTURE.md, "Measured choices"): with tracing on "auto", Courier makes spans only when another
 * tracer (an OpenTelemetry exporter, say) is installed.
 */
const builtInTracer = Effect.runSync(Effect.tracer)

/**
 * Whether a tracer other than the built-in one is installed. Spans are built only then: building one
 * captures a stack trace, which is not free either.
 */
export const isTracing = (tracer: Tracer.Tracer): boolean => tracer !== builtInTracer

import * as Request from "../../Request.js"
import type * as Response from "../../Response.js"
import type * as Url from "../../Url.js"
import { failureOf, histogram, tagged } from "../shared/edition-effect.js"
import { redactUrl } from "../shared/request.js"
import type { Call } from "./call.js"

const attributes = (request: Request.Request, url: Url.Url, secrets: ReadonlyArray<string>) => ({
  "http.request.method": request.method,
  "url.full": redactUrl(url.href, secrets),
  "url.scheme": url.origin.scheme,
  "server.address": url.origin.host,
  "server.port": url.origin.port,
})

/** The CLIENT span says where the connection went: `network.peer.address` and `network.peer.port`. */
const withPeer = <E, R>(effect: Effect.Effect<Response.Response, E, R>) =>
  Effect.tap(effect, (response) => {
    const peer = response.connection?.peer
    if (peer === undefined) return Effect.void
    return Effect.annotateCurrentSpan(
      peer.port === undefined
        ? { "network.peer.address": peer.address }
        : { "network.peer.address": peer.address, "network.peer.port": peer.port },
    )
  })

/** The `_tag` of a tagged error, or "error" (a middleware's own failure may be anything). */
const errorType = (error: unknown): string =>
  typeof error === "object" && error !== null && "_tag" in error && typeof error._tag === "string"
    ? error._tag
    : "error"

const finished = <E, R>(effect: Effect.Effect<Response.Response, E, R>) =>
  effect.pipe(
    Effect.tap((response) =>
      Effect.annotateCurrentSpan({
        "http.response.status_code": response.status,
        "network.protocol.version": response.version.slice("HTTP/".length),
      }),
    ),
    Effect.tapError((error) => Effect.annotateCurrentSpan("error.type", errorType(error))),
  )

/**
 * The duration of each physical HTTP request, in seconds: OpenTelemetry's `http.client.request.duration`,
 * with its recommended bucket boundaries and attributes.
 */
export const requestDuration = histogram(
  "http.client.request.duration",
  [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10],
  "Duration of HTTP client requests, in seconds",
)

/** Records one physical request's duration, tagged as the conventions say. */
const measured = <E, R>(
  request: Request.Request,
  url: Url.Url,
  effect: Effect.Effect<Response.Response, E, R>,
): Effect.Effect<Response.Response, E, R> =>
  Effect.flatMap(Effect.timed(Effect.exit(effect)), ([elapsed, exit]) => {
    const tags = {
      "http.request.method": request.method,
      "server.address": url.origin.host,
      "server.port": String(url.origin.port),
      "url.scheme": url.origin.scheme,
      ...(exit._tag === "Success"
        ? {
            "http.response.status_code": String(exit.value.status),
            "network.protocol.version": exit.value.version.slice("HTTP/".length),
          }
        : {
            "error.type": failureOf(exit.cause).pipe(
              Option.map(errorType),
              Option.getOrElse(() => "interrupted"),
            ),
          }),
    }
    return Effect.andThen(Metric.update(tagged(requestDuration, tags), Duration.toSeconds(elapsed)), exit)
  })

/** The span of the call as the caller sees it (INTERNAL): every physical request runs inside it. */
export const requestSpan = <E, R>(
  request: Request.Request,
  url: Url.Url,
  secrets: ReadonlyArray<string>,
  effect: Effect.Effect<Response.Response, E, R>,
): Effect.Effect<Response.Response, E, R> =>
  Effect.withSpan(finished(effect), request.method, {
    kind: "internal",
    attributes: attributes(request, url, secrets),
  })

/** The W3C trace-context value for a span (https://www.w3.org/TR/trace-context/). */
const traceparent = (span: Tracer.Span): string => `00-${span.traceId}-${span.spanId}-${span.sampled ? "01" : "00"}`

/**
 * The CLIENT span of one physical request of `call`: the requests that went before it in the same call
 * (retries and redirects alike) are its `http.request.resend_count` when above 0; with the call's
 * `propagate`, its context goes out in `traceparent`.
 */
export const attemptSpan = <E, R>(
  request: Request.Request,
  url: Url.Url,
  call: Pick<Call<unknown>, "attempts" | "hop" | "propagate" | "secrets">,
  send: (request: Request.Request) => Effect.Effect<Response.Response, E, R>,
): Effect.Effect<Response.Response, E, R> => {
  const resent = call.attempts++
  const { hop, propagate } = call
  return Effect.withSpan(
    finished(
      withPeer(
        measured(
          request,
          url,
          propagate
            ? Effect.flatMap(Effect.option(Effect.currentSpan), (span) =>
                send(
                  Option.isSome(span) ? Request.setHeader(request, "traceparent", traceparent(span.value)) : request,
                ),
              )
            : send(request),
        ),
      ),
    ),
    request.method,
    {
      kind: "client",
      attributes: {
        ...attributes(request, url, call.secrets),
        ...(resent > 0 ? { "http.request.resend_count": resent } : {}),
        "courier.redirect.hop": hop,
      },
      captureStackTrace: false,
    },
  )
}
