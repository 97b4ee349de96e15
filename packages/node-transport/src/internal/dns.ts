/**
 * Name resolution for the node Connector, under the caller's control: curl's `--resolve` entries for a
 * host and port, the caller's own `lookup` (`dns.lookup`'s signature: `cacheable-lookup`, a table), or a
 * cache of the system resolver's answers kept for their TTL; `family` picks IPv4 or IPv6 from any of them.
 * Each is a `lookup` function for node:net, which happy eyeballs (`autoSelectFamily`) calls for every address.
 * @internal
 */
import * as dns from "node:dns"
import * as net from "node:net"

export type Lookup = net.LookupFunction

/** One answer: an address and its family. */
interface Answer {
  readonly address: string
  readonly family: 4 | 6
}

const familyOf = (address: string): 4 | 6 => (net.isIPv6(address) ? 6 : 4)

/**
 * Calls back as node:net's `lookup` expects: all the addresses when asked for all (happy eyeballs asks),
 * else the first; an error with `ENOTFOUND` when none is left after the family filter.
 */
const answer = (
  hostname: string,
  options: dns.LookupOptions,
  all: ReadonlyArray<Answer>,
  callback: (err: NodeJS.ErrnoException | null, address: string | Array<dns.LookupAddress>, family?: number) => void,
): void => {
  const wanted = options.family === 4 || options.family === 6 ? all.filter((a) => a.family === options.family) : all
  const first = wanted[0]
  if (first === undefined) {
    const error: NodeJS.ErrnoException = new Error(
      `no ${options.family === 6 ? "IPv6" : options.family === 4 ? "IPv4" : ""} address for ${hostname}`,
    )
    error.code = "ENOTFOUND"
    callback(error, options.all === true ? [] : "", undefined)
  } else if (options.all === true)
    callback(
      null,
      wanted.map((a) => ({ address: a.address, family: a.family })),
    )
  else callback(null, first.address, first.family)
}

/**
 * curl's `--resolve` entries, `HOST:PORT:ADDRESS[,ADDRESS…]` (an IPv6 address in brackets), as a table by
 * `host:port`; an entry that is not of that form is the reason returned.
 */
export const resolveTable = (entries: ReadonlyArray<string>): Map<string, ReadonlyArray<Answer>> | string => {
  const table = new Map<string, ReadonlyArray<Answer>>()
  for (const entry of entries) {
    const m = /^(\[[^\]]+\]|[^:]+):(\d{1,5}):(.+)$/.exec(entry.trim())
    const addresses = (m?.[3] ?? "").split(",").map((a) => a.trim().replace(/^\[|\]$/g, ""))
    if (m === null || addresses.some((a) => net.isIP(a) === 0)) {
      return `resolve entry ${JSON.stringify(entry)} is not HOST:PORT:ADDRESS[,ADDRESS…]`
    }
    const host = (m[1] ?? "").replace(/^\[|\]$/g, "").toLowerCase()
    table.set(
      `${host}:${Number(m[2])}`,
      addresses.map((address) => ({ address, family: familyOf(address) })),
    )
  }
  return table
}

/** A lookup that answers with fixed addresses, whatever the name. */
export const fixed =
  (addresses: ReadonlyArray<Answer>): Lookup =>
  (hostname, options, callback) =>
    answer(hostname, options, addresses, callback)

/**
 * `lookup` held to `family`, whatever it answers: asked for every address, then filtered, so a lookup of
 * the caller's own that ignores the family hint still connects over the family asked for.
 */
export const withFamily =
  (lookup: Lookup, family: 4 | 6): Lookup =>
  (hostname, options, callback) =>
    lookup(hostname, { ...options, all: true, family }, (err, addresses) => {
      if (err !== null) return void callback(err, options.all === true ? [] : "", undefined)
      const all = (Array.isArray(addresses) ? addresses : [{ address: addresses, family: familyOf(addresses) }]).map(
        (a) => ({ address: a.address, family: familyOf(a.address) }),
      )
      answer(hostname, { ...options, family }, all, callback)
    })

/** How the cache asks the system resolver: addresses with their TTL in seconds, per family. */
export interface Resolver {
  readonly resolve4: (hostname: string) => Promise<ReadonlyArray<{ address: string; ttl: number }>>
  readonly resolve6: (hostname: string) => Promise<ReadonlyArray<{ address: string; ttl: number }>>
  readonly lookup: (hostname: string) => Promise<ReadonlyArray<Answer>>
}

/** The system resolver: DNS queries for their TTLs, and getaddrinfo (the hosts file, mDNS) when DNS has no answer. */
export const systemResolver = (): Resolver => {
  const resolver = new dns.promises.Resolver({ timeout: 2000, tries: 2 })
  return {
    resolve4: (hostname) => resolver.resolve4(hostname, { ttl: true }),
    resolve6: (hostname) => resolver.resolve6(hostname, { ttl: true }),
    lookup: (hostname) =>
      dns.promises
        .lookup(hostname, { all: true })
        .then((all) => all.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }) as const)),
  }
}

/** Options of the cache. */
export interface CacheOptions {
  /** The most names kept; the least recently used is dropped past it. */
  readonly maxEntries: number
  /** The longest an answer is kept, whatever its TTL says. */
  readonly maxTtlMillis: number
  /** How long an answer from getaddrinfo (which carries no TTL) is kept. */
  readonly fallbackTtlMillis: number
}

export const defaultCacheOptions: CacheOptions = {
  maxEntries: 1000,
  maxTtlMillis: 24 * 60 * 60 * 1000,
  fallbackTtlMillis: 60 * 1000,
}

/**
 * A lookup that keeps the resolver's answers for their TTL (the least TTL of a name's records, capped by
 * `maxTtlMillis`), as `cacheable-lookup` does: DNS is asked for A and AAAA records with their TTLs, and a
 * name DNS does not know (`localhost`, the hosts file's) is looked up with getaddrinfo and kept for
 * `fallbackTtlMillis`. Failures are not kept. Concurrent lookups of one name share one query.
 */
export const cached = (resolver: Resolver, options: CacheOptions, now: () => number): Lookup => {
  const entries = new Map<string, { readonly answers: ReadonlyArray<Answer>; readonly expires: number }>()
  const pending = new Map<string, Promise<ReadonlyArray<Answer>>>()
  const query = async (hostname: string): Promise<ReadonlyArray<Answer>> => {
    const [v4, v6] = await Promise.allSettled([resolver.resolve4(hostname), resolver.resolve6(hostname)])
    const records = [
      ...(v4.status === "fulfilled" ? v4.value.map((r) => ({ ...r, family: 4 as const })) : []),
      ...(v6.status === "fulfilled" ? v6.value.map((r) => ({ ...r, family: 6 as const })) : []),
    ]
    const ttl =
      records.length === 0
        ? options.fallbackTtlMillis
        : Math.min(options.maxTtlMillis, ...records.map((r) => Math.max(0, r.ttl) * 1000))
    const answers =
      records.length === 0
        ? await resolver.lookup(hostname)
        : records.map(({ address, family }) => ({ address, family }))
    if (ttl > 0 && answers.length > 0) {
      entries.delete(hostname)
      entries.set(hostname, { answers, expires: now() + ttl })
      if (entries.size > options.maxEntries) entries.delete(entries.keys().next().value ?? "")
    }
    return answers
  }
  return (hostname, lookupOptions, callback) => {
    const name = hostname.toLowerCase()
    const hit = entries.get(name)
    if (hit !== undefined && hit.expires > now()) {
      entries.delete(name)
      entries.set(name, hit)
      return answer(hostname, lookupOptions, hit.answers, callback)
    }
    let asked = pending.get(name)
    if (asked === undefined) {
      asked = query(name).finally(() => pending.delete(name))
      pending.set(name, asked)
    }
    asked.then(
      (answers) => answer(hostname, lookupOptions, answers, callback),
      (e: NodeJS.ErrnoException) => callback(e, lookupOptions.all === true ? [] : "", undefined),
    )
  }
}
