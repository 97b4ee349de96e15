import * as path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { files, graphOf, type LocalImport as Import, localGraphOf } from "./source-graph.js"

// The layers of core's internals (docs/ARCHITECTURE.md, "Packages and modules"), bottom up: helpers every layer
// uses (shared), the HTTP/1.1 codec (http1), the Effect-free connection machine (engine: exchanges, the pool,
// timers), its binding to Effect (binding: dialling, dispatch, uploads, the timer driver), and the client's
// policies (client). Imports go down only.
const src = path.join(import.meta.dirname, "../src")
const internal = path.join(src, "internal")
const LAYERS = ["shared", "http1", "engine", "binding", "client"] as const

const graph = localGraphOf(src)
const withPackages = graphOf(src)
/** A public module (src/*.ts), whose types its own implementation in internal/ may name. */
const isPublic = (f: string) => path.dirname(f) === src
const name = (f: string) => path.relative(src, f)
const layerOf = (f: string): number | undefined => {
  const i = LAYERS.findIndex((layer) => f.startsWith(path.join(internal, layer) + path.sep))
  return i === -1 ? undefined : i
}

/** What the codec and the engine import that `offending` names (undefined: allowed), as `file -> import`. */
const machineImports = <I>(
  imports: ReadonlyMap<string, ReadonlyArray<I>>,
  offending: (i: I) => string | undefined,
): Array<string> => {
  const found: Array<string> = []
  for (const [file, list] of imports) {
    const layer = layerOf(file)
    if (layer !== 1 && layer !== 2) continue
    for (const i of list) {
      const what = offending(i)
      if (what !== undefined) found.push(`${name(file)} -> ${what}`)
    }
  }
  return found
}

describe("core's internal layout", () => {
  it("has each layer in its folder, with files in each, and no file outside them", () => {
    for (const layer of LAYERS) expect(files(path.join(internal, layer)).length).toBeGreaterThan(0)
    expect(files(internal).filter((f) => layerOf(f) === undefined)).toEqual([])
  })

  it("imports run one way only: client → binding → engine → http1 → shared", () => {
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
  it("the value modules import only the shared helpers and the codec", () => {
    const values = ["Body", "Headers", "HttpError", "Request", "Response", "Status", "Url"]
    const found: Array<string> = []
    for (const v of values) {
      const file = path.join(src, `${v}.ts`)
      expect(graph.has(file)).toBe(true)
      for (const { target } of graph.get(file) ?? []) {
        const layer = layerOf(target)
        if (layer !== undefined && layer > 1) found.push(`${v}.ts -> ${name(target)}`)
      }
    }
    expect(found).toEqual([])
  })

  // The machine runs on callbacks, so that any Effect runtime can drive it (issue 24): of Effect it names
  // types only; a result it returns as plain data is the edition module's `Result` (shared/edition.ts), and
  // every Effect it builds is the binding's to run. The edition's Effect operations (shared/edition-effect.ts)
  // run Effects, so the machine may not use them either.
  it("the codec and the engine run no Effect: they import only Effect's types and the edition's plain data", () => {
    const runtime = machineImports(withPackages, ({ specifier, typeOnly }) =>
      specifier.startsWith("effect") && !typeOnly ? specifier : undefined,
    )
    const operations = machineImports(graph, ({ target }) =>
      path.basename(target).startsWith("edition-effect") ? name(target) : undefined,
    )
    expect([...runtime, ...operations]).toEqual([])
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
