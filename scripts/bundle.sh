#!/usr/bin/env bash
# `make build`'s second step: the CLI as one ESM file, dist/ldirectord.js, which bin/ldirectord runs.
# Native addons and the database/LDAP clients (loaded only by their checks) stay in node_modules;
# prom-client too (loaded only with metrics=, through createRequire, which esbuild leaves alone).
# `require` is defined for the CommonJS packages bundled in (winston, chokidar's deps).
set -euo pipefail
cd "$(dirname "$0")/.."
exec node_modules/.bin/esbuild src/cli.ts --bundle --platform=node --format=esm --target=node20 \
  --minify-whitespace --minify-syntax --log-level=warning \
  --external:netlink --external:oracledb --external:mysql2 --external:pg --external:ldapts --external:prom-client \
  --banner:js="import { createRequire as __ldRequire } from 'node:module'; const require = __ldRequire(import.meta.url);" \
  --outfile=dist/ldirectord.js
