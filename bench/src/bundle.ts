/**
 * How the benchmark's processes are bundled: one ESM file per entry point for Node 20 (CommonJS dependencies
 * required), into `bench/dist`, so no measured process pays for compiling TypeScript on the fly.
 */
import { build } from "esbuild"

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
