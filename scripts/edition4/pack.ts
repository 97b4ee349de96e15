/**
 * `pnpm edition4:pack [out]`: builds the Effect 4 edition of each package (ESM and CommonJS, with types,
 * compiled against effect 4 from the edition's tree) and packs it as a tarball into `out`
 * (.cache/edition4/tarballs by default), ready for `npm install`. Each tarball's package.json is the one
 * npm users get: version 1.x, `effect` ^4 as the only peer, the published `exports`, `main`, `types` and
 * `typesVersions`, no workspace ranges.
 */
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { makeTree, PACKAGES, repo } from "./tree.js"

const tree = path.join(repo, ".cache", "edition4", "tree")
const out = path.resolve(process.argv[2] ?? path.join(repo, ".cache", "edition4", "tarballs"))
const tsc = path.join(repo, "node_modules", "typescript", "bin", "tsc")

/** The manifest as published: `publishConfig` applied, nothing that only the workspace needs. */
const published = (manifest: Record<string, unknown>): Record<string, unknown> => {
  const { publishConfig, scripts: _scripts, ...rest } = manifest
  const config = { ...(publishConfig as Record<string, unknown>) }
  delete config.access
  return { ...rest, ...config }
}

makeTree(tree)
fs.rmSync(out, { recursive: true, force: true })
fs.mkdirSync(out, { recursive: true })
for (const name of PACKAGES) {
  const dir = path.join(tree, "packages", name)
  for (const config of ["tsconfig.build.json", "tsconfig.cjs.json"])
    execFileSync(process.execPath, [tsc, "-p", config], { cwd: dir, stdio: "inherit" })
  fs.writeFileSync(path.join(dir, "dist", "cjs", "package.json"), '{"type":"commonjs"}\n')
  const manifestFile = path.join(dir, "package.json")
  const manifest = JSON.parse(fs.readFileSync(manifestFile, "utf8"))
  fs.writeFileSync(manifestFile, `${JSON.stringify(published(manifest), null, 2)}\n`)
  execFileSync("npm", ["pack", "--silent", "--pack-destination", out], {
    cwd: dir,
    stdio: ["ignore", "ignore", "inherit"],
  })
}
console.log(`edition4: ${fs.readdirSync(out).join(", ")} in ${path.relative(repo, out)}`)
