/**
 * What the HTTP/1.1 response decoder produces and how it is bounded: the types shared by the decoder, the
 * field parser and the engine that consumes the events.
 * @internal
 */

/** Limits on what the decoder will buffer; see `Http1.defaultLimits` for the defaults and their precedent. */
export interface Limits {
  readonly maxHeadBytes: number
  readonly maxLineBytes: number
  readonly maxHeaderCount: number
  readonly maxChunkLineBytes: number
  readonly maxChunkExtensionBytes: number
  /** The most informational (1xx) responses before the final one. */
  readonly maxInformational: number
}

/** Why decoding stopped; the transport turns these into `HttpError` values. */
export type Failure =
  | { readonly _tag: "BadStatusLine"; readonly line: string }
  | { readonly _tag: "HeaderOverflow"; readonly limit: string; readonly max: number }
  | { readonly _tag: "ProtocolError"; readonly reason: string; readonly offset: number }
  | { readonly _tag: "UnknownTransferEncoding"; readonly encoding: string }
  | { readonly _tag: "IncompleteRead"; readonly received: number; readonly expected: number | undefined }

export type Pairs = Array<readonly [string, string]>

export interface Head {
  readonly _tag: "Head"
  readonly version: 10 | 11
  readonly status: number
  readonly reason: string
  readonly headers: Pairs
  /** Whether the connection may carry another request once this response has ended. */
  readonly keepAlive: boolean
  /**
   * The announced body length: of the body when it is Content-Length framed; for a bodiless response (to
   * HEAD, a 204 or 304), the Content-Length it announces, or 0 without one.
   */
  readonly contentLength: number | undefined
  /** The server's `Keep-Alive: timeout=N` hint, in seconds, if it sent one. */
  readonly keepAliveTimeout: number | undefined
}

export type Event =
  | Head
  | { readonly _tag: "Informational"; readonly status: number; readonly reason: string; readonly headers: Pairs }
  | { readonly _tag: "Data"; readonly chunk: Uint8Array }
  | { readonly _tag: "End"; readonly trailers: Pairs }
  | { readonly _tag: "NeedData" }
  | { readonly _tag: "Error"; readonly failure: Failure }

/** The two field sections of a response: its head (status line, then fields) and its trailers. */
export type SectionKind = "head" | "trailer"
