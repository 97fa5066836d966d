#!/usr/bin/env bash
# Builds the extension and installs it into the local PostgreSQL 15, then
# builds the HTTP shim and the C++ tests (build/cmake).
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
make -s -j2 PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config
$SUDO make -s install PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config >/dev/null
cmake -S . -B build/cmake -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/cmake -j2 -- --no-print-directory >/dev/null
