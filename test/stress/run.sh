#!/usr/bin/env bash
# Stress test: 32 parallel clients x 1,000 hold attempts on one 320-seat
# performance, with confirms, cancels, releases, expiry and sweeps mixed in.
# Passes when pgbench saw no error, check_invariants() is empty, and
# sold + held + available = 320 agrees with the reservations.
set -euo pipefail
cd "$(dirname "$0")"
db=${1:-boxoffice_test}
PGBENCH=/usr/lib/postgresql/15/bin/pgbench
psql -q -d "$db" -f setup.sql

out=$(mktemp)
"$PGBENCH" -n -d "$db" -c 32 -j 2 -t 1000 -M prepared -f attempt.pgbench 2>&1 | tee "$out" | grep -E "^(number of|latency|tps|transaction type)" || true
failures=0
grep -q "number of transactions actually processed: 32000/32000" "$out" || { echo "FAIL: not every attempt ran"; failures=$((failures + 1)); }
grep -q "aborted" "$out" && { echo "FAIL: a client aborted"; grep -i "error\|aborted" "$out" | head -5; failures=$((failures + 1)); }
rm -f "$out"

psql -d "$db" -X -v ON_ERROR_STOP=1 -q <<'SQL'
\pset footer off
\echo 'outcomes:'
SELECT step, outcome, count(*) FROM stress.outcomes GROUP BY 1, 2 ORDER BY 1, 2;
\echo 'seat states now:'
SELECT status, count(*) FROM boxoffice.seat_map((SELECT perf FROM stress.cfg)) GROUP BY 1 ORDER BY 1;
SQL

check() {  # name, query returning one boolean
  local ok
  ok=$(psql -d "$db" -X -At -c "$2")
  if [ "$ok" = "t" ]; then echo "ok: $1"; else echo "FAIL: $1"; failures=$((failures + 1)); fi
}
check "32,000 attempts recorded" "SELECT count(*) = 32000 FROM stress.outcomes WHERE step = 'hold'"
check "holds succeeded and were refused" "SELECT count(*) FILTER (WHERE outcome = 'held') > 100 AND count(*) FILTER (WHERE outcome = 'TK003') > 100 FROM stress.outcomes WHERE step = 'hold'"
check "confirms and cancels happened" "SELECT count(*) FILTER (WHERE outcome = 'confirmed') > 0 AND count(*) FILTER (WHERE outcome = 'cancelled') > 0 FROM stress.outcomes"
check "check_invariants() is empty" "SELECT NOT EXISTS (SELECT FROM boxoffice.check_invariants())"
check "sold + held + available = 320" "SELECT count(*) = 320 AND count(*) FILTER (WHERE status IN ('sold', 'held', 'available')) = 320 FROM boxoffice.seat_map((SELECT perf FROM stress.cfg))"
check "sold seats = seats of confirmed reservations" "SELECT (SELECT count(*) FROM boxoffice.seat_map(c.perf) WHERE status = 'sold') = (SELECT coalesce(sum(cardinality(seat_ids)), 0) FROM boxoffice.reservations WHERE performance_id = c.perf AND status = 'confirmed') FROM stress.cfg c"
check "held seats = seats of live holds" "SELECT (SELECT count(*) FROM boxoffice.seat_map(c.perf) WHERE status = 'held') = (SELECT coalesce(sum(cardinality(seat_ids)), 0) FROM boxoffice.reservations WHERE performance_id = c.perf AND status = 'hold' AND expires_at > statement_timestamp()) FROM stress.cfg c"
check "no customer over the limit" "SELECT coalesce(max(n), 0) <= 16 FROM (SELECT user_id, sum(cardinality(seat_ids)) AS n FROM boxoffice.reservations WHERE status = 'confirmed' AND performance_id = (SELECT perf FROM stress.cfg) GROUP BY 1) x"
psql -d "$db" -X -q -c "SELECT * FROM boxoffice.sweep()" >/dev/null
check "after a final sweep, still consistent" "SELECT NOT EXISTS (SELECT FROM boxoffice.check_invariants())"
[ "$failures" -eq 0 ]
