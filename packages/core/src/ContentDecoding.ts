/**
 * Decoding of compressed response bodies (`Content-Encoding`), as a service the platform provides.
 *
 * The Client sends `Accept-Encoding` with the codings the service supports (unless the request sets its
 * own or `decompress` is off) and decodes the body as it streams, coding by coding in reverse order of
 * application. At most `MAX_CODINGS` codings are accepted, and the decoded size is checked chunk by chunk
 * against a limit, so a small compressed body cannot exhaust memory. `NodeTransport.client` provides
 * gzip, deflate and br through node:zlib, and zstd where node:zlib has it (Node ≥ 22.15).
 *
 * @since 0.1.0
 */
import type * as Stream from "effect/Stream"
import type { HttpError, RequestInfo } from "./HttpError.js"
import * as Edition from "./internal/shared/edition-effect.js"

/**
 * The most codings one response may apply (as undici: more is refused).
 *
 * @since 0.1.0
 * @category constants
 */
export const MAX_CODINGS = 5

/**
 * The default limit on a decoded body: 1 GiB.
 *
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_MAX_DECODED_BYTES = 1024 * 1024 * 1024

/**
 * What the service does.
 *
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /** The codings it decodes, in order of preference, for `Accept-Encoding`. */
  readonly codings: ReadonlyArray<string>
  /** Decodes one coding; undefined when the coding is not supported. */
  readonly decode: (
    coding: string,
    body: Stream.Stream<Uint8Array, HttpError>,
    request: RequestInfo,
  ) => Stream.Stream<Uint8Array, HttpError> | undefined
}

/**
 * The ContentDecoding service.
 *
 * @since 0.1.0
 * @category tags
 */
export class ContentDecoding extends Edition.Service<ContentDecoding, Service>()("@courier/core/ContentDecoding") {}
