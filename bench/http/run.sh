#!/usr/bin/env bash
# The HTTP benchmark: boxoffice-http under wrk against a direct libpq client
# making the same calls (bench_direct), in one throw-away PostgreSQL 15.
# Builds and installs first (as root, or with sudo). About 2 minutes.
#   bash bench/http/run.sh
# Settings: see bench/http/in-cluster.sh (BENCH_HTTP_SECONDS, ..._POOL_SIZE, ...).
# -t: a temporary cluster directory, so a `make test` (cluster "regress" under
# /etc/postgresql) running at the same time does not clash with it.
# pg_virtualenv turns fsync off; BENCH_FSYNC=on measures with real flushes.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash scripts/install-deps.sh
bash scripts/build-install.sh
# bounded: a hung run is killed after 10 minutes
exec timeout --signal=TERM --kill-after=30 600 \
  pg_virtualenv -t -v 15 \
  -o max_connections=300 \
  -o timezone=UTC \
  -o fsync="${BENCH_FSYNC:-off}" \
  bash bench/http/in-cluster.sh
