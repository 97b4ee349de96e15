/**
 * Type-checks every ```ts snippet of the README and the guides in docs/ (each self-contained), so a
 * guide cannot show code that no longer compiles. Snippets that are test files (they import @effect/vitest:
 * the testing guide's and the middleware guide's recipes) are left out: they run as tests, and
 * examples/test/testing-guide.test.ts checks the guides show them verbatim. Run by `pnpm run docs`.
 */
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"

const root = path.resolve(import.meta.dirname, "..")
const dir = path.join(root, "examples", ".guide-check")
fs.rmSync(dir, { recursive: true, force: true })
fs.mkdirSync(dir)
let count = 0
const guides = [
  ...fs
    .readdirSync(path.join(root, "docs"))
    .filter((f) => f.endsWith(".md"))
    .map((f) => path.join("docs", f)),
  "README.md",
]
for (const file of guides) {
  const text = fs.readFileSync(path.join(root, file), "utf8")
  for (const [i, match] of [...text.matchAll(/```ts\n([\s\S]*?)```/g)].entries()) {
    if (match[1]?.includes("@effect/vitest")) continue
    fs.writeFileSync(path.join(dir, `${path.basename(file, ".md")}-${i + 1}.ts`), `export {}\n${match[1]}`)
    count++
  }
}
fs.writeFileSync(
  path.join(dir, "tsconfig.json"),
  JSON.stringify({
    extends: "../../tsconfig.base.json",
    compilerOptions: { noEmit: true, declaration: false, noUnusedLocals: false, types: ["node"] },
    include: ["*.ts"],
  }),
)
try {
  execFileSync(path.join(root, "node_modules", ".bin", "tsc"), ["-p", dir], { stdio: "inherit" })
} catch {
  process.stderr.write("a guide snippet does not compile (see above)\n")
  process.exit(1)
} finally {
  fs.rmSync(dir, { recursive: true, force: true })
}
process.stdout.write(`guides: ${count} snippets compile\n`)
