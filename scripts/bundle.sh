#!/usr/bin/env bash
# `make build`'s second step: the CLI bundled by esbuild into dist/bundle/ (ldirectord.js, which
# bin/ldirectord runs, and chunks for what is imported lazily: verbs, check kinds), so a start reads a
# few files rather than ~280 modules. One single file was measured too: ~7 MB more resident at start.
# Native addons and the database/LDAP clients (loaded only by their checks) stay in node_modules;
# prom-client too (loaded only with metrics=, through createRequire, which esbuild leaves alone).
# `require` is defined for the CommonJS packages bundled in (winston, chokidar's deps).
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf dist/bundle dist/ldirectord.js
exec node_modules/.bin/esbuild src/cli.ts --bundle --platform=node --format=esm --target=node20 \
  --minify-whitespace --minify-syntax --log-level=warning \
  --external:netlink --external:oracledb --external:mysql2 --external:pg --external:ldapts --external:prom-client \
  --banner:js="import { createRequire as __ldRequire } from 'node:module'; const require = __ldRequire(import.meta.url);" \
  --splitting --outdir=dist/bundle --entry-names=ldirectord --chunk-names=[name]-[hash]
