#!/usr/bin/env bash
# Backups keep every row. In a cluster of its own, where pg_cron lives in the
# database "shop" (pg_cron can only be created in cron.database_name):
#   1. fill shop through the API: users, a live hold, confirmed user and guest
#      sales, points charged, a sale paid with points and a refunded one, cancelled, released and expired reservations, an expired hold
#      not yet swept; the pg_cron jobs, and a job that is not ours;
#   2. dump it (custom and plain format), and for each dump: drop shop, create
#      it afresh, restore, and check that every row of every table is back
#      (seat claims rebuilt from their reservations), ids continue, sold seats
#      stay sold, the user logs in, the guest finds the booking, and pg_cron
#      has each job once;
#   3. DROP EXTENSION boxoffice takes its jobs along (a rolled-back drop keeps them).
# Prints one "ok: ..." or "FAIL: ..." line per check.
set -uo pipefail
cd "$(dirname "$0")/../.."
if [ "${1:-}" != --in-cluster ]; then
  # a cluster of its own, even when called inside another (scripts/test.sh)
  exec env -u PGPORT -u PG_CLUSTER_CONF_ROOT pg_virtualenv -t -v 15 \
    -o shared_preload_libraries=pg_cron,boxoffice -o cron.database_name=shop -o cron.use_background_workers=on \
    -o timezone=UTC bash "$0" --in-cluster
fi

work=$(mktemp -d)
source test/checks.sh
q() { psql -X -Atq -v ON_ERROR_STOP=1 -d shop "$@"; }
ask() { q -c "SET client_min_messages = warning" -c "$1"; }

# Every row of every table of boxoffice (seat_claims included), the
# positions of the identity sequences, and pg_cron's jobs.
contents() {
  for table in $(q -c "SELECT relname FROM pg_class WHERE relnamespace = 'boxoffice'::regnamespace AND relkind = 'r' ORDER BY 1"); do
    echo "== $table: $(q -c "SELECT count(*) FROM boxoffice.$table") rows"
    q -c "COPY (SELECT * FROM boxoffice.$table ORDER BY 1, 2) TO STDOUT"
  done
  echo "== sequences"
  q -c "SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = 'boxoffice' ORDER BY 1"
  echo "== cron jobs"
  q -c "SELECT jobname, schedule, command, database, active FROM cron.job ORDER BY jobname"
}

createdb shop
q -f - >"$work/fill.log" 2>&1 <<'SQL' || { report FAIL "fill the shop"; cat "$work/fill.log"; exit 1; }
SET client_min_messages = warning;
CREATE EXTENSION pg_cron;
CREATE EXTENSION boxoffice CASCADE;
SELECT cron.schedule('not-boxoffice', '0 4 * * *', 'SELECT 1');
-- the jobs stay, but do not run while the test compares rows
SELECT cron.alter_job(jobid, active => false) FROM cron.job;
SELECT boxoffice.create_venue('Backup Hall', 'Seoul', ARRAY['A', 'B'], 2, 10) AS venue \gset
SELECT boxoffice.create_concert('Backup Show', 'Tester') AS concert \gset
SELECT boxoffice.add_price_tier(:concert, 'FRONT', 1000, 1, 5), boxoffice.add_price_tier(:concert, 'BACK', 500, 6, 10);
SELECT boxoffice.create_performance(:concert, :venue, now() + interval '30 days') AS perf \gset
SELECT boxoffice.create_performance(:concert, :venue, now() + interval '31 days', hold_lifetime => '1 second') AS short \gset
SELECT boxoffice.publish_concert(:concert);
SELECT boxoffice.register_user('backup-a@example.com', 'Backup A', 'password-a') AS ua \gset
SELECT boxoffice.register_user('backup-b@example.com', 'Backup B', 'password-b') AS ub \gset
CREATE TEMP TABLE seat AS SELECT performance_id, row_number() OVER (PARTITION BY performance_id ORDER BY id) AS n, id
  FROM boxoffice.seats;
CREATE FUNCTION pg_temp.s(perf bigint, VARIADIC n int[]) RETURNS bigint[] LANGUAGE sql AS
  $$ SELECT array_agg(id ORDER BY id) FROM seat WHERE performance_id = perf AND seat.n = ANY (s.n) $$;
-- a live hold; a confirmed sale of a user and of a guest
SELECT boxoffice.hold(:perf, pg_temp.s(:perf, 1, 2), :ua) IS NOT NULL AS live_hold;
SELECT (boxoffice.confirm((boxoffice.hold(:perf, pg_temp.s(:perf, 3), :ua)).reservation_id, :ua)).status AS user_sale;
SELECT (h).reservation_id AS g, (h).hold_token AS gt FROM (SELECT boxoffice.hold(:perf, pg_temp.s(:perf, 4), guest_key => 'client') AS h) x \gset
SELECT (boxoffice.confirm(:g, hold_token => :'gt', buyer_name => 'Guest Kim', buyer_phone => '010-3333-0000', guest_pin => '0427')).status AS guest_sale;
-- cancelled, released, expired (swept) and expired (not yet swept)
SELECT (boxoffice.cancel((boxoffice.hold(:perf, pg_temp.s(:perf, 5), :ub)).reservation_id, :ub)).status;
SELECT (boxoffice.release((boxoffice.hold(:perf, pg_temp.s(:perf, 6), :ub)).reservation_id, :ub)).status;
-- money: a charge, a sale paid with points, a paid sale cancelled (refunded), payment terms
SELECT boxoffice.set_payment_terms(:perf, cancel_cutoff => interval '1 day') IS NOT NULL AS terms;
SELECT (boxoffice.charge_points(5000, 'backup-charge', :ub)).balance_after AS charged;
SELECT (boxoffice.pay_with_points((boxoffice.hold(:perf, pg_temp.s(:perf, 7), :ub)).reservation_id, 'backup-pay-1', :ub)).status AS paid;
SELECT (boxoffice.pay_with_points((boxoffice.hold(:perf, pg_temp.s(:perf, 8), :ub)).reservation_id, 'backup-pay-2', :ub)).reservation_id AS refunded \gset
SELECT (boxoffice.cancel(:refunded, :ub)).status AS refunded_sale;
SELECT boxoffice.hold(:short, pg_temp.s(:short, 1), :ub) IS NOT NULL AS soon_expired;
SELECT pg_sleep(1.1);
SELECT expired_holds FROM boxoffice.sweep();
SELECT boxoffice.hold(:short, pg_temp.s(:short, 2), :ub) IS NOT NULL AS expires_unswept;
SELECT pg_sleep(1.1);
SQL
report ok "the shop is filled: $(q -c "SELECT string_agg(status::text, ', ' ORDER BY id) FROM boxoffice.reservations")"
check "the books balance before the dump" "SELECT NOT EXISTS (SELECT FROM boxoffice.check_invariants())"
contents >"$work/before"
max_id=$(q -c "SELECT max(id) FROM boxoffice.reservations")

pg_dump -Fc -d shop -f "$work/shop.dump" && pg_dump -Fp -d shop -f "$work/shop.sql" ||
  { report FAIL "pg_dump"; exit 1; }
# without registration pg_dump kept no row of an extension's tables
if grep -q '^COPY boxoffice.reservations ' "$work/shop.sql" && ! grep -q '^COPY boxoffice.seat_claims ' "$work/shop.sql"; then
  report ok "the dump holds the reservations, and not the claims (they are rebuilt from them)"
else
  report FAIL "the dump's boxoffice tables: $(grep -o '^COPY boxoffice\.[a-z_]*' "$work/shop.sql" | tr '\n' ' ')"
fi

for format in custom plain; do
  psql -X -q -d postgres -c "DROP DATABASE shop WITH (FORCE)" -c "CREATE DATABASE shop"
  if [ $format = custom ]; then
    pg_restore -d shop "$work/shop.dump" 2>"$work/restore.log"
  else
    psql -X -q -v ON_ERROR_STOP=1 -d shop -f "$work/shop.sql" >/dev/null 2>"$work/restore.log"
  fi
  status=$?
  if [ "$status" -eq 0 ] && [ ! -s "$work/restore.log" ]; then
    report ok "$format dump restored into a fresh database without an error or a warning"
  else
    report FAIL "$format restore exited $status"; head -20 "$work/restore.log"
  fi
  contents >"$work/after"
  if diff -u "$work/before" "$work/after" >"$work/diff"; then
    report ok "$format: every row of every table is back ($(grep '^== [a-z_]*:' "$work/before" | sed 's/^== //' | tr '\n' ' '))"
  else
    report FAIL "$format: rows differ after the restore"; head -40 "$work/diff"
  fi
  check "$format: the books balance" "SELECT NOT EXISTS (SELECT FROM boxoffice.check_invariants())"
  check "$format: pg_cron has each job once, as it was" \
    "SELECT count(*) = 4 AND count(DISTINCT jobname) = 4 AND bool_and(NOT active) FROM cron.job"
  check "$format: a seat sold before the dump cannot be held" \
    "SELECT boxoffice.try_hold(r.performance_id, r.seat_ids, guest_key => 'after') IS NULL
       FROM boxoffice.reservations r WHERE r.status = 'confirmed' ORDER BY r.id LIMIT 1"
  check "$format: ids continue: the next hold gets a new one" \
    "SELECT (boxoffice.hold(p.id, ARRAY[s.id], guest_key => 'after-$format')).reservation_id > $max_id
       FROM boxoffice.performances p JOIN boxoffice.seats s ON s.performance_id = p.id
      WHERE NOT EXISTS (SELECT FROM boxoffice.seat_claims c WHERE c.seat_id = s.id) ORDER BY p.id, s.id LIMIT 1"
  check "$format: the user still logs in" \
    "SELECT boxoffice.verify_password('backup-a@example.com', 'password-a') IS NOT NULL"
  check "$format: the guest still finds the booking" \
    "SELECT count(*) = 1 FROM boxoffice.guest_lookup('010-3333-0000', '0427')"
  check "$format: the wallet is its ledger, and the ledger still refuses changes" \
    "SELECT (SELECT balance FROM boxoffice.wallet((SELECT id FROM boxoffice.users WHERE email = 'backup-b@example.com'))) = 5000 - 500  -- seat 7 paid (500), seat 8 paid and refunded
        AND NOT EXISTS (SELECT FROM pg_trigger WHERE tgname LIKE 'immutable%' AND tgenabled <> 'A')"
done

# DROP EXTENSION boxoffice leaves no job behind, and no other job goes
check "a rolled-back DROP EXTENSION keeps the jobs" \
  "BEGIN; DROP EXTENSION boxoffice; ROLLBACK; SELECT count(*) = 3 FROM cron.job WHERE jobname LIKE 'boxoffice-%'"
q -c "DROP EXTENSION boxoffice" 2>"$work/drop.log" || { report FAIL "DROP EXTENSION boxoffice"; cat "$work/drop.log"; }
check "DROP EXTENSION boxoffice leaves no job of its own behind, and others' alone" \
  "SELECT string_agg(jobname, ',') = 'not-boxoffice' FROM cron.job"

[ "$failures" -eq 0 ] && rm -rf "$work"
exit $((failures > 0))
