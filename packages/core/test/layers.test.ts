import * as path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { files, type LocalImport as Import, localGraphOf } from "./source-graph.js"

// The layers of core's internals (docs/ARCHITECTURE.md, "Packages and modules"): the client's policies run over the
// engine (connections, exchanges, the pool), which runs over the HTTP/1.1 codec. Imports go down only.
const src = path.join(import.meta.dirname, "../src")
const internal = path.join(src, "internal")

const graph = localGraphOf(src)
/** A public module (src/*.ts), whose types its own implementation in internal/ may name. */
const isPublic = (f: string) => path.dirname(f) === src
const name = (f: string) => path.relative(src, f)
const layerOf = (f: string): number | undefined =>
  f.startsWith(path.join(internal, "http1") + path.sep)
    ? 0
    : f.startsWith(path.join(internal, "engine") + path.sep)
      ? 1
      : f.startsWith(path.join(internal, "client") + path.sep)
        ? 2
        : undefined

describe("core's internal layout", () => {
  it("has each layer in its folder, with files in each", () => {
    for (const layer of ["http1", "engine", "client"]) {
      expect(files(path.join(internal, layer)).length).toBeGreaterThan(0)
    }
  })

  it("imports run one way only: client → engine → http1", () => {
    const upward: Array<string> = []
    for (const [file, imports] of graph) {
      const from = layerOf(file)
      if (from === undefined) continue
      for (const { target } of imports) {
        const to = layerOf(target)
        if (to !== undefined && to > from) upward.push(`${name(file)} -> ${name(target)}`)
      }
    }
    expect(upward).toEqual([])
  })

  // The values a user builds and reads depend on no connection machinery: the request is framed by the
  // transport that sends it (issue 23), not by the module that defines it.
  it("the value modules import nothing of the connection engine", () => {
    const values = ["Body", "Headers", "HttpError", "Request", "Response", "Status", "Url"]
    const found: Array<string> = []
    for (const v of values) {
      const file = path.join(src, `${v}.ts`)
      for (const { target } of graph.get(file) ?? [])
        if (layerOf(target) === 1) found.push(`${v}.ts -> ${name(target)}`)
    }
    expect(found).toEqual([])
  })

  // A public module's implementation may name the module's types (`import type`, erased at run time), as in
  // Effect's own packages; every other pair of files that import each other is a circle.
  it("has no two-file import circles", () => {
    const circles: Array<string> = []
    const counts = (from: string, to: Import) => !(to.typeOnly && isPublic(to.target) && !isPublic(from))
    for (const [file, imports] of graph) {
      for (const edge of imports) {
        if (file > edge.target || !counts(file, edge)) continue
        const back = graph.get(edge.target)?.find((i) => i.target === file && counts(edge.target, i))
        if (back !== undefined) circles.push(`${name(file)} <-> ${name(edge.target)}`)
      }
    }
    expect(circles).toEqual([])
  })
})
