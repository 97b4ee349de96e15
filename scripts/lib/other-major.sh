# Sourced by the pack checks: `other_major <label> <tarballs> <effect version>` installs Courier's tarballs
# beside the other major of effect as pnpm does by default (it warns of the unmet peer and installs it;
# npm with --legacy-peer-deps does the same), then loads each package's main entry point from ESM and from
# CommonJS and checks that loading stops at the edition's effect-major.js, the file whose name says what is
# wrong, and not at whichever module of Courier happens to need a part of effect the other major lacks. ESM
# names that file in the error's message ("imported from …"); CommonJS in its stack, the line an uncaught
# error points at.
# (`@courier/core/Platform` stops at its own first import of the interop library, `@effect/platform` or
# `effect/http`, which the other major does not have: ESM resolves an entry's own imports first.)
other_major() {
  local label=$1 out=$2 effect=$3 dir first=""
  dir=$(mktemp -d)
  (
    cd "$dir"
    echo '{ "name": "courier-other-major", "private": true }' > package.json
    npm install --no-audit --no-fund --loglevel=error --legacy-peer-deps "$out"/courier-core-*.tgz \
      "$out"/courier-node-transport-*.tgz "$out"/courier-mock-transport-*.tgz "effect@$effect" >/dev/null
  )
  for entry in @courier/core @courier/node-transport @courier/mock-transport; do
    for how in import require; do
      local message
      message=$(cd "$dir" && node -e '
        const [how, entry] = process.argv.slice(1)
        const loaded = () => { console.log("loaded"); process.exit(0) }
        if (how === "import") import(entry).then(loaded, (e) => console.log(e.stack))
        else { try { require(entry); loaded() } catch (e) { console.log(e.stack) } }' "$how" "$entry")
      case "$message" in
        *effect-major.js*) first=${first:-$(echo "$message" | head -1)} ;;
        *) echo "$label: $how of $entry beside effect $effect did not stop at effect-major.js: $message" >&2
           rm -rf "$dir"; return 1 ;;
      esac
    done
  done
  rm -rf "$dir"
  echo "$label: beside effect $effect (an unmet peer, installed), each package stops at effect-major.js: $first"
}
