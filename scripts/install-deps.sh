#!/usr/bin/env bash
# Installs, from Debian's packages, everything boxoffice needs to build, run,
# test and benchmark. Does nothing when all of it is already there.
set -euo pipefail

PACKAGES=(
  make g++                      # the extension is C++ built with PGXS
  postgresql-15                 # the server, pgcrypto, pgbench
  postgresql-server-dev-15      # PGXS and server headers
  postgresql-client-15          # psql, pg_regress, pg_isolation_regress
  postgresql-15-cron            # schedules the expiry sweep
  postgresql-15-pgtap pgtap     # pgTAP and pg_prove
  cmake pkg-config              # the shim's build
  libcpp-httplib-dev libpq-dev nlohmann-json3-dev libssl-dev  # the shim: HTTP, libpq, JSON, base64
  libjwt-dev                    # the shim: signs and verifies its HS256 tokens
  libgtest-dev                  # C++ unit and HTTP tests
  wrk curl jq                   # the HTTP benchmark, the README's walkthroughs
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "installing: ${missing[*]}"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# Debian's postgresql package starts a cluster of its own; boxoffice does not use it.
