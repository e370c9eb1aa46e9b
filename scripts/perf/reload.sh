#!/bin/sh
# Compiles and runs scripts/perf/reload.ts (a host micro-measure, not a test). Usage: reload.sh [N] [reloads] | reload.sh pieces [N] [reps]
set -e
cd "$(dirname "$0")/../.."
out=dist/perf  # inside the checkout, so the compiled files find node_modules
script=reload
if [ "$1" = pieces ]; then script=pieces; shift; fi
npx tsc --outDir "$out" --rootDir . --module nodenext --moduleResolution nodenext --target es2022 \
  --strict --skipLibCheck --types node "scripts/perf/$script.ts"
exec node "$out/scripts/perf/$script.js" "$@"
