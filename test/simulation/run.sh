#!/usr/bin/env bash
# The waiting-room simulation: 2,000 users, 50 active slots, 8 clients for
# 40 seconds. Shoppers enter and poll, and once active buy, leave or time
# out (a 10-second stay). Afterwards, from the recorded history (each entry's
# place, admission, end): every user was admitted in order, the limit was
# never passed, and check_invariants() is empty.
set -euo pipefail
cd "$(dirname "$0")"
db=${1:-boxoffice_test}
PGBENCH=/usr/lib/postgresql/15/bin/pgbench
psql -X -q -v ON_ERROR_STOP=1 -d "$db" -f setup.sql >/dev/null
out=$(mktemp)
PGOPTIONS="-c boxoffice.queue_pause=20ms" "$PGBENCH" -n -d "$db" -c 8 -j 2 -T 40 -M prepared -f step.pgbench >"$out" 2>&1 || true
grep -E "^(number of transactions|number of failed|tps)" "$out" || true
failures=0
if grep -qi "aborted\|error" "$out"; then echo "FAIL: a client failed"; grep -i "error\|aborted\|detail" "$out" | head -8; failures=$((failures + 1)); fi
rm -f "$out"
psql -X -q -d "$db" -c "SELECT action, count(*) FROM sim.actions GROUP BY 1 ORDER BY 1" \
     -c "SELECT state, count(*) FROM boxoffice.queue_entries WHERE performance_id = (SELECT perf FROM sim.cfg) GROUP BY 1 ORDER BY 1"
check() {  # name, query returning one boolean
  if [ "$(psql -X -At -d "$db" -c "$2")" = t ]; then echo "ok: $1"; else echo "FAIL: $1"; failures=$((failures + 1)); fi
}
perf="(SELECT perf FROM sim.cfg)"
check "all 2,000 users entered" "SELECT count(*) = 2000 FROM boxoffice.queue_entries WHERE performance_id = $perf"
check "shoppers bought, left and timed out" "SELECT count(*) FILTER (WHERE action = 'bought') > 0 AND count(*) FILTER (WHERE action = 'left') > 0 AND count(*) FILTER (WHERE action = 'timing out') > 0 FROM sim.actions"
check "the line moved well past the first 50" "SELECT count(*) > 200 FROM boxoffice.queue_entries WHERE performance_id = $perf AND admitted_at IS NOT NULL"
check "admitted in order of place in line (the recorded history)" \
  "SELECT NOT EXISTS (SELECT FROM boxoffice.check_invariants() WHERE violation = 'queue_admitted_out_of_order')"
check "never more than 50 active at once" \
  "SELECT max(active) <= 50 FROM (SELECT sum(delta) OVER (ORDER BY at, delta) AS active FROM (
     SELECT admitted_at AS at, 1 AS delta FROM boxoffice.queue_entries WHERE performance_id = $perf AND admitted_at IS NOT NULL
     UNION ALL SELECT least(active_until, coalesce(ended_at, 'infinity')), -1 FROM boxoffice.queue_entries
      WHERE performance_id = $perf AND admitted_at IS NOT NULL) ev) c"
check "a timed-out stay freed its slot (someone was admitted after one ran out)" \
  "SELECT EXISTS (SELECT FROM boxoffice.queue_entries a JOIN boxoffice.queue_entries b ON b.performance_id = a.performance_id
                   WHERE a.performance_id = $perf AND a.state = 'expired' AND a.active_until < b.admitted_at)"
check "every purchase used its turn" \
  "SELECT NOT EXISTS (SELECT FROM boxoffice.reservations r WHERE r.performance_id = $perf AND r.status = 'confirmed'
                       AND NOT EXISTS (SELECT FROM boxoffice.queue_entries e WHERE e.performance_id = r.performance_id AND e.user_id = r.user_id AND e.state = 'used'))"
check "check_invariants() is empty" "SELECT NOT EXISTS (SELECT FROM boxoffice.check_invariants())"
[ "$failures" -eq 0 ]
