// Name resolution under the caller's control, over real sockets on loopback: a lookup of one's own (the
// first addresses dead, happy eyeballs moving on), curl's --resolve table, the family, and the address
// chosen shown on the response, in the span and in the debug log. The TTL cache is tested as a unit, with
// a resolver and a clock of the test's own.
import type * as dns from "node:dns"
import type * as net from "node:net"
import { Client, Response } from "@courier/core"
import { NodeTransport } from "@courier/node-transport"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { scoped, withDebugLog } from "../../core/test/edition.js"
import { recording } from "../../mock-transport/test/recording.js"
import { cached, defaultCacheOptions, type Resolver } from "../src/internal/dns.js"
import { httpServer } from "./servers.js"

/** A lookup that answers every name with `addresses`, in order, and counts its calls. */
const table = (addresses: ReadonlyArray<string>) => {
  const calls: Array<string> = []
  const lookup: net.LookupFunction = (hostname, options, callback) => {
    calls.push(hostname)
    const all = addresses.map((address) => ({ address, family: address.includes(":") ? 6 : 4 }))
    if (options.all === true) callback(null, all)
    else callback(null, all[0]?.address ?? "", all[0]?.family)
  }
  return { lookup, calls }
}

const hostOf = Effect.map(
  httpServer((req, res) => res.end(req.headers.host)),
  (server) => server,
)

describe("DNS under the caller's control", () => {
  scoped("a lookup whose first addresses are dead: happy eyeballs moves on, and the response says where it went", () =>
    Effect.gen(function* () {
      const server = yield* hostOf
      // Nothing listens on ::1 or 127.0.0.2 at this port: both refuse, then 127.0.0.1 answers.
      const { lookup, calls } = table(["::1", "127.0.0.2", "127.0.0.1"])
      const { tracer, spans } = recording()
      const lines: Array<string> = []
      const r = yield* Client.get(`http://api.test:${server.port}/`).pipe(
        Effect.provide(NodeTransport.client({ lookup, proxy: false })),
        Effect.withTracer(tracer),
        (effect) => withDebugLog(effect, (line) => lines.push(line)),
      )
      expect(yield* Response.text(r)).toBe(`api.test:${server.port}`)
      expect(r.connection?.peer).toEqual({ address: "127.0.0.1", port: server.port })
      expect(calls).toEqual(["api.test"])
      const client = spans.find((s) => s.kind === "client")
      expect(client?.attributes.get("network.peer.address")).toBe("127.0.0.1")
      expect(client?.attributes.get("network.peer.port")).toBe(server.port)
      expect(lines.join("\n")).toContain(`connection 1 new to 127.0.0.1:${server.port}`)
      // Without happy eyeballs only the first address is tried.
      const error = yield* Effect.flip(
        Client.get(`http://api.test:${server.port}/`).pipe(
          Effect.provide(NodeTransport.client({ lookup, happyEyeballs: false, proxy: false })),
        ),
      )
      expect(error).toMatchObject({ _tag: "HTTPConnectionError", code: "ECONNREFUSED" })
    }),
  )

  scoped("family picks IPv6 or IPv4 among the addresses a lookup gives", () =>
    Effect.gen(function* () {
      const v6 = yield* httpServer((_req, res) => res.end("six"), "::1")
      const { lookup } = table(["127.0.0.1", "::1"])
      const six = yield* Client.get(`http://dual.test:${v6.port}/`).pipe(
        Effect.provide(NodeTransport.client({ lookup, family: 6, proxy: false })),
      )
      expect([yield* Response.text(six), six.connection?.peer?.address]).toEqual(["six", "::1"])
      const four = yield* Effect.flip(
        Client.get(`http://dual.test:${v6.port}/`).pipe(
          Effect.provide(NodeTransport.client({ lookup, family: 4, proxy: false })),
        ),
      )
      expect(four).toMatchObject({ _tag: "HTTPConnectionError", code: "ECONNREFUSED" })
    }),
  )

  scoped("resolve entries pin a host and port to addresses, as curl's --resolve; a bad entry is an error", () =>
    Effect.gen(function* () {
      const server = yield* hostOf
      const client = NodeTransport.client({
        resolve: [`pinned.test:${server.port}:127.0.0.9,127.0.0.1`, "[v6.test]:443:[::1]"],
        proxy: false,
      })
      const r = yield* Client.get(`http://pinned.test:${server.port}/`).pipe(Effect.provide(client))
      expect([yield* Response.text(r), r.connection?.peer?.address]).toEqual([
        `pinned.test:${server.port}`,
        "127.0.0.1",
      ])
      const bad = yield* Effect.flip(
        Client.get(`http://pinned.test:${server.port}/`).pipe(
          Effect.provide(NodeTransport.client({ resolve: ["pinned.test:80"], proxy: false })),
        ),
      )
      expect(bad).toMatchObject({ _tag: "HTTPConnectionError", code: "EINVAL" })
      expect(bad.message).toContain("HOST:PORT:ADDRESS")
    }),
  )
})

describe("the DNS cache", () => {
  /** A resolver of the test's own: records per name with their TTLs, and getaddrinfo's answers. */
  const resolver = (records: Record<string, ReadonlyArray<{ address: string; ttl: number }>>) => {
    const asked: Array<string> = []
    const r: Resolver = {
      resolve4: async (name) => {
        asked.push(`A ${name}`)
        const found = (records[name] ?? []).filter((x) => !x.address.includes(":"))
        if (found.length === 0) throw Object.assign(new Error("no data"), { code: "ENODATA" })
        return found
      },
      resolve6: async (name) => {
        asked.push(`AAAA ${name}`)
        const found = (records[name] ?? []).filter((x) => x.address.includes(":"))
        if (found.length === 0) throw Object.assign(new Error("no data"), { code: "ENODATA" })
        return found
      },
      lookup: async (name) => {
        asked.push(`getaddrinfo ${name}`)
        if (name === "localhost") return [{ address: "127.0.0.1", family: 4 }]
        throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${name}`), { code: "ENOTFOUND" })
      },
    }
    return { resolver: r, asked }
  }

  const lookupAll = (lookup: net.LookupFunction, name: string, family?: 4 | 6) =>
    new Promise<ReadonlyArray<string> | string>((resolve) =>
      lookup(name, { all: true, ...(family === undefined ? {} : { family }) }, (err, addresses) => {
        resolve(err === null ? (addresses as Array<dns.LookupAddress>).map((a) => a.address) : (err.code ?? "error"))
      }),
    )

  it("keeps answers for their least TTL, shares concurrent queries, falls back to getaddrinfo, keeps no failure", async () => {
    let now = 0
    const { resolver: r, asked } = resolver({
      "api.test": [
        { address: "10.0.0.1", ttl: 30 },
        { address: "fd00::1", ttl: 60 },
      ],
    })
    const lookup = cached(r, { ...defaultCacheOptions, fallbackTtlMillis: 5000 }, () => now)
    const [a, b] = await Promise.all([lookupAll(lookup, "api.test"), lookupAll(lookup, "API.test")])
    expect([a, b]).toEqual([
      ["10.0.0.1", "fd00::1"],
      ["10.0.0.1", "fd00::1"],
    ])
    expect(asked).toEqual(["A api.test", "AAAA api.test"])
    now = 29_999
    expect(await lookupAll(lookup, "api.test", 6)).toEqual(["fd00::1"])
    expect(asked.length).toBe(2)
    now = 30_000
    await lookupAll(lookup, "api.test")
    expect(asked.length).toBe(4)
    // Not in DNS: getaddrinfo (the hosts file), kept for the fallback time.
    expect(await lookupAll(lookup, "localhost")).toEqual(["127.0.0.1"])
    now = 34_999
    expect(await lookupAll(lookup, "localhost")).toEqual(["127.0.0.1"])
    expect(asked.filter((x) => x.includes("localhost"))).toEqual([
      "A localhost",
      "AAAA localhost",
      "getaddrinfo localhost",
    ])
    // A failure is not kept: the next lookup asks again.
    expect(await lookupAll(lookup, "nowhere.test")).toBe("ENOTFOUND")
    expect(await lookupAll(lookup, "nowhere.test")).toBe("ENOTFOUND")
    expect(asked.filter((x) => x === "getaddrinfo nowhere.test").length).toBe(2)
    // A family with no address is ENOTFOUND, not an empty answer.
    expect(await lookupAll(lookup, "localhost", 6)).toBe("ENOTFOUND")
  })

  it("caps a TTL at maxTtlMillis and keeps at most maxEntries names, the least recently used dropped", async () => {
    let now = 0
    const { resolver: r, asked } = resolver({
      a: [{ address: "10.0.0.1", ttl: 86_400 }],
      b: [{ address: "10.0.0.2", ttl: 86_400 }],
      c: [{ address: "10.0.0.3", ttl: 86_400 }],
    })
    const lookup = cached(r, { ...defaultCacheOptions, maxEntries: 2, maxTtlMillis: 1000 }, () => now)
    for (const name of ["a", "b", "a", "c", "a", "b"]) await lookupAll(lookup, name)
    // a and b cached; c pushed b out (a was used more recently); b asked again.
    expect(asked.filter((x) => x.startsWith("A ")).map((x) => x.slice(2))).toEqual(["a", "b", "c", "b"])
    now = 1000
    await lookupAll(lookup, "a")
    expect(asked.filter((x) => x === "A a").length).toBe(2)
  })
})
