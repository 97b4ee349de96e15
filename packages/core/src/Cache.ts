/**
 * An HTTP cache (RFC 9111) for a Client: `Client.withCache` (or `Client.Options.cache`) keeps responses to
 * GET requests in a `Store` and answers from it while they are fresh, validates them with the origin when they
 * are stale, and says on each response what it did, in an RFC 9211 `Cache-Status` field that `status` reads.
 *
 * The cache is private by default: it stores responses marked `private` and responses to requests with
 * credentials, and answers a request only from responses fetched with the same `Authorization` and `Cookie`
 * values, so a client that acts for many users never hands one user's response to another. A response that
 * sets a cookie is never stored with it. `shared: true` makes it follow the rules of a shared cache instead
 * (`s-maxage`, `proxy-revalidate`, no `private` responses, no responses to requests with `Authorization`
 * unless the response allows it).
 *
 * @since 0.5.0
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Headers from "./Headers.js"
import type * as Response from "./Response.js"

/**
 * One stored response: its head, its whole body, when it was fetched, and the request fields it was chosen by
 * (`Vary`). Plain data, so a store may keep it anywhere (the body as bytes).
 *
 * @since 0.5.0
 * @category models
 */
export interface Entry {
  readonly status: number
  readonly reason: string
  readonly version: Response.Version
  /** The header fields as received, less the hop-by-hop ones (RFC 9111 §3.1). */
  readonly headers: ReadonlyArray<readonly [string, string]>
  readonly body: Uint8Array
  /** When the request that fetched or last validated it was sent, in milliseconds of the Clock. */
  readonly requestTime: number
  /** When its response arrived, in milliseconds of the Clock. */
  readonly responseTime: number
  /**
   * The fields its `Vary` names, lower-cased and sorted, with the request's values normalized (RFC 9111 §4.1),
   * `null` for a field the request did not send.
   */
  readonly vary: ReadonlyArray<readonly [string, string | null]>
  /**
   * In a private cache, a digest of the `Authorization` and `Cookie` values of the request that fetched it
   * (never the values): it answers only requests that carry the same, so one caller's stored responses never
   * reach another's. `null` when that request carried neither, and always in a shared cache.
   */
  readonly credentials: string | null
}

/**
 * Where a cache keeps its entries: every variant of a URL under one key (the URL without user info or
 * fragment). The cache reads, replaces and deletes a key's list whole. A store that fails is treated as an
 * empty one: the request goes to the origin, and nothing is lost but the cache's help.
 *
 * @since 0.5.0
 * @category models
 */
export interface Store {
  readonly get: (key: string) => Effect.Effect<ReadonlyArray<Entry>, unknown>
  readonly set: (key: string, entries: ReadonlyArray<Entry>) => Effect.Effect<void, unknown>
  readonly delete: (key: string) => Effect.Effect<void, unknown>
}

/**
 * Bounds of the in-memory store.
 *
 * @since 0.5.0
 * @category models
 */
export interface MemoryOptions {
  /**
   * The most entries (variants) kept; the least recently used key goes first.
   * @default 1024
   */
  readonly maxEntries?: number
  /**
   * The most bytes kept, bodies and fields counted; the least recently used key goes first.
   * @default 100 MiB
   */
  readonly maxBytes?: number
}

/** Bytes an entry holds, roughly: its body, its fields, and a little for the record. */
const sizeOf = (entry: Entry): number => {
  let n = entry.body.length + 64
  for (const [name, value] of entry.headers) n += name.length + value.length
  for (const [name, value] of entry.vary) n += name.length + (value?.length ?? 0)
  return n
}

/**
 * An in-memory store bounded by entries and bytes, least recently used first out.
 *
 * @since 0.5.0
 * @category constructors
 */
export const memory = (options: MemoryOptions = {}): Store => {
  const maxEntries = options.maxEntries ?? 1024
  const maxBytes = options.maxBytes ?? 100 * 1024 * 1024
  // A Map keeps insertion order: a key read or written moves to the end, and eviction takes from the front.
  const keys = new Map<string, { readonly entries: ReadonlyArray<Entry>; readonly bytes: number }>()
  let count = 0
  let bytes = 0
  const remove = (key: string) => {
    const held = keys.get(key)
    if (held === undefined) return
    keys.delete(key)
    count -= held.entries.length
    bytes -= held.bytes
  }
  return {
    get: (key) =>
      Effect.sync(() => {
        const held = keys.get(key)
        if (held === undefined) return []
        keys.delete(key)
        keys.set(key, held)
        return held.entries
      }),
    set: (key, entries) =>
      Effect.sync(() => {
        remove(key)
        const size = entries.reduce((n, e) => n + sizeOf(e), 0)
        if (entries.length === 0 || entries.length > maxEntries || size > maxBytes) return
        keys.set(key, { entries, bytes: size })
        count += entries.length
        bytes += size
        for (const oldest of keys.keys()) {
          if (count <= maxEntries && bytes <= maxBytes) break
          remove(oldest)
        }
      }),
    delete: (key) => Effect.sync(() => remove(key)),
  }
}

/**
 * Options of `Client.withCache`.
 *
 * @since 0.5.0
 * @category models
 */
export interface Options {
  /**
   * Where entries are kept.
   * @default a `memory()` store of the client's own
   */
  readonly store?: Store
  /**
   * Follow a shared cache's rules (RFC 9111 §3.5, §5.2.2.7, §5.2.2.10) rather than a private cache's.
   * @default false
   */
  readonly shared?: boolean
  /**
   * The largest body stored; a larger response is passed on and not kept.
   * @default 5 MiB
   */
  readonly maxEntryBytes?: number
}

/**
 * What the cache did for a response: answered from a fresh entry (`hit`), answered from a stale one while it
 * revalidates or because the origin failed (`stale`), had the origin confirm a stored one (`revalidated`), or
 * passed the request on (`miss`).
 *
 * @since 0.5.0
 * @category models
 */
export type Status = "hit" | "stale" | "revalidated" | "miss"

/**
 * The name Courier's cache gives itself in `Cache-Status` (RFC 9211).
 *
 * @since 0.5.0
 * @category constants
 */
export const CACHE_NAME = "Courier"

/**
 * What Courier's cache did for `response`, read from the last `Cache-Status` member it added; `undefined` when
 * no cache of Courier's saw the response.
 *
 * @since 0.5.0
 * @category getters
 */
export const status = (response: Response.Response): Status | undefined => {
  const field = Option.getOrUndefined(Headers.get(response.headers, "cache-status"))
  if (field === undefined) return undefined
  const ours = field
    .split(",")
    .map((member) => member.split(";").map((part) => part.trim()))
    .filter((parts) => parts[0] === CACHE_NAME)
  const params = ours[ours.length - 1]
  if (params === undefined) return undefined
  if (params.includes("hit")) return params.some((p) => p.startsWith("detail=stale")) ? "stale" : "hit"
  return params.includes("fwd-status=304") && params.includes("fwd=stale") ? "revalidated" : "miss"
}
