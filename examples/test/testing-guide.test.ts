// The testing guide's snippets are the files in examples/test/guide/, each a complete test module (imports
// and the code under test included) that runs with the suite; this checks that the guide shows each of them
// verbatim and nothing else, so a reader can paste any snippet and it runs.
import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "@effect/vitest"

const root = path.join(import.meta.dirname, "..", "..")
const guide = fs.readFileSync(path.join(root, "docs", "testing.md"), "utf8")
const folder = path.join(import.meta.dirname, "guide")

describe("testing guide", () => {
  it("shows every runnable snippet file verbatim, and only those", () => {
    const blocks = [...guide.matchAll(/```ts\n([\s\S]*?)```\n/g)].map((m) => m[1])
    const files = fs
      .readdirSync(folder)
      .filter((f) => f.endsWith(".test.ts"))
      .map((f) => fs.readFileSync(path.join(folder, f), "utf8"))
    expect(blocks.length).toBe(files.length)
    for (const block of blocks) expect(files).toContain(block)
  })
})
