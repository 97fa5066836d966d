#!/usr/bin/env bash
# Part of `make bench`: purchases through boxoffice-http (hold, then pay with
# points; and by card against the fake gateway answering in 50 ms) against a
# direct libpq client making the same SQL calls and against the seed-style
# baseline, in one throw-away PostgreSQL 15 with fsync on. As root, or with
# sudo. About 2 minutes after the build; killed after 10 minutes if it hangs.
#   bash bench/payments/http.sh
# Settings: see bench/payments/http-in-cluster.sh. BENCH_SKIP_BUILD=1 skips
# scripts/install-deps.sh and scripts/build-install.sh (the extension and
# build/cmake must then be there already).
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ "${BENCH_SKIP_BUILD:-0}" != 1 ]; then
  bash scripts/install-deps.sh
  bash scripts/build-install.sh
fi
exec timeout --signal=TERM --kill-after=30 600 \
  pg_virtualenv -t -v 15 \
  -o shared_preload_libraries=pg_cron,boxoffice \
  -o cron.database_name=bench \
  -o max_connections=200 \
  -o timezone=UTC \
  -o fsync="${BENCH_FSYNC:-on}" \
  bash bench/payments/http-in-cluster.sh
