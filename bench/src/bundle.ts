/**
 * How the benchmark's processes are bundled: one ESM file per entry point for Node 20 (CommonJS dependencies
 * required), into `bench/dist`, so no measured process pays for compiling TypeScript on the fly.
 */
import { build } from "esbuild"
import { makeTree } from "../../scripts/edition4/tree.js"

export const dist = new URL("../dist/", import.meta.url).pathname

export const bundling = {
  outdir: dist,
  outExtension: { ".js": ".mjs" },
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  logLevel: "warning",
  banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
} as const

/** The client (one run of one workload) and the upload sink, bundled from today's sources. */
export const bundle = () =>
  build({
    ...bundling,
    entryPoints: {
      client: new URL("./client.ts", import.meta.url).pathname,
      sink: new URL("./sink.ts", import.meta.url).pathname,
    },
  })

/** The suffix of a client run on the Effect 4 edition (`courier (one-call fibers) [Effect 4]`). */
export const EFFECT4 = " [Effect 4]"

/** The client bundled from the Effect 4 edition's tree, as `client-effect4.mjs`: Courier and the floor on effect 4. */
export const bundleEffect4 = async () => {
  const repo = new URL("../../", import.meta.url).pathname
  const tree = `${repo}.cache/edition4/bench-tree`
  makeTree(tree, { bench: true })
  await build({
    ...bundling,
    entryPoints: { "client-effect4": `${tree}/bench/src/client.ts` },
    nodePaths: [`${repo}bench/node_modules`],
  })
}
