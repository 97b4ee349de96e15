// The snippets of the testing guide and the recipes of the middleware guide are the files in
// examples/test/guide/ and examples/test/middleware/, each a complete test module (imports and the code
// under test included) that runs with the suite; this checks that each guide shows its files verbatim and
// nothing else, so a reader can paste any snippet and it runs.
import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "@effect/vitest"

const root = path.join(import.meta.dirname, "..", "..")

describe.each([
  ["testing.md", "guide"],
  ["middleware.md", "middleware"],
])("docs/%s", (doc, folder) => {
  it(`shows every runnable snippet file of examples/test/${folder}/ verbatim, and only those`, () => {
    const guide = fs.readFileSync(path.join(root, "docs", doc), "utf8")
    const dir = path.join(import.meta.dirname, folder)
    const runnable = [...guide.matchAll(/```ts\n([\s\S]*?)```\n/g)]
      .map((m) => m[1] ?? "")
      .filter((block) => block.includes("@effect/vitest"))
    const files = fs
      .readdirSync(dir)
      .filter((f) => f.endsWith(".test.ts"))
      .map((f) => fs.readFileSync(path.join(dir, f), "utf8"))
    expect(runnable.length).toBe(files.length)
    for (const block of runnable) expect(files).toContain(block)
  })
})
