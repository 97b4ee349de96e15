// The snippets of the testing guide and the recipes of the middleware guide are the files in
// examples/test/guide/ and examples/test/middleware/, each a complete test module (imports and the code
// under test included) that runs with the suite; this checks that each guide shows its files verbatim and
// nothing else, so a reader can paste any snippet and it runs. A file the two Effect majors spell apart has
// its Effect 4 spelling beside it (`x.test.effect4.ts`, run on the Effect 4 edition by
// scripts/edition4/test.ts): the guide shows it in a ```ts effect4 block, the Effect 3 file in ```ts effect3.
import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "@effect/vitest"

const root = path.join(import.meta.dirname, "..", "..")

/** The guide's runnable snippets (test modules) fenced as `ts` with the given suffixes. */
const snippets = (guide: string, fences: ReadonlyArray<string>) =>
  [...guide.matchAll(/```ts( effect[34])?\n([\s\S]*?)```\n/g)]
    .filter((m) => fences.includes(m[1] ?? ""))
    .map((m) => m[2] ?? "")
    .filter((block) => block.includes("@effect/vitest"))

describe.each([
  ["testing.md", "guide"],
  ["middleware.md", "middleware"],
])("docs/%s", (doc, folder) => {
  const guide = fs.readFileSync(path.join(root, "docs", doc), "utf8")
  const dir = path.join(import.meta.dirname, folder)
  const files = (suffix: string) =>
    fs
      .readdirSync(dir)
      .filter((f) => f.endsWith(suffix))
      .map((f) => fs.readFileSync(path.join(dir, f), "utf8"))

  it(`shows every runnable snippet file of examples/test/${folder}/ verbatim, and only those`, () => {
    const shown = snippets(guide, ["", " effect3"])
    expect(shown.length).toBe(files(".test.ts").length)
    for (const block of shown) expect(files(".test.ts")).toContain(block)
  })

  it("shows the Effect 4 spelling of each file that has one, first, and only those", () => {
    const shown = snippets(guide, [" effect4"])
    expect(shown.length).toBe(files(".test.effect4.ts").length)
    for (const block of shown) expect(files(".test.effect4.ts")).toContain(block)
    // Each Effect 3 block follows the Effect 4 block of the same snippet.
    for (const m of guide.matchAll(/```ts effect3\n/g)) {
      expect(guide.slice(guide.lastIndexOf("```ts", m.index - 1)).startsWith("```ts effect4\n")).toBe(true)
    }
  })
})
