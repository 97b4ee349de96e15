/**
 * `pnpm edition4:test`: the behaviour suites that run on both editions, run on the Effect 4 edition (issue 24:
 * a test written once, run twice). It builds the edition's tree with the packages' tests beside their
 * sources, installs `@effect/vitest` 4, vitest 5 and `effect` 4 (versions.json) into .cache once, and runs
 * the test files listed in both-editions.json with vitest 5 on Node >= 22.12 (vitest 5 needs it; when the
 * machine's Node is older, Node 22 comes from the npm registry into .cache/node/22, as
 * scripts/test-node-versions.sh fetches it). Every file listed must type-check against effect 4 and pass.
 * The Effect 3 edition runs the same files in `pnpm test` before this. File names given on the command line
 * run in place of the list.
 */
import { execFileSync, spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { makeTree, repo, VERSIONS } from "./tree.js"

const deps = path.join(repo, ".cache", "edition4", "test-deps", Object.values(VERSIONS).join("-"))
const node22 = (): string => {
  const [major = 0, minor = 0] = process.versions.node.split(".").map(Number)
  if (major > 22 || (major === 22 && minor >= 12)) return process.execPath
  const pkg = `node-linux-${process.arch}`
  const dir = path.join(repo, ".cache", "node", "22")
  const bin = path.join(dir, "node_modules", pkg, "bin", "node")
  if (!fs.existsSync(bin)) {
    const args = ["install", "--no-save", "--no-audit", "--no-fund", "--loglevel=error", "--prefix", dir, `${pkg}@22`]
    execFileSync("npm", args, { stdio: "inherit" })
  }
  return bin
}

const node = node22()
const env = { ...process.env, PATH: `${path.dirname(node)}${path.delimiter}${process.env.PATH ?? ""}` }
if (!fs.existsSync(path.join(deps, "node_modules", "@effect", "vitest", "package.json"))) {
  fs.mkdirSync(deps, { recursive: true })
  fs.writeFileSync(path.join(deps, "package.json"), '{ "private": true }\n')
  const wanted = [
    `effect@${VERSIONS.effect}`,
    `@effect/vitest@${VERSIONS["@effect/vitest"]}`,
    `vitest@${VERSIONS.vitest}`,
    `fast-check@${VERSIONS["fast-check"]}`,
    // vitest 5 wants the types of Node 22 or later.
    "@types/node@22",
  ]
  execFileSync("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error", ...wanted], {
    cwd: deps,
    env,
    stdio: "inherit",
  })
}

// To try a file on the edition before it joins the list.
const named = process.argv.slice(2)
const files: ReadonlyArray<string> =
  named.length > 0
    ? named
    : JSON.parse(fs.readFileSync(path.join(import.meta.dirname, "both-editions.json"), "utf8")).files
const tree = fs.mkdtempSync(path.join(os.tmpdir(), "courier-edition4-test-"))
try {
  makeTree(tree, { tests: true, examples: true })
  const modules = path.join(tree, "node_modules")
  // One effect for the tree and for @effect/vitest, which resolves it from where it is installed.
  fs.rmSync(path.join(modules, "effect"))
  fs.symlinkSync(path.join(deps, "node_modules", "effect"), path.join(modules, "effect"))
  fs.mkdirSync(path.join(modules, "@effect"), { recursive: true })
  fs.symlinkSync(path.join(deps, "node_modules", "@effect", "vitest"), path.join(modules, "@effect", "vitest"))
  fs.symlinkSync(path.join(deps, "node_modules", "vitest"), path.join(modules, "vitest"))
  fs.symlinkSync(path.join(deps, "node_modules", "fast-check"), path.join(modules, "fast-check"))
  fs.symlinkSync(path.join(repo, "packages", "node-transport", "node_modules", "undici"), path.join(modules, "undici"))
  fs.writeFileSync(
    path.join(tree, "vitest.config.ts"),
    'import { defineConfig } from "vitest/config"\n' +
      "export default defineConfig({ test: { testTimeout: 20_000, hookTimeout: 20_000 } })\n",
  )
  // Written once means typed once too: the files must type-check against effect 4 before they run on it.
  console.log(`### type-checking ${files.length} test files against effect ${VERSIONS.effect}`)
  const tsconfig = {
    extends: "./tsconfig.base.json",
    compilerOptions: { noEmit: true, declaration: false, types: ["node"], rootDir: ".", skipLibCheck: true },
    include: files,
  }
  fs.writeFileSync(path.join(tree, "tsconfig.tests.json"), JSON.stringify(tsconfig))
  const tsc = spawnSync(
    process.execPath,
    [path.join(repo, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.tests.json"],
    {
      cwd: tree,
      stdio: "inherit",
    },
  )
  if (tsc.status === 0) {
    console.log(
      `### ${files.length} test files on the Effect 4 edition (effect ${VERSIONS.effect}, Node ${node === process.execPath ? process.version : "22"})`,
    )
    const run = spawnSync(node, [path.join(modules, "vitest", "vitest.mjs"), "run", ...files], {
      cwd: tree,
      env,
      stdio: "inherit",
    })
    process.exitCode = run.status ?? 1
  } else {
    console.error("### the test files do not type-check against effect 4 (above)")
    process.exitCode = 1
  }
} finally {
  fs.rmSync(tree, { recursive: true, force: true })
}
