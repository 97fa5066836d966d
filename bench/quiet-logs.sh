#!/usr/bin/env bash
# How many lines the PostgreSQL log gains per 1,000 refused holds: a refusal
# is an answer, not an error. Measured two ways in one throw-away cluster
# (log_min_messages and log_min_error_statement at their defaults):
#   raised   hold() refusing with TK003, as 0.1.0's shim called it (an ERROR
#            with DETAIL, HINT and STATEMENT lines each time);
#   shim     POST /v1/performances/{id}/holds through boxoffice-http, which
#            holds with try_hold (NULL and a NOTICE) and answers 409.
# Both ask for a seat that a user holds. Prints one line per way.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" != --in-cluster ]; then
  bash scripts/build-install.sh >/dev/null
  exec pg_virtualenv -t -v 15 -o shared_preload_libraries=pg_cron,boxoffice -o timezone=UTC bash "$0" --in-cluster
fi
N=${QUIET_LOGS_HOLDS:-1000}
work=$(mktemp -d)
log=$(pg_lsclusters -h | awk -v v="$PGVERSION" '$1 == v && $2 == "regress" {print $7}')
lines() { grep -c "@quiet " "$log" || true; }

createdb quiet
psql -X -q -v ON_ERROR_STOP=1 -d quiet >/dev/null <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION boxoffice CASCADE;
SELECT boxoffice.create_venue('Quiet Hall', 'Seoul', ARRAY['A'], 1, 10) AS venue \gset
SELECT boxoffice.create_concert('Quiet Show', 'Tester') AS concert \gset
SELECT boxoffice.add_price_tier(:concert, 'ALL', 1000, 1, 10);
SELECT boxoffice.create_performance(:concert, :venue, now() + interval '30 days') AS perf \gset
SELECT boxoffice.publish_concert(:concert);
SELECT boxoffice.hold(:perf, ARRAY[(SELECT min(id) FROM boxoffice.seats)], boxoffice.register_user('q@example.com', 'Q', 'password-q'));
SQL
perf=$(psql -X -Atq -d quiet -c "SELECT min(id) FROM boxoffice.performances")
seat=$(psql -X -Atq -d quiet -c "SELECT min(id) FROM boxoffice.seats")

# raised: the statement 0.1.0's shim sent for a hold, N times, each refused
for _ in $(seq "$N"); do
  echo "SELECT to_jsonb(b) FROM boxoffice.hold($perf, ARRAY[$seat]::bigint[], guest_key => 'fan') b;"
done >"$work/raised.sql"
before=$(lines)
psql -X -q -d quiet -f "$work/raised.sql" >/dev/null 2>&1 || true
sleep 0.5
raised=$(( $(lines) - before ))

# shim: the same request through boxoffice-http
password=$(head -c 18 /dev/urandom | base64 | tr -d '/+=\n')
psql -X -q -d quiet -v login=boxoffice_http -v password="$password" -f scripts/http-role.sql
BOXOFFICE_JWT_SECRET=$(head -c 48 /dev/urandom | base64 | tr -d '\n') \
BOXOFFICE_DATABASE_URL="host=$PGHOST port=$PGPORT dbname=quiet user=boxoffice_http password=$password" \
  build/cmake/boxoffice-http --port 0 --port-file "$work/port" >"$work/shim.log" 2>&1 &
shim=$!
trap 'kill -TERM $shim 2>/dev/null; wait $shim 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 50); do [ -s "$work/port" ] && break; sleep 0.1; done
url="http://127.0.0.1:$(cat "$work/port")/v1/performances/$perf/holds"
before=$(lines)
for _ in $(seq "$N"); do
  curl -s -o /dev/null -w '%{http_code}\n' --json "{\"seat_ids\":[$seat]}" "$url"
done >"$work/codes"
sleep 0.5
shimmed=$(( $(lines) - before ))
refused=$(grep -c '^409$' "$work/codes" || true)

scale() { awk -v l="$1" -v n="$2" 'BEGIN { printf "%.0f", n ? l * 1000 / n : 0 }'; }
echo "log lines per 1,000 refused holds ($N refused each way; PostgreSQL log $log):"
echo "  raised   hold() refusing with TK003 (0.1.0's shim):   $(scale "$raised" "$N")"
echo "  shim     boxoffice-http, try_hold (409 each: $refused of $N):   $(scale "$shimmed" "$N")"
