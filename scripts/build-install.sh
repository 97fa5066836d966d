#!/usr/bin/env bash
# Builds the extension and installs it into the local PostgreSQL 15, then
# builds the HTTP shim and the C++ tests (build/cmake). Says what it is doing:
# the first build takes a minute or two.
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
step() { echo "  $(date +%H:%M:%S) $*"; }
step "compiling the extension (C++, PGXS)"
make -s -j2 PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config
step "installing it into PostgreSQL 15"
$SUDO make -s install PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config >/dev/null
step "compiling boxoffice-http and the C++ tests (CMake)"
cmake -S . -B build/cmake -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/cmake -j2 -- --no-print-directory >/dev/null
step "built"
