# Sourced by the pack checks: `consumer_types <tsc> <label> <consumer.ts> [node10-consumer.ts]` type-checks a
# consumer of the installed packages as each kind of project resolves them: NodeNext from ESM and from
# CommonJS (the `import` and `require` conditions), a bundler, and classic `node` resolution with
# `"module": "commonjs"`, which reads `main`, `types` and `typesVersions` rather than `exports` (with its own
# consumer when given: effect 4 itself has no types for classic resolution).
consumer_types() {
  local tsc=$1 label=$2 consumer=$3 node10=${4:-$3}
  for kind in nodenext-esm nodenext-cjs bundler node10; do
    mkdir -p "types-$kind"
    if [ "$kind" = node10 ]; then cp "$node10" "types-$kind/consumer.ts"; else cp "$consumer" "types-$kind/consumer.ts"; fi
    case $kind in
      nodenext-esm) type=module; options='"module": "nodenext", "moduleResolution": "nodenext"' ;;
      nodenext-cjs) type=commonjs; options='"module": "nodenext", "moduleResolution": "nodenext"' ;;
      bundler) type=module; options='"module": "esnext", "moduleResolution": "bundler"' ;;
      node10) type=commonjs; options='"module": "commonjs", "moduleResolution": "node"' ;;
    esac
    echo "{ \"type\": \"$type\" }" > "types-$kind/package.json"
    echo "{ \"compilerOptions\": { $options, \"target\": \"es2022\", \"strict\": true, \"exactOptionalPropertyTypes\": true, \"noEmit\": true, \"skipLibCheck\": true, \"types\": [\"node\"] }, \"files\": [\"consumer.ts\"] }" \
      > "types-$kind/tsconfig.json"
    "$tsc" -p "types-$kind" || { echo "$label: the types do not resolve for $kind" >&2; return 1; }
  done
}
