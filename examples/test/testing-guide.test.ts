// The snippets of the testing guide and the recipes of the middleware guide are the files in
// examples/test/guide/ and examples/test/middleware/, each a complete test module (imports and the code
// under test included) that runs with the suite; this checks that each guide shows its files verbatim and
// nothing else, so a reader can paste any snippet and it runs. A file the two Effect majors spell apart is
// kept as its Effect 3 module with the lines that differ beside it (`x.test.effect3.diff`,
// scripts/edition4/line-edits.ts): the guide shows the Effect 4 file those make, in a ```ts effect4 block
// (scripts/edition4/test.ts runs it on the Effect 4 edition), and the diff right after it.
import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { toEffect3, toEffect4 } from "../../scripts/edition4/line-edits.js"

const root = path.join(import.meta.dirname, "..", "..")

/** The guide's code blocks, in order: the fence's words after the backticks and the text. */
const blocks = (guide: string) =>
  [...guide.matchAll(/```([\w ]*)\n([\s\S]*?)```\n/g)].map((m) => ({ fence: m[1] ?? "", text: m[2] ?? "" }))

/** A runnable snippet is a test module: it imports @effect/vitest. */
const runnable = (block: { readonly fence: string; readonly text: string }) =>
  block.fence.startsWith("ts") && block.text.includes("@effect/vitest")

describe.each([
  ["testing.md", "guide"],
  ["middleware.md", "middleware"],
])("docs/%s", (doc, folder) => {
  const guide = blocks(fs.readFileSync(path.join(root, "docs", doc), "utf8"))
  const dir = path.join(import.meta.dirname, folder)
  const read = (file: string) => fs.readFileSync(path.join(dir, file), "utf8")
  const modules = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".test.ts"))
    .map((file) => {
      const diffFile = file.replace(/\.ts$/, ".effect3.diff")
      const diff = fs.existsSync(path.join(dir, diffFile)) ? read(diffFile) : undefined
      return { file, effect3: read(file), diff }
    })

  it(`shows every runnable snippet file of examples/test/${folder}/ verbatim, and only those`, () => {
    const shown = guide.filter(runnable)
    const expected = modules.map((m) => (m.diff === undefined ? m.effect3 : toEffect4(m.effect3, m.diff)))
    expect(shown.map((b) => b.text).sort()).toEqual([...expected].sort())
    expect(fs.readdirSync(dir).filter((f) => f.endsWith(".effect4.ts"))).toEqual([])
  })

  it("shows a file the majors spell apart as its Effect 4 file, then the lines Effect 3 spells differently", () => {
    for (const { file, effect3, diff } of modules) {
      const at = guide.findIndex(
        (b) => runnable(b) && b.text === (diff === undefined ? effect3 : toEffect4(effect3, diff)),
      )
      expect(at, file).toBeGreaterThanOrEqual(0)
      const [shown, next] = [guide[at], guide[at + 1]]
      if (diff === undefined) {
        expect(shown?.fence, file).toBe("ts")
        continue
      }
      expect(shown?.fence, file).toBe("ts effect4")
      expect(next, file).toEqual({ fence: "diff", text: diff })
      // The diff read the other way gives back the Effect 3 module the suite runs.
      expect(toEffect3(toEffect4(effect3, diff), diff), file).toBe(effect3)
    }
  })
})
