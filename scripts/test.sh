#!/usr/bin/env bash
# Every test of the project: installs what it needs, then typecheck, lint, TypeScript tests,
# Python lint and tests. Ends with one line `N passed, N failed` over all of them (each static
# check counts as one).
#   bash scripts/test.sh
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-node.sh || exit 1
bash scripts/setup-python.sh || exit 1

reports=$(mktemp -d)
trap 'rm -rf "$reports"' EXIT
checks_passed=0
checks_failed=0
check() {
  local name=$1; shift
  echo "== $name: $*"
  if "$@"; then
    checks_passed=$((checks_passed + 1))
  else
    echo "!! $name failed" >&2
    checks_failed=$((checks_failed + 1))
  fi
}

check typecheck npx tsc --noEmit -p tsconfig.json
check lint npx biome check .
check ruff .venv/bin/ruff check trainer
check ruff-format .venv/bin/ruff format --check trainer

echo "== TypeScript tests (vitest)"
npx vitest run --reporter=default --reporter=json --outputFile.json="$reports/vitest.json"
echo "== Python tests (pytest)"
.venv/bin/python -m pytest trainer/tests -q --junitxml="$reports/pytest.xml"

node scripts/summarise-tests.js "$reports/vitest.json" "$reports/pytest.xml" "$checks_passed" "$checks_failed"
