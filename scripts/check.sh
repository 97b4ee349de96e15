#!/usr/bin/env bash
# The checks CI runs, for use before a commit: typecheck, lint and format, tests.
set -euo pipefail
cd "$(dirname "$0")/.."
npx --yes pnpm@10.34.9 typecheck
npx --yes pnpm@10.34.9 lint
npx --yes pnpm@10.34.9 test
