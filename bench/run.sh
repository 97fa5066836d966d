#!/usr/bin/env bash
# `make bench`: builds and installs the extension, starts a throw-away
# PostgreSQL 15 (pg_cron loaded, as in production) and runs
# bench/in-cluster.sh in it. BENCH_SECONDS sets the length of each run.
# -t: a temporary cluster directory, so a `make test` running at the same
# time (cluster "regress" under /etc/postgresql) does not clash with it.
# pg_virtualenv turns fsync off; we turn it back on, as in production (every
# commit waits for its flush). BENCH_FSYNC=off measures without flushes.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build-install.sh
exec pg_virtualenv -t -v 15 \
  -o shared_preload_libraries=pg_cron,boxoffice \
  -o cron.database_name=bench \
  -o max_connections=200 \
  -o timezone=UTC \
  -o fsync="${BENCH_FSYNC:-on}" \
  bash bench/in-cluster.sh
