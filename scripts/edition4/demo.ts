/**
 * The demo on the Effect 4 edition (`pnpm demo` runs it first, then the Effect 3 edition's): every seed
 * scenario in examples/, from the edition's tree (scripts/edition4/tree.ts) with `effect` resolving to 4.
 */
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { EFFECT4_VERSION, makeTree, repo } from "./tree.js"

const tree = fs.mkdtempSync(path.join(os.tmpdir(), "courier-edition4-demo-"))
try {
  makeTree(tree, { examples: true })
  console.log(`### The Effect 4 edition (effect ${EFFECT4_VERSION})\n`)
  const tsx = path.join(repo, "node_modules", "tsx", "dist", "esm", "index.mjs")
  const run = spawnSync(process.execPath, ["--import", tsx, path.join("examples", "src", "main.ts")], {
    cwd: tree,
    stdio: "inherit",
  })
  process.exitCode = run.status ?? 1
} finally {
  fs.rmSync(tree, { recursive: true, force: true })
}
