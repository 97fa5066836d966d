#!/usr/bin/env bash
# How many relation locks a purchase takes, boxoffice against the seed-style
# baseline: after ten purchases in the session (so every plan is made), one
# hold and one payment each in a transaction of its own, counted in pg_locks
# (PostgreSQL 15 keeps 16 per backend on its fast path; the rest go through
# the shared lock table, which 64 buyers contend for). The payment's locks
# are listed. Runs in a throw-away cluster; about 15 s.
#   bash bench/payments/locks.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -n "${BENCH_SKIP_BUILD:-}" ] || bash scripts/build-install.sh
if [ -z "${PGHOST:-}" ]; then
  exec pg_virtualenv -t -v 15 -o shared_preload_libraries=pg_cron,boxoffice -o cron.database_name=bench \
    -o timezone=UTC bash "$0"
fi
createdb bench
psql -X -q -d bench -c 'CREATE EXTENSION pg_cron' -c 'CREATE EXTENSION boxoffice CASCADE' >/dev/null
psql -X -q -d bench -f bench/payments/baseline.sql >/dev/null
psql -X -q -d bench -v rounds=1 -f bench/payments/setup.sql >/dev/null
value() { psql -X -At -d bench -c "$1"; }
user0=$(value "SELECT user_id FROM bench_pay.buyers WHERE n = 1")
perf=$(value "SELECT performance_id FROM bench_pay.layout WHERE system = 'boxoffice'")
first=$(value "SELECT first_seat FROM bench_pay.layout WHERE system = 'boxoffice'")
count="SELECT count(*) FILTER (WHERE fastpath) AS fast_path, count(*) FILTER (WHERE NOT fastpath) AS lock_table
         FROM pg_locks WHERE pid = pg_backend_pid() AND locktype = 'relation' AND relation <> 'pg_locks'::regclass"
{
  for i in $(seq 0 9); do
    echo "SELECT reservation_id AS rid FROM boxoffice.try_hold($perf, ARRAY[$first + $i]::bigint[], $user0) \\gset"
    echo "SELECT status FROM boxoffice.pay_with_points(:rid, 'locks-$i', $user0) \\g /dev/null"
    echo "SELECT seedpay.hold(1, 1, ARRAY[$i + 1]::bigint[]) AS srid \\gset"
    echo "SELECT seedpay.pay(1, :srid) \\g /dev/null"
  done
  echo "BEGIN;"
  echo "SELECT reservation_id AS rid FROM boxoffice.try_hold($perf, ARRAY[$first + 20]::bigint[], $user0) \\gset"
  echo "SELECT 'boxoffice hold' AS what, * FROM ($count) c;"
  echo "COMMIT; BEGIN;"
  echo "SELECT status FROM boxoffice.pay_with_points(:rid, 'locks-20', $user0) \\g /dev/null"
  echo "SELECT 'boxoffice payment' AS what, * FROM ($count) c;"
  echo "SELECT relation::regclass AS locked_by_the_payment, string_agg(mode, ', ' ORDER BY mode) AS modes FROM pg_locks"
  echo " WHERE pid = pg_backend_pid() AND locktype = 'relation' AND relation <> 'pg_locks'::regclass GROUP BY 1 ORDER BY 1::text;"
  echo "COMMIT; BEGIN;"
  echo "SELECT seedpay.hold(1, 1, ARRAY[30]::bigint[]) AS srid \\gset"
  echo "SELECT 'seedstyle hold' AS what, * FROM ($count) c;"
  echo "COMMIT; BEGIN;"
  echo "SELECT seedpay.pay(1, :srid) \\g /dev/null"
  echo "SELECT 'seedstyle payment' AS what, * FROM ($count) c;"
  echo "COMMIT;"
} | psql -X -q -d bench
