#!/usr/bin/env bash
# Runs inside the throw-away cluster of scripts/test.sh (PG* variables set).
set -uo pipefail
cd "$(dirname "$0")/.."
export PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config
passed=0 failed=0
suite() {
  local name=$1; shift
  echo "=== $name"
  if "$@"; then passed=$((passed + 1)); echo "=== $name: ok"
  else failed=$((failed + 1)); echo "=== $name: FAILED"; fi
}
suite "pg_regress and isolation" bash -c 'make -s installcheck || { for f in build/regress/regression.diffs build/isolation/regression.diffs; do [ -s "$f" ] && { echo "--- $f"; head -300 "$f"; }; done; exit 1; }'

createdb boxoffice_test
psql -q -d boxoffice_test -v ON_ERROR_STOP=1 -c 'CREATE EXTENSION pg_cron; CREATE EXTENSION pgtap; CREATE EXTENSION boxoffice CASCADE;'
suite "pgTAP" pg_prove -d boxoffice_test --ext .sql test/pgtap/
suite "stress" bash test/stress/run.sh boxoffice_test

echo
echo "suites: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
