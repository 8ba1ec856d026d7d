#!/usr/bin/env bash
# The demo on a fresh clone: installs what it needs (npm packages, the trainer's Python
# environment), then runs `crucible demo`. Extra arguments go to the demo, e.g. --fast or --json.
#   bash scripts/demo.sh [--fast]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-node.sh
bash scripts/setup-python.sh
exec node bin/crucible.js demo "$@"
