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
  openssl ca-certificates       # the HTTP tests' gateway certificate; the authorities of an https gateway
  nginx                         # the front: connections, rate limits, load balancing over the shims
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
# Debian's nginx package enables and starts its own service (port 80, the
# default site); boxoffice runs an nginx of its own, unprivileged, from
# scripts/front.sh. Stop and disable Debian's, whether or not it started.
if printf '%s\n' "${missing[@]}" | grep -qx nginx; then
  if [ -d /run/systemd/system ] && command -v systemctl >/dev/null; then
    $SUDO systemctl disable --now nginx.service >/dev/null 2>&1 || true
  else
    $SUDO invoke-rc.d nginx stop >/dev/null 2>&1 || $SUDO /etc/init.d/nginx stop >/dev/null 2>&1 || true
    $SUDO update-rc.d nginx disable >/dev/null 2>&1 || true
  fi
  echo "installed nginx; Debian's nginx service is stopped and disabled (boxoffice starts its own)"
fi
