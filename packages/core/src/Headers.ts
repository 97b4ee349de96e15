/**
 * Immutable, case-insensitive, order-preserving HTTP header multimap.
 *
 * Names keep the spelling they were given (the wire and `getheaders()` show them as sent or received), and
 * lookups ignore case. Duplicates are kept in arrival order — `Set-Cookie` needs that — and `get` joins them
 * with `, ` as fetch and requests do. Every operation returns a new value.
 *
 * @since 0.1.0
 */
import * as Equal from "effect/Equal"
import { dual } from "effect/Function"
import * as Hash from "effect/Hash"
import { type Inspectable, NodeInspectSymbol } from "effect/Inspectable"
import * as Option from "effect/Option"
import { type Pipeable, pipeArguments } from "effect/Pipeable"
import * as grammar from "./internal/http1/grammar.js"
import { cachedHash } from "./internal/shared/edition.js"
import { isIterable } from "./internal/shared/guards.js"

/**
 * The unique symbol that marks a Headers value.
 *
 * @since 0.1.0
 * @category type ids
 */
export const TypeId: unique symbol = Symbol.for("@courier/core/Headers")

/**
 * The type of the symbol that marks a Headers value.
 *
 * @since 0.1.0
 * @category type ids
 */
export type TypeId = typeof TypeId

/**
 * The header multimap.
 *
 * @since 0.1.0
 * @category models
 */
export interface Headers extends Pipeable, Equal.Equal, Inspectable {
  readonly [TypeId]: TypeId
  /** The pairs, in order, names as given. */
  readonly entries: ReadonlyArray<readonly [string, string]>
}

/**
 * What the constructors accept: a Headers value, a record (array values repeat the name), or pairs.
 *
 * @since 0.1.0
 * @category models
 */
export type Input =
  | Headers
  | Readonly<Record<string, string | number | ReadonlyArray<string>>>
  | Iterable<readonly [string, string]>

const sensitive = /^(authorization|proxy-authorization|cookie|set-cookie)$|token|secret|password|api-?key/i

/**
 * Whether a header's value is hidden by `toJSON`, `toString` and logs: credentials, cookies, and names
 * that contain `token`, `secret`, `password` or `api-key`.
 *
 * @since 0.1.0
 * @category predicates
 */
export const isSensitive = (name: string): boolean => sensitive.test(name)

const Proto = {
  [TypeId]: TypeId,
  pipe(this: Headers) {
    // biome-ignore lint/complexity/noArguments: pipeArguments is Effect's documented way to implement Pipeable
    return pipeArguments(this, arguments)
  },
  [Equal.symbol](this: Headers, that: unknown): boolean {
    if (!isHeaders(that) || that.entries.length !== this.entries.length) return false
    return this.entries.every((a, i) => {
      const b = that.entries[i]
      return b !== undefined && a[0].toLowerCase() === b[0].toLowerCase() && a[1] === b[1]
    })
  },
  [Hash.symbol](this: Headers): number {
    let h = Hash.hash("Headers")
    for (const [k, v] of this.entries) h = Hash.combine(Hash.combine(h)(Hash.string(k.toLowerCase())))(Hash.string(v))
    return cachedHash(this, h)
  },
  toJSON(this: Headers) {
    return this.entries.map(([k, v]) => [k, isSensitive(k) ? "<redacted>" : v])
  },
  toString(this: Headers) {
    return JSON.stringify(this.toJSON(), null, 2)
  },
  [NodeInspectSymbol](this: Headers) {
    return this.toJSON()
  },
}

const make = (entries: ReadonlyArray<readonly [string, string]>): Headers => {
  const self = Object.create(Proto)
  self.entries = entries
  return self
}

/**
 * Whether a value is a Headers.
 *
 * @since 0.1.0
 * @category refinements
 */
export const isHeaders = (u: unknown): u is Headers => typeof u === "object" && u !== null && TypeId in u

/**
 * No headers.
 *
 * @since 0.1.0
 * @category constructors
 */
export const empty: Headers = make([])

/**
 * Builds Headers from a record, pairs or another Headers.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromInput = (input: Input | undefined): Headers => {
  if (input === undefined) return empty
  if (isHeaders(input)) return input
  const out: Array<readonly [string, string]> = []
  if (isIterable(input)) {
    for (const [k, v] of input) out.push([k, v])
  } else {
    for (const [k, v] of Object.entries(input)) {
      if (Array.isArray(v)) for (const x of v) out.push([k, x])
      else out.push([k, String(v)])
    }
  }
  return make(out)
}

/**
 * Builds Headers from pairs without copying them; the caller gives up the array.
 *
 * @since 0.1.0
 * @category constructors
 */
export const unsafeFromPairs = (pairs: ReadonlyArray<readonly [string, string]>): Headers => make(pairs)

const same = (a: string, lower: string): boolean => a.length === lower.length && a.toLowerCase() === lower

/**
 * Every value of a header, in order.
 *
 * @since 0.1.0
 * @category getters
 */
export const getAll: {
  (name: string): (self: Headers) => ReadonlyArray<string>
  (self: Headers, name: string): ReadonlyArray<string>
} = dual(2, (self: Headers, name: string): ReadonlyArray<string> => {
  const lower = name.toLowerCase()
  const out: Array<string> = []
  for (const [k, v] of self.entries) if (same(k, lower)) out.push(v)
  return out
})

/**
 * A header's value; several values are joined with `, ` (as fetch and requests do).
 *
 * @since 0.1.0
 * @category getters
 */
export const get: {
  (name: string): (self: Headers) => Option.Option<string>
  (self: Headers, name: string): Option.Option<string>
} = dual(2, (self: Headers, name: string): Option.Option<string> => {
  const lower = name.toLowerCase()
  let found: string | undefined
  for (const [k, v] of self.entries) {
    if (same(k, lower)) found = found === undefined ? v : `${found}, ${v}`
  }
  return found === undefined ? Option.none() : Option.some(found)
})

/**
 * Whether a header is present.
 *
 * @since 0.1.0
 * @category predicates
 */
export const has: {
  (name: string): (self: Headers) => boolean
  (self: Headers, name: string): boolean
} = dual(2, (self: Headers, name: string): boolean => {
  const lower = name.toLowerCase()
  return self.entries.some(([k]) => same(k, lower))
})

/**
 * Removes every value of a header.
 *
 * @since 0.1.0
 * @category combinators
 */
export const remove: {
  (name: string): (self: Headers) => Headers
  (self: Headers, name: string): Headers
} = dual(2, (self: Headers, name: string): Headers => {
  const lower = name.toLowerCase()
  return has(self, name) ? make(self.entries.filter(([k]) => !same(k, lower))) : self
})

/**
 * Replaces every value of a header with one value, keeping the position of the first.
 *
 * @since 0.1.0
 * @category combinators
 */
export const set: {
  (name: string, value: string): (self: Headers) => Headers
  (self: Headers, name: string, value: string): Headers
} = dual(3, (self: Headers, name: string, value: string): Headers => {
  const lower = name.toLowerCase()
  const out: Array<readonly [string, string]> = []
  let placed = false
  for (const entry of self.entries) {
    if (!same(entry[0], lower)) out.push(entry)
    else if (!placed) {
      out.push([name, value])
      placed = true
    }
  }
  if (!placed) out.push([name, value])
  return make(out)
})

/**
 * Adds a value after any the header already has.
 *
 * @since 0.1.0
 * @category combinators
 */
export const append: {
  (name: string, value: string): (self: Headers) => Headers
  (self: Headers, name: string, value: string): Headers
} = dual(3, (self: Headers, name: string, value: string): Headers => make([...self.entries, [name, value]]))

/**
 * Overlays `that` on `self`: every name in `that` replaces all of its values in `self`.
 *
 * @since 0.1.0
 * @category combinators
 */
export const merge: {
  (that: Input): (self: Headers) => Headers
  (self: Headers, that: Input): Headers
} = dual(2, (self: Headers, that: Input): Headers => {
  const other = fromInput(that)
  if (other.entries.length === 0) return self
  if (self.entries.length === 0) return other
  const replaced = new Set(other.entries.map(([k]) => k.toLowerCase()))
  return make([...self.entries.filter(([k]) => !replaced.has(k.toLowerCase())), ...other.entries])
})

/**
 * A plain record, names lower-cased, duplicate values joined with `, `.
 *
 * @since 0.1.0
 * @category conversions
 */
export const toRecord = (self: Headers): Record<string, string> => {
  const out: Record<string, string> = {}
  for (const [k, v] of self.entries) {
    const lower = k.toLowerCase()
    const prior = out[lower]
    out[lower] = prior === undefined ? v : `${prior}, ${v}`
  }
  return out
}

/**
 * Whether a string is an RFC 9110 token (a valid header name or method).
 *
 * @since 0.1.0
 * @category predicates
 */
export const isToken = (s: string): boolean => grammar.isToken(s)

/**
 * Why a header value cannot be sent, or undefined when it can: RFC 9110 §5.5 allows visible characters,
 * SP, HTAB and obs-text (0x80–0xFF); CR, LF and NUL would let a caller smuggle framing.
 *
 * @since 0.1.0
 * @category predicates
 */
export const invalidValueReason = (value: string): string | undefined => grammar.unsendableValueReason(value)
