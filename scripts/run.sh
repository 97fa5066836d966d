#!/usr/bin/env bash
# `make run`: builds and installs boxoffice, starts a local PostgreSQL 15
# cluster "boxoffice" with pg_cron, loads the demo data once, starts N HTTP
# shims (boxoffice-http) on 127.0.0.1 and the front, nginx, on the public HTTP
# port in front of them (README, "The front"), and prints how to connect.
# Run it again at any time: it restarts the shims with the fresh build and the
# front with a fresh configuration, restarts PostgreSQL when the library
# changed (boxoffice is preloaded), and updates the demo database in place
# (ALTER EXTENSION boxoffice UPDATE): its rows are kept, never dropped.
# `make stop` stops all of it.
#
# Settings (environment), beyond the database's:
#   BOXOFFICE_HTTP_PORT     the front's port, where clients connect (8080)
#   BOXOFFICE_SHIMS         how many boxoffice-http processes (2)
#   BOXOFFICE_SHIM_PORT     the first shim's port (BOXOFFICE_HTTP_PORT + 1); the others follow it
#   BOXOFFICE_SHIM_THREADS  each shim's --threads (64)
#   BOXOFFICE_GATEWAY_PORT  the fake card gateway's port (BOXOFFICE_HTTP_PORT + 10; gateway/)
#   and the front's, BOXOFFICE_FRONT_* (scripts/front.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
PORT=${BOXOFFICE_PORT:-5499}
CLUSTER=${BOXOFFICE_CLUSTER:-boxoffice}
DB=boxoffice
APP_PASSWORD=${BOXOFFICE_APP_PASSWORD:-shop-secret}
HTTP_PORT=${BOXOFFICE_HTTP_PORT:-8080}
SHIMS=${BOXOFFICE_SHIMS:-2}
SHIM_PORT=${BOXOFFICE_SHIM_PORT:-$((HTTP_PORT + 1))}
SHIM_THREADS=${BOXOFFICE_SHIM_THREADS:-64}
GATEWAY_PORT=${BOXOFFICE_GATEWAY_PORT:-$((HTTP_PORT + 10))}
export BOXOFFICE_HTTP_PORT=$HTTP_PORT BOXOFFICE_SHIM_THREADS=$SHIM_THREADS
STATE=${BOXOFFICE_STATE_DIR:-build/run}  # the shims' generated secrets, pids and logs; the front's record
export BOXOFFICE_STATE_DIR=$STATE
mkdir -p "$STATE" && chmod 700 "$STATE"
# Every shim this state directory started (shim.pid: one shim, before the front).
stop_shims() {
  local f pid
  for f in "$STATE"/shim.pid "$STATE"/shim-*.pid; do
    [ -s "$f" ] || { rm -f "$f"; continue; }
    pid=$(cat "$f")
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid"
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      echo "stopped boxoffice-http (pid $pid)"
    fi
    rm -f "$f"
  done
}
# The fake card gateway this state directory started.
stop_gateway() {
  local pid
  [ -s "$STATE/gateway.pid" ] || return 0
  pid=$(cat "$STATE/gateway.pid")
  kill -0 "$pid" 2>/dev/null && kill -TERM "$pid" && echo "stopped boxoffice-fake-gateway (pid $pid)"
  rm -f "$STATE/gateway.pid"
}
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
as_postgres() { $SUDO runuser -u postgres -- "$@"; }

if [ "${1:-}" = stop ]; then
  bash scripts/front.sh stop
  stop_shims
  stop_gateway
  $SUDO pg_ctlcluster 15 "$CLUSTER" stop 2>/dev/null && echo "stopped cluster 15/$CLUSTER" || echo "cluster 15/$CLUSTER is not running"
  exit 0
fi

echo "building and installing boxoffice and boxoffice-http (a minute or two the first time):"
bash scripts/build-install.sh

if ! pg_lsclusters -h | awk '{print $1"/"$2}' | grep -qx "15/$CLUSTER"; then
  $SUDO pg_createcluster 15 "$CLUSTER" --port "$PORT" -o timezone=Asia/Seoul >/dev/null
  echo "created cluster 15/$CLUSTER on port $PORT"
fi
# pg_cron runs its jobs in background workers: no connection, no password.
changed=0
for setting in shared_preload_libraries=pg_cron,boxoffice cron.database_name=$DB cron.use_background_workers=on; do
  key=${setting%%=*} value=${setting#*=}
  if [ "$(pg_conftool -s 15 "$CLUSTER" show "$key" 2>/dev/null)" != "$value" ]; then
    $SUDO pg_conftool 15 "$CLUSTER" set "$key" "$value"
    changed=1
  fi
done
# A preloaded library is loaded once, by the postmaster: a new build needs a restart.
library_sum=$(md5sum "$(/usr/lib/postgresql/15/bin/pg_config --pkglibdir)/boxoffice.so" | cut -d' ' -f1)
[ "$(cat "$STATE/library.md5" 2>/dev/null)" != "$library_sum" ] && changed=1
if pg_lsclusters -h | awk -v c="$CLUSTER" '$1 == "15" && $2 == c {print $4}' | grep -q online; then
  if [ "$changed" = 1 ]; then
    stop_shims
    echo "restarting cluster 15/$CLUSTER for the new build and settings"
    $SUDO pg_ctlcluster 15 "$CLUSTER" restart
  fi
else
  $SUDO pg_ctlcluster 15 "$CLUSTER" start
fi
echo "$library_sum" > "$STATE/library.md5"
PORT=$(pg_lsclusters -h | awk -v c="$CLUSTER" '$1 == "15" && $2 == c {print $3}')
psql_db() { as_postgres psql -X -q -p "$PORT" -v ON_ERROR_STOP=1 "$@"; }

# The demo database keeps its rows across versions: a newer build updates it
# in place, as a DBA would (README "Upgrading").
newest=$(sed -n "s/^default_version = '\(.*\)'/\1/p" extension/boxoffice.control)
if [ "$(psql_db -d postgres -Atc "SELECT count(*) FROM pg_database WHERE datname = '$DB'")" = 1 ]; then
  installed=$(psql_db -d "$DB" -Atc "SELECT extversion FROM pg_extension WHERE extname = 'boxoffice'")
  if [ -n "$installed" ] && [ "$installed" != "$newest" ]; then
    psql_db -d "$DB" -c "ALTER EXTENSION boxoffice UPDATE"
    echo "updated boxoffice in database $DB from $installed to $newest (every row kept)"
  fi
  script_sum=$(md5sum "build/boxoffice--$newest.sql" | cut -d' ' -f1)
  if [ -s "$STATE/extension.md5" ] && [ "$(cat "$STATE/extension.md5")" != "$script_sum" ] && [ "$installed" = "$newest" ]; then
    echo "warning: the install script of $newest changed since database $DB got it; a change to the SQL ships"
    echo "         as a new version with an upgrade script (README, Upgrading). The database was left as it is."
  fi
fi
if [ "$(psql_db -d postgres -Atc "SELECT count(*) FROM pg_database WHERE datname = '$DB'")" = 0 ]; then
  psql_db -d postgres -c "CREATE DATABASE $DB"
  psql_db -d "$DB" -c "CREATE EXTENSION pg_cron; CREATE EXTENSION boxoffice CASCADE;"
  psql_db -d "$DB" -f scripts/demo-data.sql >/dev/null
  # The application's login: a member of boxoffice_app, nothing else.
  psql_db -d "$DB" -c "DO \$\$ BEGIN
      IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'boxoffice_shop') THEN CREATE ROLE boxoffice_shop LOGIN; END IF;
    END \$\$" \
    -c "ALTER ROLE boxoffice_shop LOGIN PASSWORD '$APP_PASSWORD'" -c "GRANT boxoffice_app TO boxoffice_shop"
  echo "loaded the demo data into database $DB"
fi
md5sum "build/boxoffice--$newest.sql" | cut -d' ' -f1 > "$STATE/extension.md5"

# The HTTP shim: its own login role and a JWT secret, generated once.
[ -s "$STATE/http-password" ] || head -c 18 /dev/urandom | base64 | tr -d '/+=\n' > "$STATE/http-password"
[ -s "$STATE/jwt-secret" ] || head -c 48 /dev/urandom | base64 | tr -d '\n' > "$STATE/jwt-secret"
[ -s "$STATE/gateway-secret-key" ] || echo "test_sk_$(head -c 18 /dev/urandom | base64 | tr -d '/+=\n')" > "$STATE/gateway-secret-key"
chmod 600 "$STATE/http-password" "$STATE/jwt-secret" "$STATE/gateway-secret-key"
as_postgres psql -X -q -p "$PORT" -d "$DB" -v login=boxoffice_http -v password="$(cat "$STATE/http-password")" \
  -f scripts/http-role.sql
# A transaction that took seats and then sits idle keeps their locks, and
# every other buyer is refused them, until it ends: the application's logins
# may not idle inside a transaction for long (README, Security).
for login in boxoffice_shop boxoffice_http; do
  psql_db -d "$DB" -c "DO \$\$ BEGIN IF EXISTS (SELECT FROM pg_roles WHERE rolname = '$login') THEN
      ALTER ROLE $login SET idle_in_transaction_session_timeout = '30s'; END IF; END \$\$"
done
bash scripts/front.sh stop
stop_shims
stop_gateway
# The fake card gateway (gateway/), a stand-in for Toss Payments: the demo's
# card payments are approved by it (the buyer's payment window is its POST /v1/payments).
if (echo >"/dev/tcp/127.0.0.1/$GATEWAY_PORT") 2>/dev/null; then
  echo "the fake gateway cannot listen on 127.0.0.1:$GATEWAY_PORT: something else answers there (BOXOFFICE_GATEWAY_PORT picks another)"
  exit 1
fi
rm -f "$STATE/gateway.log"
nohup build/cmake/boxoffice-fake-gateway --host 127.0.0.1 --port "$GATEWAY_PORT" --secret-key "$(cat "$STATE/gateway-secret-key")" \
  >"$STATE/gateway.log" 2>&1 &
echo $! >"$STATE/gateway.pid"
for _ in $(seq 50); do grep -q "listening on" "$STATE/gateway.log" 2>/dev/null && break; sleep 0.1; done
grep -q "listening on" "$STATE/gateway.log" || { echo "the fake gateway did not start:"; tail -5 "$STATE/gateway.log"; exit 1; }
# Secrets go in through the environment and a file, never argv (ps shows argv).
# Each shim trusts the front (127.0.0.1) to name the client in X-Forwarded-For.
conninfo="host=127.0.0.1 port=$PORT dbname=$DB user=boxoffice_http password=$(cat "$STATE/http-password") connect_timeout=2 keepalives_idle=10 keepalives_interval=5 keepalives_count=3"
upstreams=()
umask 077  # the shims' logs: the state directory is 711 once the front runs (scripts/front.sh)
for i in $(seq "$SHIMS"); do
  port=$((SHIM_PORT + i - 1))
  if (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "shim $i cannot listen on 127.0.0.1:$port: something else answers there (BOXOFFICE_SHIM_PORT picks others)"
    exit 1
  fi
  rm -f "$STATE/shim-$i.log"  # created anew under the umask
  # one shim settles what the gateway left unanswered (the reconciliation)
  reconcile=0
  [ "$i" = 1 ] && reconcile=2000
  BOXOFFICE_JWT_SECRET_FILE="$STATE/jwt-secret" BOXOFFICE_DATABASE_URL="$conninfo" \
  BOXOFFICE_GATEWAY_SECRET_KEY_FILE="$STATE/gateway-secret-key" \
    nohup build/cmake/boxoffice-http --host 127.0.0.1 --port "$port" --threads "$SHIM_THREADS" \
      --trusted-proxies 127.0.0.1 --gateway-url "http://127.0.0.1:$GATEWAY_PORT" --reconcile-interval-ms "$reconcile" \
      >"$STATE/shim-$i.log" 2>&1 &
  echo $! >"$STATE/shim-$i.pid"
  upstreams+=("127.0.0.1:$port")
done
for i in $(seq "$SHIMS"); do
  port=$((SHIM_PORT + i - 1))
  for _ in $(seq 50); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
  curl -fs "http://127.0.0.1:$port/readyz" >/dev/null ||
    { echo "boxoffice-http $i (port $port) did not become ready:"; tail -5 "$STATE/shim-$i.log"; exit 1; }
done
bash scripts/front.sh start "${upstreams[@]}"
curl -fs "http://127.0.0.1:$HTTP_PORT/readyz" >/dev/null ||
  { echo "the front does not reach boxoffice-http:"; tail -5 "$STATE/front/error.log"; exit 1; }

cat <<MSG

boxoffice is running: PostgreSQL 15, cluster 15/$CLUSTER, port $PORT, database $DB, with pg_cron.

  As the DBA (superuser):
    runuser -u postgres -- psql -p $PORT $DB
  As the application (may only call the buyer API):
    psql "postgresql://boxoffice_shop:$APP_PASSWORD@127.0.0.1:$PORT/$DB"

  Try:
    SELECT concert_id, title, jsonb_array_length(performances) FROM boxoffice.concerts();
    SELECT * FROM boxoffice.availability(1);
    SELECT * FROM boxoffice.hold(1, ARRAY[1, 2], 1);   -- user 1 is fan@example.com
    SELECT jobname, schedule FROM cron.job;

boxoffice-http is serving http://127.0.0.1:$HTTP_PORT (API: /openapi.json) through the front:
  nginx on :$HTTP_PORT -> $SHIMS x boxoffice-http on ${upstreams[*]} (--threads $SHIM_THREADS)
  logs: $STATE/shim-N.log (one JSON line per request), $STATE/front/ (nginx: error.log, access.log)
  card payments: the fake gateway on 127.0.0.1:$GATEWAY_PORT ($STATE/gateway.log), key in $STATE/gateway-secret-key
  A purchase, step by step:
    B=http://127.0.0.1:$HTTP_PORT
    curl -s \$B/v1/concerts
    curl -s \$B/v1/performances/1/seats | head -c 300; echo
    TOKEN=\$(curl -s \$B/v1/login --json '{"email":"fan@example.com","password":"correct horse battery"}' \\
      | sed 's/.*"access_token":"\([^"]*\)".*/\1/')
    curl -s \$B/v1/performances/1/holds -H "Authorization: Bearer \$TOKEN" --json '{"seat_ids":[7,8]}'
    curl -s \$B/v1/reservations/<reservation_id>/confirm -H "Authorization: Bearer \$TOKEN" --json '{}'
    curl -s \$B/v1/reservations -H "Authorization: Bearer \$TOKEN"
    curl -s \$B/v1/reservations/<reservation_id>/cancel -H "Authorization: Bearer \$TOKEN" --json '{}'
  Admin: log in as admin@example.com / admin-password for the /v1/admin routes.

  Stop it with: make stop
MSG
