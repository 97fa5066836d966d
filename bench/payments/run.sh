#!/usr/bin/env bash
# Part of `make bench`: a purchase (hold a seat, pay it with points, which
# confirms it) at 64 connections on a 5,000-seat performance, boxoffice
# against the seed-style baseline, in one throw-away PostgreSQL 15 with fsync
# on (every commit waits for its flush). BENCH_SECONDS: seconds per system.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash scripts/build-install.sh
exec pg_virtualenv -t -v 15 \
  -o shared_preload_libraries=pg_cron,boxoffice \
  -o cron.database_name=bench \
  -o max_connections=200 \
  -o timezone=UTC \
  -o fsync="${BENCH_FSYNC:-on}" \
  bash bench/payments/in-cluster.sh
