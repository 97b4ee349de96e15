#!/usr/bin/env bash
# The packages as users get them: pack each one from a tree with no build output (the prepack step
# builds ESM and CommonJS), install the tarballs in a fresh folder with npm, then import every entry point
# and require it from CommonJS, run a request over the node transport and a mock, check that internal
# modules are not exported, check that beside effect 4 loading stops at effect-major.js, and run the courier
# command from its tarball with npx.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
rm -rf packages/*/dist
out=$(mktemp -d)
for pkg in core node-transport mock-transport cli; do
  (cd "packages/$pkg" && npx --yes pnpm@10.34.9 pack --pack-destination "$out" >/dev/null)
done
app=$(mktemp -d)
cd "$app"
cat > package.json <<'JSON'
{ "name": "courier-pack-check", "private": true, "type": "module" }
JSON
effect=$(node -p "require('$root/packages/core/package.json').devDependencies.effect")
platform=$(node -p "require('$root/packages/core/package.json').devDependencies['@effect/platform']")
types_node=$(node -p "require('$root/package.json').devDependencies['@types/node']")
npm install --no-audit --no-fund --loglevel=error "$out"/courier-core-*.tgz "$out"/courier-node-transport-*.tgz \
  "$out"/courier-mock-transport-*.tgz "effect@$effect" "@effect/platform@$platform" "@types/node@$types_node" >/dev/null
cat > smoke.mjs <<'JS'
import * as http from "node:http"
import { Client, Request, Response, VERSION } from "@courier/core"
import * as Platform from "@courier/core/Platform"
import { NodeTransport } from "@courier/node-transport"
import { MockTransport } from "@courier/mock-transport"
import { Effect, Layer } from "effect"

const server = http.createServer((req, res) => res.end(`hello ${req.url}`))
await new Promise((r) => server.listen(0, "127.0.0.1", r))
const url = `http://127.0.0.1:${server.address().port}/packed`
const real = await Effect.runPromise(
  Effect.flatMap(Client.get(url), Response.text).pipe(Effect.provide(NodeTransport.client())),
)
if (real !== "hello /packed") throw new Error(`node transport: ${real}`)
const mocked = await Effect.runPromise(
  Effect.flatMap(Client.fetch(Request.get("http://mock.test/x")), Response.text).pipe(
    Effect.provide(Client.layer().pipe(Layer.provide(MockTransport.layer([{ path: "/x", reply: { status: 200, text: "mocked" } }])))),
  ),
)
if (mocked !== "mocked") throw new Error(`mock transport: ${mocked}`)
if (typeof Platform.httpClient !== "function") throw new Error("Platform entry point")
let hidden = false
try {
  await import("@courier/core/internal/pool.js")
} catch (e) {
  hidden = e.code === "ERR_PACKAGE_PATH_NOT_EXPORTED"
}
if (!hidden) throw new Error("internal modules must not be exported")
server.close()
console.log(`pack check: @courier/core ${VERSION} and friends install, import and run from their tarballs`)
JS
node smoke.mjs
cp "$root/scripts/lib/smoke.cjs" smoke.cjs
node smoke.cjs "pack check"

# The types as each kind of project resolves them: NodeNext from ESM and from CommonJS (the `import` and
# `require` conditions), a bundler, and classic `node` resolution with `"module": "commonjs"`, which reads
# `main`, `types` and `typesVersions` rather than `exports`.
cat > consumer.ts <<'TS'
import { Cache, Client, Request, Response } from "@courier/core"
import * as Platform from "@courier/core/Platform"
import { MockTransport } from "@courier/mock-transport"
import { NodeTransport } from "@courier/node-transport"
import { Effect } from "effect"

const program: Effect.Effect<string, unknown, Client.Client> = Effect.flatMap(Client.get("http://x.test/"), Response.text)
const layers = [NodeTransport.client({ cache: true }), MockTransport.layer([{ path: "/", reply: { status: 200 } }])]
export const all = [program, layers, Platform.httpClient, Cache.memory, Request.get] as const
TS
source "$root/scripts/lib/consumer-types.sh"
consumer_types "$root/node_modules/.bin/tsc" "pack check" consumer.ts
echo "pack check: the types resolve under NodeNext (ESM and CommonJS), Bundler and classic node resolution"

# Beside effect 4, installed as pnpm does (warning of the unmet peer): loading stops at effect-major.js.
source "$root/scripts/lib/other-major.sh"
other_major "pack check" "$out" "$(node -p "require('$root/scripts/edition4/versions.json').effect")"

# The courier command from its tarball, as npx runs it on a machine with only Node and npm: installed with
# its two Courier tarballs (effect comes from the registry), started as compiled JavaScript, no tsx.
cli=$(mktemp -d)
cd "$cli"
start=$(date +%s%N)
help=$(npx --yes --package "$out"/courier-core-*.tgz --package "$out"/courier-node-transport-*.tgz \
  --package "$out"/courier-cli-*.tgz -- courier --help)
case "$help" in
  "Usage: courier [options...] METHOD URL"*) ;;
  *) echo "pack check: courier --help printed: $help" >&2; exit 1 ;;
esac
cd "$app"
npm install --no-audit --no-fund --loglevel=error "$out"/courier-cli-*.tgz >/dev/null
before=$(date +%s%N)
node_modules/.bin/courier --help >/dev/null
after=$(date +%s%N)
echo "pack check: npx runs courier --help from the tarballs ($(( (before - start) / 1000000 )) ms with the install); installed, it starts in $(( (after - before) / 1000000 )) ms"
