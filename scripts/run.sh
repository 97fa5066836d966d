#!/usr/bin/env bash
# `make run`: builds and installs boxoffice, starts a local PostgreSQL 15
# cluster "boxoffice" with pg_cron, loads the demo data once, and prints how
# to connect. Run it again at any time; `make stop` stops the cluster.
set -euo pipefail
cd "$(dirname "$0")/.."
PORT=${BOXOFFICE_PORT:-5499}
CLUSTER=boxoffice
DB=boxoffice
APP_PASSWORD=${BOXOFFICE_APP_PASSWORD:-shop-secret}
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
as_postgres() { $SUDO runuser -u postgres -- "$@"; }

if [ "${1:-}" = stop ]; then
  $SUDO pg_ctlcluster 15 "$CLUSTER" stop 2>/dev/null && echo "stopped cluster 15/$CLUSTER" || echo "cluster 15/$CLUSTER is not running"
  exit 0
fi

bash scripts/build-install.sh

if ! pg_lsclusters -h | awk '{print $1"/"$2}' | grep -qx "15/$CLUSTER"; then
  $SUDO pg_createcluster 15 "$CLUSTER" --port "$PORT" -o timezone=Asia/Seoul >/dev/null
  echo "created cluster 15/$CLUSTER on port $PORT"
fi
# pg_cron runs its jobs in background workers: no connection, no password.
changed=0
for setting in shared_preload_libraries=pg_cron cron.database_name=$DB cron.use_background_workers=on; do
  key=${setting%%=*} value=${setting#*=}
  if [ "$(pg_conftool -s 15 "$CLUSTER" show "$key" 2>/dev/null)" != "$value" ]; then
    $SUDO pg_conftool 15 "$CLUSTER" set "$key" "$value"
    changed=1
  fi
done
if pg_lsclusters -h | awk -v c="$CLUSTER" '$1 == "15" && $2 == c {print $4}' | grep -q online; then
  [ "$changed" = 1 ] && $SUDO pg_ctlcluster 15 "$CLUSTER" restart
else
  $SUDO pg_ctlcluster 15 "$CLUSTER" start
fi
PORT=$(pg_lsclusters -h | awk -v c="$CLUSTER" '$1 == "15" && $2 == c {print $3}')
psql_db() { as_postgres psql -X -q -p "$PORT" -v ON_ERROR_STOP=1 "$@"; }

if [ "$(psql_db -d postgres -Atc "SELECT count(*) FROM pg_database WHERE datname = '$DB'")" = 0 ]; then
  psql_db -d postgres -c "CREATE DATABASE $DB"
  psql_db -d "$DB" -c "CREATE EXTENSION pg_cron; CREATE EXTENSION boxoffice CASCADE;"
  psql_db -d "$DB" -f scripts/demo-data.sql >/dev/null
  # The application's login: a member of boxoffice_app, nothing else.
  psql_db -d "$DB" -c "CREATE ROLE boxoffice_shop LOGIN PASSWORD '$APP_PASSWORD' IN ROLE boxoffice_app"
  echo "loaded the demo data into database $DB"
fi

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

  Stop it with: make stop
MSG
