/**
 * The parts of RFC 9110's semantics that Courier's rules rest on, each written once: which methods are
 * idempotent (§9.2.2), which send no body by default and which are expected to send one, and which statuses
 * say "try again".
 * @internal
 */

/** Idempotent methods (RFC 9110 §9.2.2): safe to send again after a failure. */
export const IDEMPOTENT_METHODS: ReadonlySet<string> = new Set(["GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"])

/** Methods whose requests have no body by default, so an empty one needs no `Content-Length: 0`. */
export const BODYLESS_METHODS: ReadonlySet<string> = new Set(["GET", "HEAD", "OPTIONS", "TRACE", "DELETE", "CONNECT"])

/**
 * Methods whose requests are expected to carry a body, so that httplib's `request` sends
 * `Content-Length: 0` when none is given (its `_METHODS_EXPECTING_BODY`).
 */
export const METHODS_EXPECTING_BODY: ReadonlySet<string> = new Set(["PATCH", "POST", "PUT"])

/** Statuses that say "try again": 408, 429, 500, 502, 503, 504. */
export const TRANSIENT_STATUSES: ReadonlyArray<number> = [408, 429, 500, 502, 503, 504]

/** Safe methods (RFC 9110 §9.2.1): a response to any other method invalidates what a cache holds (RFC 9111 §4.4). */
export const SAFE_METHODS: ReadonlySet<string> = new Set(["GET", "HEAD", "OPTIONS", "TRACE"])

/**
 * Statuses a cache may store and give a heuristic freshness without explicit expiration (RFC 9110 §15.1,
 * "heuristically cacheable"); 206 is left out, as Courier's cache stores whole responses only.
 */
export const HEURISTICALLY_CACHEABLE: ReadonlySet<number> = new Set([
  200, 203, 204, 300, 301, 308, 404, 405, 410, 414, 501,
])
