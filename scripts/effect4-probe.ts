/**
 * `pnpm probe:effect4`: whether Courier's source compiles against Effect 4 (issue 24). It builds the Effect 4
 * edition's tree (scripts/edition4/tree.ts: the packages and the examples, each module spelled per edition
 * put in place, `effect` resolving to version 4) in a temporary folder, type-checks it, and prints the errors
 * per layer and the Effect 3 names that Effect 4 does not have. It changes nothing. With `--require a,b` it
 * fails when a layer named there (`core`, `core/internal/engine`, `node-transport`, `examples` …) has an
 * error: CI requires every layer, so nothing slides back. EFFECT4_SHOW=<layer> prints that layer's errors.
 */
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { makeTree, PACKAGES, repo, EFFECT4_VERSION as version } from "./edition4/tree.js"

// Outside the repo: inside it, a module Effect 4 lacks would resolve to the repo's Effect 3 further up.
const probe = fs.mkdtempSync(path.join(os.tmpdir(), "courier-effect4-probe-"))

/** What the probe compiles: the packages and the examples. */
const PROJECTS = [...PACKAGES.map((name) => `packages/${name}`), "examples"]

/** The edition's tree, with a tsconfig that type-checks all of it and emits nothing. */
const prepare = () => {
  makeTree(probe, { examples: true })
  const tsconfig = {
    extends: "./tsconfig.base.json",
    compilerOptions: { noEmit: true, declaration: false, types: ["node"], rootDir: "." },
    include: PROJECTS.map((p) => `${p}/src`),
  }
  fs.writeFileSync(path.join(probe, "tsconfig.json"), JSON.stringify(tsconfig, null, 2))
}

/** The layers that must have no error (`--require internal/http1,internal/engine`). */
const required = process.argv.includes("--require")
  ? (process.argv[process.argv.indexOf("--require") + 1] ?? "").split(",")
  : []

/** Core's layers, finest first; each other package is one layer, named after it. */
const LAYERS = ["internal/shared", "internal/http1", "internal/engine", "internal/binding", "internal/client"].map(
  (l) => `core/${l}`,
)

const layerOf = (file: string): string => {
  if (file.startsWith("examples/")) return "examples"
  const name = file.split("/")[1] ?? ""
  if (name !== "core") return name
  const inner = LAYERS.find((l) => file.startsWith(`packages/${l}/`))
  return inner ?? (file.startsWith("packages/core/src/internal/") ? "core/internal" : "core/public modules")
}

/** Whether a layer is one that `--require` names, itself or as part of a package named there. */
const isRequired = (layer: string): boolean => required.some((r) => layer === r || layer.startsWith(`${r}/`))

/** Prints what the type check found; returns how many errors are in the layers `--require` names. */
const report = (output: string): number => {
  const errors = output.split("\n").flatMap((line) => {
    const m = /^((?:packages|examples)\/[^(]+)\(\d+,\d+\): error (TS\d+): (.*)$/.exec(line)
    return m?.[1] === undefined || m[3] === undefined ? [] : [{ file: m[1], message: m[3], line }]
  })
  const files = new Set(errors.map((e) => e.file))
  const sources = PROJECTS.flatMap((p) =>
    fs.readdirSync(path.join(probe, p, "src"), { recursive: true, encoding: "utf8" }).map((f) => `${p}/src/${f}`),
  )
  const total = sources.filter((f) => f.endsWith(".ts")).length
  console.log(`effect ${version}: ${errors.length} type errors in ${files.size} of ${total} files of ${PROJECTS}\n`)
  console.log("| layer | errors | files with errors |\n| --- | ---: | ---: |")
  for (const layer of [...LAYERS, "core/internal", "core/public modules", ...PACKAGES.slice(1), "examples"]) {
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
    for (const e of errors.filter((e) => e.file.startsWith(shown === "examples" ? "examples" : `packages/${shown}`)))
      console.log(e.line)
  }
  console.log("\nEffect 3 names used here that Effect 4 does not have, most used first:\n")
  console.log(
    [...missing]
      .sort((a, b) => b[1] - a[1])
      .map(([n, c]) => `${n} (${c})`)
      .join(", "),
  )
  return errors.filter((e) => isRequired(layerOf(e.file))).length
}

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
