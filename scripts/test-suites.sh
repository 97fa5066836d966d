#!/usr/bin/env bash
# Runs inside the throw-away cluster of scripts/test.sh (PG* variables set):
# pg_regress and isolation (make installcheck), pgTAP (pg_prove), stress, wallet concurrency, a crash during payments,
# C++ unit tests (GoogleTest) and HTTP integration tests.
# Ends with one line counting every test: "tests: N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/.."
export PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config
log=$(mktemp -d)
passed=0 failed=0 broken=0
tally() {  # log file, pattern of a passed test, pattern of a failed test
  local p f
  p=$(grep -cE "$2" "$1"); f=$(grep -cE "$3" "$1")
  passed=$((passed + p)); failed=$((failed + f))
}
run() {  # name, log file, command...
  local name=$1 out=$2; shift 2
  echo "=== $name"
  if "$@" 2>&1 | tee "$out"; then echo "=== $name: ok"; else echo "=== $name: FAILED"; broken=$((broken + 1)); fi
}

run "pg_regress + isolation" "$log/installcheck" make -s installcheck
for f in build/regress/regression.diffs build/isolation/regression.diffs; do
  [ -s "$f" ] && { echo "--- $f"; head -300 "$f"; }
done
tally "$log/installcheck" '^(test| ) .* \.\.\. ok ' '\.\.\. FAILED'

createdb boxoffice_test
psql -q -d boxoffice_test -v ON_ERROR_STOP=1 -c 'CREATE EXTENSION pg_cron; CREATE EXTENSION pgtap; CREATE EXTENSION boxoffice CASCADE;'
run "pgTAP" "$log/pgtap" pg_prove --verbose -d boxoffice_test --ext .sql test/pgtap/
tally "$log/pgtap" '^ok [0-9]' '^not ok [0-9]'

run "stress" "$log/stress" bash test/stress/run.sh boxoffice_test
tally "$log/stress" '^ok: ' '^FAIL: '

run "wallet concurrency" "$log/wallet" bash test/wallet/run.sh boxoffice_test
tally "$log/wallet" '^ok: ' '^FAIL: '

run "crash during payments" "$log/crash" bash test/crash/run.sh boxoffice_test
tally "$log/crash" '^ok: ' '^FAIL: '

run "waiting-room simulation" "$log/simulation" bash test/simulation/run.sh boxoffice_test
tally "$log/simulation" '^ok: ' '^FAIL: '

run "upgrade" "$log/upgrade" bash test/upgrade/run.sh
tally "$log/upgrade" '^ok: ' '^FAIL: '

run "backup and restore" "$log/backup" bash test/backup/run.sh
tally "$log/backup" '^ok: ' '^FAIL: '

# C++ unit tests (the pool's need a database: this one)
export BOXOFFICE_TEST_DATABASE_URL="host=$PGHOST port=$PGPORT user=$PGUSER password=$PGPASSWORD dbname=boxoffice_test"
run "C++ unit (CTest)" "$log/unit" ctest --test-dir build/cmake -L unit --output-on-failure
tally "$log/unit" 'Test +#[0-9]+: .* Passed' 'Test +#[0-9]+: .*(\*\*\*Failed|\*\*\*Exception|Not Run|\*\*\*Timeout)'

# The README's error tables are the catalogue's (extension/sql/errors.sql).
run "README error tables" "$log/error-tables" bash -c \
  'perl scripts/error-codes.pl readme extension/sql/errors.sql README.md --check &&
   echo "ok: the README error tables are the catalogue" || echo "FAIL: the README error tables disagree with the catalogue"'
tally "$log/error-tables" '^ok: ' '^FAIL: '

run "OpenAPI lint" "$log/openapi" bash test/openapi/run.sh
tally "$log/openapi" '^ok: ' '^FAIL: '

run "HTTP" "$log/http" bash test/http/run.sh
tally "$log/http" '^\[       OK \]' '^\[  FAILED  \] [A-Za-z]'

# Outside this throw-away cluster: make run's script makes a cluster of its own.
run "README walkthroughs" "$log/readme" bash test/readme/run.sh
tally "$log/readme" '^ok: ' '^FAIL: '

rm -rf "$log"
echo
[ "$broken" -gt 0 ] && [ "$failed" -eq 0 ] && failed=$broken  # a suite that broke before counting
echo "tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$broken" -eq 0 ]
