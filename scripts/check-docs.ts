/**
 * Checks the public API's documentation: every public module (packages/*\/src/*.ts, not internal/) opens
 * with a paragraph that says what it is for, and every export has a sentence of prose, `@since` and
 * `@category`. Prints each gap and exits 1 if there is any. Run by `pnpm run docs`, which CI runs.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import ts from "typescript"

const root = path.resolve(import.meta.dirname, "..")
const files = ["core", "node-transport", "mock-transport"].flatMap((pkg) => {
  const dir = path.join(root, "packages", pkg, "src")
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".ts") && f !== "index.ts")
    .map((f) => path.join(dir, f))
})

const problems: Array<string> = []
const where = (file: string, node: ts.Node, sf: ts.SourceFile) =>
  `${path.relative(root, file)}:${sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1}`

const isExported = (node: ts.Node): boolean =>
  (ts.canHaveModifiers(node) && ts.getModifiers(node)?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword)) === true

const check = (file: string, node: ts.Node, name: string, sf: ts.SourceFile) => {
  const docs = ts.getJSDocCommentsAndTags(node).filter(ts.isJSDoc)
  const doc = docs.at(-1)
  if (doc === undefined) return problems.push(`${where(file, node, sf)} ${name}: no doc comment`)
  const prose = typeof doc.comment === "string" ? doc.comment : (doc.comment ?? []).map((c) => c.text).join("")
  const tags = (doc.tags ?? []).map((t) => t.tagName.text)
  if (prose.trim() === "" && !tags.includes("internal")) problems.push(`${where(file, node, sf)} ${name}: no prose`)
  if (!tags.includes("since")) problems.push(`${where(file, node, sf)} ${name}: no @since`)
  if (!tags.includes("category")) problems.push(`${where(file, node, sf)} ${name}: no @category`)
  return undefined
}

for (const file of files) {
  const sf = ts.createSourceFile(file, fs.readFileSync(file, "utf8"), ts.ScriptTarget.Latest, true)
  const head = sf.getFullText().slice(0, sf.statements[0]?.getStart(sf) ?? 0)
  if (!/\/\*\*[\s\S]*\S[\s\S]*@since/.test(head))
    problems.push(`${path.relative(root, file)}: no module doc with @since`)
  for (const statement of sf.statements) {
    if (!isExported(statement)) continue
    if (ts.isVariableStatement(statement)) {
      for (const d of statement.declarationList.declarations) check(file, statement, d.name.getText(sf), sf)
    } else if (
      ts.isFunctionDeclaration(statement) ||
      ts.isClassDeclaration(statement) ||
      ts.isInterfaceDeclaration(statement) ||
      ts.isTypeAliasDeclaration(statement)
    ) {
      check(file, statement, statement.name?.getText(sf) ?? "(default)", sf)
    }
  }
}

if (problems.length > 0) {
  process.stderr.write(`${problems.join("\n")}\n${problems.length} documentation gap(s)\n`)
  process.exit(1)
}
process.stdout.write(`docs: ${files.length} public modules, every export documented\n`)
