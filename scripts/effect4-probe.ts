/**
 * `pnpm probe:effect4`: how far core's source is from compiling against Effect 4 (issue 24). It installs
 * `effect` 4 (EFFECT4_VERSION, 4.1.5 by default) from the npm registry into .cache/effect4 once, copies
 * packages/core/src into a temporary folder with each module spelled per edition (`x.effect4.ts`) put in
 * place of its Effect 3 spelling (`x.ts`), type-checks the copy with `effect` resolving to version 4 and everything else
 * as in the repo, and prints the errors per layer and the Effect 3 names that Effect 4 does not have. It
 * changes nothing. It measures the distance for the edition's plan; with `--require a,b` it also fails when
 * a layer named there (`internal/http1`, `internal/engine` …) has an error, which is how CI keeps a layer
 * that compiles on both majors from sliding back. EFFECT4_SHOW=<layer> prints that layer's errors.
 */
import { execFileSync, spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"

const repo = path.resolve(import.meta.dirname, "..")
const version = process.env.EFFECT4_VERSION ?? "4.1.5"
const cache = path.join(repo, ".cache", "effect4", version)
// Outside the repo: inside it, a module Effect 4 lacks would resolve to the repo's Effect 3 further up.
const probe = fs.mkdtempSync(path.join(os.tmpdir(), "courier-effect4-probe-"))

const install = () => {
  const installed = path.join(cache, "node_modules", "effect", "package.json")
  if (fs.existsSync(installed)) return
  fs.mkdirSync(cache, { recursive: true })
  execFileSync(
    "npm",
    ["install", "--no-save", "--no-audit", "--no-fund", "--loglevel=error", "--prefix", cache, `effect@${version}`],
    {
      stdio: "inherit",
    },
  )
}

/** A copy of core's source whose `effect` is version 4 and whose other packages are the repo's. */
const prepare = () => {
  fs.mkdirSync(path.join(probe, "node_modules", "@types"), { recursive: true })
  fs.cpSync(path.join(repo, "packages", "core", "src"), path.join(probe, "src"), { recursive: true })
  // Each module spelled per edition (`x.effect4.ts` beside `x.ts`) takes its Effect 4 spelling.
  for (const file of fs.readdirSync(path.join(probe, "src"), { recursive: true, encoding: "utf8" })) {
    if (!file.endsWith(".effect4.ts")) continue
    const from = path.join(probe, "src", file)
    fs.renameSync(from, from.replace(/\.effect4\.ts$/, ".ts"))
  }
  const core = path.join(repo, "packages", "core", "node_modules")
  fs.symlinkSync(path.join(cache, "node_modules", "effect"), path.join(probe, "node_modules", "effect"))
  for (const dep of ["tough-cookie", "@noble"])
    fs.symlinkSync(path.join(core, dep), path.join(probe, "node_modules", dep))
  fs.symlinkSync(path.join(repo, "node_modules", "@types", "node"), path.join(probe, "node_modules", "@types", "node"))
  fs.writeFileSync(path.join(probe, "package.json"), '{ "type": "module" }\n')
  // Platform.ts is the @effect/platform interop, which Effect 4 replaces with effect/http: not ported, not counted.
  const tsconfig = {
    extends: path.join(repo, "tsconfig.base.json"),
    compilerOptions: { noEmit: true, types: ["node"], rootDir: "src" },
    include: ["src"],
    exclude: ["src/Platform.ts"],
  }
  fs.writeFileSync(path.join(probe, "tsconfig.json"), JSON.stringify(tsconfig, null, 2))
}

/** The layers that must have no error (`--require internal/http1,internal/engine`). */
const required = process.argv.includes("--require")
  ? (process.argv[process.argv.indexOf("--require") + 1] ?? "").split(",")
  : []

const LAYERS = ["internal/shared", "internal/http1", "internal/engine", "internal/binding", "internal/client"]

const layerOf = (file: string): string =>
  LAYERS.find((l) => file.startsWith(`src/${l}/`)) ?? (file.startsWith("src/internal/") ? "internal" : "public modules")

/** Prints what the type check found; returns how many errors are in the layers `--require` names. */
const report = (output: string): number => {
  const errors = output.split("\n").flatMap((line) => {
    const m = /^(src\/[^(]+)\(\d+,\d+\): error (TS\d+): (.*)$/.exec(line)
    return m?.[1] === undefined || m[3] === undefined ? [] : [{ file: m[1], message: m[3] }]
  })
  const files = new Set(errors.map((e) => e.file))
  const sources = fs.readdirSync(path.join(probe, "src"), { recursive: true, encoding: "utf8" })
  const total = sources.filter((f) => f.endsWith(".ts") && f !== "Platform.ts").length
  console.log(
    `effect ${version}: ${errors.length} type errors in ${files.size} of ${total} files of packages/core/src\n`,
  )
  console.log("| layer | errors | files with errors |\n| --- | ---: | ---: |")
  for (const layer of [...LAYERS, "internal", "public modules"]) {
    const here = errors.filter((e) => layerOf(e.file) === layer)
    if (here.length === 0) continue
    console.log(`| ${layer} | ${here.length} | ${new Set(here.map((e) => e.file)).size} |`)
  }
  const missing = new Map<string, number>()
  for (const { message } of errors) {
    const m =
      /^Property '(\w+)' does not exist on type 'typeof import\("[^"]*\/dist\/(\w+)"/.exec(message) ??
      /^Cannot find module '(effect\/\w+)'/.exec(message) ??
      /^(?:Module|Namespace) '"[^"]*\/dist\/(\w+)"' has no exported member '(\w+)'/.exec(message)
    if (m === null) continue
    const name =
      m[2] === undefined ? (m[1] ?? "") : message.startsWith("Property") ? `${m[2]}.${m[1]}` : `${m[1]}.${m[2]}`
    missing.set(name, (missing.get(name) ?? 0) + 1)
  }
  const shown = process.env.EFFECT4_SHOW
  if (shown !== undefined) {
    for (const e of errors.filter((e) => e.file.startsWith(`src/${shown}`))) console.log(`${e.file}: ${e.message}`)
  }
  console.log("\nEffect 3 names used here that Effect 4 does not have, most used first:\n")
  console.log(
    [...missing]
      .sort((a, b) => b[1] - a[1])
      .map(([n, c]) => `${n} (${c})`)
      .join(", "),
  )
  return errors.filter((e) => required.includes(layerOf(e.file))).length
}

install()
try {
  prepare()
  const tsc = spawnSync(process.execPath, [path.join(repo, "node_modules", "typescript", "bin", "tsc"), "-p", probe], {
    cwd: probe,
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  })
  const failing = report(tsc.stdout)
  if (failing > 0) {
    console.error(`\n${failing} errors in ${required.join(", ")}, which must compile against effect ${version}`)
    process.exitCode = 1
  }
} finally {
  fs.rmSync(probe, { recursive: true, force: true })
}
