#!/usr/bin/env bash
# `make test`: builds and installs the extension, starts a throw-away
# PostgreSQL 15 with pg_cron, and runs every suite in it:
#   pg_regress (sql/ + expected/), isolation (specs/), pgTAP (test/pgtap/),
#   and the stress test (test/stress/).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build-install.sh
# -t: the cluster's configuration lives in a temporary directory, so two runs
# (or a benchmark) never clash. boxoffice is preloaded, as in production: it
# keeps the guest look-up lockout in shared memory.
exec pg_virtualenv -t -v 15 \
  -o shared_preload_libraries=pg_cron,boxoffice \
  -o cron.database_name=boxoffice_test -o cron.use_background_workers=on \
  -o max_connections=120 \
  -o timezone=UTC \
  bash scripts/test-suites.sh
