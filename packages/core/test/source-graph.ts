// The import graph of a package's sources, read as text, for the layering tests of core and node-transport.
import * as fs from "node:fs"
import * as path from "node:path"

/** Every .ts file below `dir`. */
export const files = (dir: string): Array<string> =>
  fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) =>
      e.isDirectory() ? files(path.join(dir, e.name)) : e.name.endsWith(".ts") ? [path.join(dir, e.name)] : [],
    )

export interface Import {
  readonly specifier: string
  /** The file a relative import names; undefined for a package. */
  readonly target: string | undefined
  /** `import type`: erased at run time. */
  readonly typeOnly: boolean
}

/** The imports of one file. */
export const importsOf = (file: string): Array<Import> =>
  [...fs.readFileSync(file, "utf8").matchAll(/import(\s+type)?[^"]*?from\s*"([^"]+)"/g)].map((m) => {
    const specifier = m[2] as string
    return {
      specifier,
      target: specifier.startsWith(".")
        ? path.resolve(path.dirname(file), specifier.replace(/\.js$/, ".ts"))
        : undefined,
      typeOnly: m[1] !== undefined,
    }
  })

/** Every file below `dir` with its imports. */
export const graphOf = (dir: string): Map<string, Array<Import>> => new Map(files(dir).map((f) => [f, importsOf(f)]))

/** An import of a file of the same package. */
export interface LocalImport extends Import {
  readonly target: string
}

/** Every file below `dir` with its imports of files of the same package. */
export const localGraphOf = (dir: string): Map<string, Array<LocalImport>> =>
  new Map(
    [...graphOf(dir)].map(([file, imports]) => [file, imports.filter((i): i is LocalImport => i.target !== undefined)]),
  )
