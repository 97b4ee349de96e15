/**
 * The Effect 4 edition's source tree (issue 24): Courier's packages, and optionally the examples, copied
 * into a folder with each module spelled per edition (`x.effect4.ts`) put in place of its Effect 3
 * spelling (`x.ts`), `effect` resolving to version 4 (installed from the npm registry into .cache once),
 * and every other dependency resolving to the repo's own. The probe type-checks it, the build compiles and
 * packs it, and the demo runs from it. Nothing in the repo changes.
 */
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { toEffect4 } from "./line-edits.js"

export const repo = path.resolve(import.meta.dirname, "..", "..")

/** The versions the edition is built, checked and tested against (versions.json; EFFECT4_VERSION overrides effect). */
export const VERSIONS: {
  readonly effect: string
  readonly "@effect/vitest": string
  readonly vitest: string
  /** The property tests' generator: Effect 3 re-exports it as `effect/FastCheck`, Effect 4 does not. */
  readonly "fast-check": string
} = JSON.parse(fs.readFileSync(path.join(import.meta.dirname, "versions.json"), "utf8"))

/** The `effect` the edition is built and checked against. */
export const EFFECT4_VERSION = process.env.EFFECT4_VERSION ?? VERSIONS.effect

/** The packages of the edition, in dependency order. */
export const PACKAGES = ["core", "node-transport", "mock-transport"] as const

/**
 * The Effect 4 edition's version of a package: the Effect 3 edition's, with major 1 for major 0 (the
 * package majors follow the Effect majors one step apart: 0.x needs effect 3, 1.x needs effect 4).
 */
export const editionVersion = (version: string): string => version.replace(/^0\./, "1.")

/** What only the Effect 3 edition has: the example app written against @effect/platform. */
const EFFECT3_ONLY = ["examples/src/platform-app"]

/** Installs `effect` 4 into .cache once; returns the folder it is in. */
export const installEffect4 = (): string => {
  const cache = path.join(repo, ".cache", "effect4", EFFECT4_VERSION)
  if (!fs.existsSync(path.join(cache, "node_modules", "effect", "package.json"))) {
    fs.mkdirSync(cache, { recursive: true })
    const args = ["install", "--no-save", "--no-audit", "--no-fund", "--loglevel=error", "--prefix", cache]
    execFileSync("npm", [...args, `effect@${EFFECT4_VERSION}`], { stdio: "inherit" })
  }
  return path.join(cache, "node_modules", "effect")
}

/**
 * Puts each `x.effect4.ts` in place of `x.ts` under `dir`, and rewrites each `x.ts` that has the lines its
 * Effect 3 spelling differs in beside it (`x.effect3.diff`, a guide's test file: line-edits.ts).
 */
const spellForEffect4 = (dir: string) => {
  for (const file of fs.readdirSync(dir, { recursive: true, encoding: "utf8" })) {
    const spelled = path.join(dir, file)
    if (file.endsWith(".effect4.ts")) {
      fs.renameSync(spelled, spelled.replace(/\.effect4\.ts$/, ".ts"))
    } else if (file.endsWith(".effect3.diff")) {
      const module = spelled.replace(/\.effect3\.diff$/, ".ts")
      fs.writeFileSync(module, toEffect4(fs.readFileSync(module, "utf8"), fs.readFileSync(spelled, "utf8")))
      fs.rmSync(spelled)
    }
  }
}

/** The package.json of a package's Effect 4 edition, from its Effect 3 one. */
const editionManifest = (manifest: Record<string, unknown>): Record<string, unknown> => {
  const version = editionVersion(String(manifest.version))
  const dependencies = Object.fromEntries(
    Object.entries((manifest.dependencies ?? {}) as Record<string, string>).map(([name, range]) => [
      name,
      range.startsWith("workspace:") ? version : range,
    ]),
  )
  const next: Record<string, unknown> = {
    ...manifest,
    version,
    dependencies,
    peerDependencies: { effect: `^${EFFECT4_VERSION}` },
  }
  delete next.peerDependenciesMeta
  delete next.devDependencies
  return next
}

const link = (target: string, at: string) => {
  fs.mkdirSync(path.dirname(at), { recursive: true })
  if (!fs.existsSync(at)) fs.symlinkSync(target, at)
}

export interface TreeOptions {
  /** Copy the examples too (the demo's sources). */
  readonly examples?: boolean
  /** Copy the benchmark's sources too (its client process, bundled for the Effect 4 edition's runs). */
  readonly bench?: boolean
  /** Copy each package's tests beside its sources, and the examples' tests (scripts/edition4/test.ts runs them). */
  readonly tests?: boolean
}

/** Builds the edition's tree in `dir` (emptied first). */
export const makeTree = (dir: string, options: TreeOptions = {}): void => {
  const effect = installEffect4()
  fs.rmSync(dir, { recursive: true, force: true })
  fs.mkdirSync(dir, { recursive: true })
  const modules = path.join(dir, "node_modules")
  for (const name of PACKAGES) {
    const from = path.join(repo, "packages", name)
    const to = path.join(dir, "packages", name)
    fs.cpSync(path.join(from, "src"), path.join(to, "src"), { recursive: true })
    for (const file of ["tsconfig.build.json", "tsconfig.cjs.json", "README.md"])
      fs.copyFileSync(path.join(from, file), path.join(to, file))
    const manifest = JSON.parse(fs.readFileSync(path.join(from, "package.json"), "utf8"))
    fs.writeFileSync(path.join(to, "package.json"), `${JSON.stringify(editionManifest(manifest), null, 2)}\n`)
    spellForEffect4(path.join(to, "src"))
    if (options.tests === true) {
      fs.cpSync(path.join(from, "test"), path.join(to, "test"), { recursive: true })
      spellForEffect4(path.join(to, "test"))
    }
    link(to, path.join(modules, "@courier", name))
  }
  const version = path.join(dir, "packages", "core", "src", "version.ts")
  const core = JSON.parse(fs.readFileSync(path.join(repo, "packages", "core", "package.json"), "utf8"))
  fs.writeFileSync(
    version,
    fs.readFileSync(version, "utf8").replace(`"${core.version}"`, `"${editionVersion(core.version)}"`),
  )
  if (options.examples === true) {
    fs.cpSync(path.join(repo, "examples", "src"), path.join(dir, "examples", "src"), { recursive: true })
    spellForEffect4(path.join(dir, "examples", "src"))
    link(path.join(repo, "examples", "node_modules", "@peculiar"), path.join(modules, "@peculiar"))
  }
  if (options.tests === true) {
    // The examples' tests, the guides' test files among them (each with its Effect 4 spelling where it has one).
    const to = path.join(dir, "examples", "test")
    fs.cpSync(path.join(repo, "examples", "test"), to, { recursive: true })
    spellForEffect4(to)
  }
  if (options.examples === true || options.tests === true) {
    fs.writeFileSync(path.join(dir, "examples", "package.json"), '{ "type": "module" }\n')
  }
  if (options.bench === true) {
    fs.cpSync(path.join(repo, "bench", "src"), path.join(dir, "bench", "src"), { recursive: true })
    spellForEffect4(path.join(dir, "bench", "src"))
  }
  for (const only of EFFECT3_ONLY) fs.rmSync(path.join(dir, only), { recursive: true, force: true })
  link(effect, path.join(modules, "effect"))
  const coreModules = path.join(repo, "packages", "core", "node_modules")
  for (const dep of ["tough-cookie", "@noble"]) link(path.join(coreModules, dep), path.join(modules, dep))
  link(path.join(repo, "node_modules", "@types", "node"), path.join(modules, "@types", "node"))
  fs.copyFileSync(path.join(repo, "tsconfig.base.json"), path.join(dir, "tsconfig.base.json"))
  fs.writeFileSync(path.join(dir, "package.json"), '{ "type": "module" }\n')
}
