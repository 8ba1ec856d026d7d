#!/usr/bin/env bash
# Installs the npm packages exactly as package-lock.json pins them, then compiles src/ to dist/
# (scripts/build.js), which `crucible` runs. Idempotent: a second run with an unchanged lock file
# and unchanged sources does nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
stamp=node_modules/.crucible-lock.sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "setup: installing npm packages (npm ci)" >&2
  npm ci --no-audit --no-fund --loglevel=error >&2
  echo "$want" > "$stamp"
fi
node scripts/build.js
