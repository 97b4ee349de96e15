/**
 * `pnpm --filter @courier/bench ops`, second half: `opcount.ts` bundled from the Effect 4 edition's tree and
 * run, so both editions' operations per request are reported by one command.
 */
import { execFileSync } from "node:child_process"
import { build } from "esbuild"
import { makeTree } from "../../scripts/edition4/tree.js"
import { bundling, dist } from "./bundle.js"

const repo = new URL("../../", import.meta.url).pathname
const tree = `${repo}.cache/edition4/ops-tree`
makeTree(tree, { bench: true, tests: true })
await build({
  ...bundling,
  entryPoints: { "opcount-effect4": `${tree}/bench/src/opcount.ts` },
  nodePaths: [`${repo}bench/node_modules`],
})
execFileSync(process.execPath, [`${dist}opcount-effect4.mjs`], { stdio: "inherit" })
