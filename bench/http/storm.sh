#!/usr/bin/env bash
# The on-sale storm: 10,000 logged-in buyers, arriving within 1 s, try to buy
# the 1,000 seats of one performance over HTTP, through the front (nginx and
# 2 boxoffice-http, as make run starts them; STORM_FRONT=0: one shim alone),
# without and then with the waiting room, in one throw-away PostgreSQL 15.
# Builds and installs first (as root, or with sudo). About 3 minutes; killed after 5.
#   bash bench/http/storm.sh
# Settings: see bench/http/storm-in-cluster.sh (STORM_BUYERS, STORM_CONNECTIONS, ...).
# -t: a temporary cluster directory; pg_virtualenv turns fsync off
# (BENCH_FSYNC=on measures with real flushes).
set -euo pipefail
cd "$(dirname "$0")/../.."
bash scripts/install-deps.sh
bash scripts/build-install.sh
# sockets: up to STORM_CONNECTIONS on each side of loopback, plus the pool
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
# bounded: the cluster, the shim and both runs are killed after 5 minutes
exec timeout --signal=TERM --kill-after=20 300 \
  pg_virtualenv -t -v 15 \
  -o max_connections=100 \
  -o timezone=UTC \
  -o fsync="${BENCH_FSYNC:-off}" \
  bash bench/http/storm-in-cluster.sh
