import * as path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { graphOf } from "../../core/test/source-graph.js"

// The layers of node-transport (docs/ARCHITECTURE.md, "Packages and modules"): the HTTP/2 machine (its session as the
// pool's multiplexed connection, and the exchange on a stream) runs no Effect, and its binding (transport) runs it; both sit on the node
// internals every protocol shares (dialling, SOCKS, DNS, sockets), which know nothing of HTTP/2; and the
// package sees core only through its public entry points, as any transport written outside core would.
const src = path.join(import.meta.dirname, "../src")
const internal = path.join(src, "internal")
const h2 = path.join(internal, "h2")

const graph = graphOf(src)
const name = (f: string) => path.relative(src, f)
const inside = (f: string, dir: string) => f.startsWith(dir + path.sep)

describe("node-transport's layout", () => {
  it("the node internals every protocol shares import nothing of HTTP/2", () => {
    const found: Array<string> = []
    for (const [file, imports] of graph) {
      if (!inside(file, internal) || inside(file, h2)) continue
      for (const { target } of imports)
        if (target !== undefined && inside(target, h2)) found.push(`${name(file)} -> ${name(target)}`)
    }
    expect(found).toEqual([])
  })

  it("the HTTP/2 machine (session, exchange) runs no Effect: it names Effect's types only", () => {
    const found: Array<string> = []
    for (const machine of ["session.ts", "exchange.ts"]) {
      const file = path.join(h2, machine)
      expect(graph.has(file)).toBe(true)
      for (const { specifier, typeOnly } of graph.get(file) ?? []) {
        if (specifier.startsWith("effect") && !typeOnly) found.push(`h2/${machine} -> ${specifier}`)
      }
    }
    expect(found).toEqual([])
  })

  // …and through the edition bridge, which spells for this edition the Effect operations that Effect 3 and 4
  // name differently (issue 24), so that they are written once for all of Courier's packages.
  it("core is seen through its public entry points and the edition bridge only", () => {
    const found: Array<string> = []
    for (const [file, imports] of graph) {
      for (const { specifier } of imports) {
        if (/core\/src|@courier\/core\/(?!Platform$|internal\/edition$)/.test(specifier))
          found.push(`${name(file)} -> ${specifier}`)
      }
    }
    expect(found).toEqual([])
  })

  it("has no two-file import circles", () => {
    const circles: Array<string> = []
    for (const [file, imports] of graph) {
      for (const { target, typeOnly } of imports) {
        if (target === undefined || typeOnly || file > target) continue
        const back = graph.get(target)?.find((i) => i.target === file && !i.typeOnly)
        if (back !== undefined) circles.push(`${name(file)} <-> ${name(target)}`)
      }
    }
    expect(circles).toEqual([])
  })
})
