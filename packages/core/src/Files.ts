/**
 * Access to local files for request bodies (`Body.file`, file parts of `Body.multipart`).
 *
 * Core does no I/O of its own; the platform provides this service — `NodeTransport.client` includes the
 * node:fs one. Files are streamed, never read whole, and their size gives the Content-Length.
 *
 * @since 0.1.0
 */
import type * as Effect from "effect/Effect"
import type * as Stream from "effect/Stream"
import * as Edition from "./internal/shared/edition-effect.js"

/**
 * An opened file: its size, and its bytes as a stream that reads it from the start.
 *
 * @since 0.1.0
 * @category models
 */
export interface OpenedFile {
  readonly size: number
  readonly stream: Stream.Stream<Uint8Array, string>
}

/**
 * What the service does; failures are the reason, in words (it becomes an `EncodeError`).
 *
 * @since 0.1.0
 * @category models
 */
export interface Service {
  readonly open: (path: string) => Effect.Effect<OpenedFile, string>
}

/**
 * The Files service.
 *
 * @since 0.1.0
 * @category tags
 */
export class Files extends Edition.Service<Files, Service>()("@courier/core/Files") {}
