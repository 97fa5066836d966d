#!/usr/bin/env bash
# The waiting room's SQL benchmark (part of `make bench`): builds and
# installs the extension, starts a throw-away PostgreSQL 15 with the options
# of bench/run.sh (pg_cron loaded, fsync on as in production; BENCH_FSYNC=off
# measures without flushes) and runs bench/queue/in-cluster.sh in it.
# -t: a temporary cluster directory and port, clear of other clusters.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash scripts/build-install.sh
exec pg_virtualenv -t -v 15 \
  -o shared_preload_libraries=pg_cron,boxoffice \
  -o cron.database_name=bench \
  -o max_connections=200 \
  -o timezone=UTC \
  -o fsync="${BENCH_FSYNC:-on}" \
  bash bench/queue/in-cluster.sh
