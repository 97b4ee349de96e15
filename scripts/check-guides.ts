/**
 * Type-checks every ```ts snippet of the README and the guides in docs/ (each self-contained), so a
 * guide cannot show code that no longer compiles, on both editions (issue 24): a plain ```ts snippet
 * against Effect 3 and against the Effect 4 edition's tree (scripts/edition4/tree.ts); one marked
 * ```ts effect4 or ```ts effect3 (where the two majors spell the same thing apart) against its edition only.
 * Snippets that are test files (they import @effect/vitest: the testing guide's and the middleware guide's
 * recipes) are left out: they run as tests, and examples/test/testing-guide.test.ts checks the guides show
 * them verbatim. Run by `pnpm run docs`.
 */
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { makeTree } from "./edition4/tree.js"

const root = path.resolve(import.meta.dirname, "..")
const guides = [
  ...fs
    .readdirSync(path.join(root, "docs"))
    .filter((f) => f.endsWith(".md"))
    .map((f) => path.join("docs", f)),
  "README.md",
]

interface Snippet {
  readonly name: string
  readonly code: string
  readonly edition: "both" | "effect3" | "effect4"
}

const snippets: Array<Snippet> = guides.flatMap((file) => {
  const text = fs.readFileSync(path.join(root, file), "utf8")
  return [...text.matchAll(/```ts( effect[34])?\n([\s\S]*?)```/g)].flatMap((match, i): Array<Snippet> => {
    const code = match[2] ?? ""
    if (code.includes("@effect/vitest")) return []
    const edition = match[1] === " effect3" ? "effect3" : match[1] === " effect4" ? "effect4" : "both"
    return [{ name: `${path.basename(file, ".md")}-${i + 1}.ts`, code: `export {}\n${code}`, edition }]
  })
})

/** Type-checks the snippets of `edition` in `dir`, with `base` as the tsconfig they extend; returns whether they compile. */
const compiles = (dir: string, base: string, edition: "effect3" | "effect4"): boolean => {
  fs.rmSync(dir, { recursive: true, force: true })
  fs.mkdirSync(dir, { recursive: true })
  for (const s of snippets)
    if (s.edition === "both" || s.edition === edition) fs.writeFileSync(path.join(dir, s.name), s.code)
  fs.writeFileSync(
    path.join(dir, "tsconfig.json"),
    JSON.stringify({
      extends: base,
      compilerOptions: { noEmit: true, declaration: false, noUnusedLocals: false, types: ["node"] },
      include: ["*.ts"],
    }),
  )
  const tsc = spawnSync(process.execPath, [path.join(root, "node_modules", "typescript", "bin", "tsc"), "-p", dir], {
    stdio: "inherit",
  })
  return tsc.status === 0
}

const count = (edition: "effect3" | "effect4") =>
  snippets.filter((s) => s.edition !== (edition === "effect3" ? "effect4" : "effect3")).length
const effect3Dir = path.join(root, "examples", ".guide-check")
const tree = fs.mkdtempSync(path.join(os.tmpdir(), "courier-guides-effect4-"))
let ok: boolean
try {
  ok = compiles(effect3Dir, "../../tsconfig.base.json", "effect3")
  if (ok) {
    makeTree(tree)
    ok = compiles(path.join(tree, "guides"), "../tsconfig.base.json", "effect4")
  }
} finally {
  fs.rmSync(effect3Dir, { recursive: true, force: true })
  fs.rmSync(tree, { recursive: true, force: true })
}
if (!ok) {
  process.stderr.write("a guide snippet does not compile (see above)\n")
  process.exit(1)
}
process.stdout.write(`guides: ${count("effect3")} snippets compile on Effect 3, ${count("effect4")} on Effect 4\n`)
