#!/usr/bin/env bash
# The Effect 4 edition as users get it (issue 24): build and pack it (scripts/edition4/pack.ts), install the
# tarballs in a fresh folder with npm beside effect 4 and nothing else of Effect, then from ESM: the README's
# taste (a JSON login decoded with effect/Schema), a streamed download, HTTP/2 (h2c with prior knowledge),
# the mock transport, effect/http's HttpClient and HttpApiClient over Courier and Courier over effect/http's
# FetchHttpClient; the same from CommonJS; the types under NodeNext, Bundler and classic node
# resolution; the wrong major refused by npm at install, naming effect, and, installed as pnpm does
# (warning of the unmet peer), stopped at load by effect-major.js. With Node >= 22.12 at hand
# (CI fetches 22 from the npm registry, as scripts/test-node-versions.sh does), also a test that runs the
# mock transport under @effect/vitest 4.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
out=$(mktemp -d)
npx tsx scripts/edition4/pack.ts "$out" >/dev/null
effect=$(node -p "require('$root/scripts/edition4/versions.json').effect")
types_node=$(node -p "require('$root/package.json').devDependencies['@types/node']")
app=$(mktemp -d)
trap 'rm -rf "$out" "$app"' EXIT
cd "$app"
echo '{ "name": "courier-edition4-check", "private": true, "type": "module" }' > package.json
npm install --no-audit --no-fund --loglevel=error "$out"/courier-core-*.tgz "$out"/courier-node-transport-*.tgz \
  "$out"/courier-mock-transport-*.tgz "effect@$effect" "@types/node@$types_node" >/dev/null
cp "$root/scripts/edition4/smoke.mjs" smoke.mjs
node smoke.mjs
cp "$root/scripts/lib/smoke.cjs" smoke.cjs
node smoke.cjs "edition4 check"

cat > consumer.ts <<'TS'
import { Cache, Client, Request, Response } from "@courier/core"
import * as Platform from "@courier/core/Platform"
import { MockTransport } from "@courier/mock-transport"
import { NodeTransport } from "@courier/node-transport"
import { Effect, Schema } from "effect"

const User = Schema.Struct({ id: Schema.Number, name: Schema.String })
const program: Effect.Effect<{ readonly id: number; readonly name: string }, unknown, Client.Client> = Effect.flatMap(
  Client.get("http://x.test/"),
  Response.schemaJson(User),
)
const layers = [NodeTransport.client({ cache: true }), MockTransport.layer([{ path: "/", reply: { status: 200 } }])]
export const all = [program, layers, Cache.memory, Request.get, Platform.httpClient, Platform.transport] as const
TS
# effect 4 itself has no types for classic node resolution: there, only Courier's own entry points are checked.
cat > consumer-node10.ts <<'TS'
import { Client, Request, Response } from "@courier/core"
import * as Platform from "@courier/core/Platform"
import { MockTransport } from "@courier/mock-transport"
import { NodeTransport } from "@courier/node-transport"

export const all = [Client.get, Request.get, Response.text, NodeTransport.client, MockTransport.layer, Platform.httpClient] as const
TS
source "$root/scripts/lib/consumer-types.sh"
consumer_types "$root/node_modules/.bin/tsc" "edition4 check" consumer.ts consumer-node10.ts
echo "edition4 check: the types resolve under NodeNext (ESM and CommonJS) and Bundler, and Courier's under classic node resolution"

# The wrong major: the Effect 4 edition beside effect 3 is refused at install, with effect named.
mkdir wrong && cd wrong
echo '{ "name": "courier-wrong-major", "private": true }' > package.json
if npm install --no-audit --no-fund "$out"/courier-core-*.tgz "effect@3" > install.log 2>&1; then
  echo "edition4 check: npm installed the Effect 4 edition beside effect 3" >&2
  exit 1
fi
grep -q "peer effect@\"^4" install.log || { cat install.log >&2; echo "edition4 check: the refusal does not name effect ^4" >&2; exit 1; }
echo "edition4 check: beside effect 3, npm refuses the Effect 4 edition: $(grep -m1 'peer effect@' install.log | sed 's/^npm error //')"
cd ..
source "$root/scripts/lib/other-major.sh"
other_major "edition4 check" "$out" "$(node -p "require('$root/package.json').devDependencies.effect")"

# The mock transport under @effect/vitest 4, which needs vitest 5 and so Node >= 22.12.
node22=""
if node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>22||(a===22&&b>=12)?0:1)'; then
  node22=$(command -v node)
else
  pkg="node-linux-$(node -p 'process.arch')"
  bin="$root/.cache/node/22/node_modules/$pkg/bin/node"
  if [ ! -x "$bin" ]; then
    npm install --no-save --no-audit --no-fund --loglevel=error --prefix "$root/.cache/node/22" "$pkg@22" >/dev/null
  fi
  node22=$bin
fi
vitest_effect=$(node -p "require('$root/scripts/edition4/versions.json')['@effect/vitest']")
vitest=$(node -p "require('$root/scripts/edition4/versions.json').vitest")
# vitest 5 wants the types of Node 22 or later (the checks above used the types of Node 20, the oldest supported).
PATH="$(dirname "$node22"):$PATH" npm install --no-audit --no-fund --loglevel=error "@effect/vitest@$vitest_effect" \
  "vitest@$vitest" "@types/node@22" >/dev/null
cp "$root/scripts/edition4/mock.test.ts" mock.test.ts
PATH="$(dirname "$node22"):$PATH" npx vitest run mock.test.ts --reporter=dot
echo "edition4 check: the mock transport runs under @effect/vitest $vitest_effect (Node $("$node22" --version))"
