#!/usr/bin/env bash
# The wallet under concurrency (part of `make test`): 50 clients each charge
# 100 points and pay a 100-point seat on one wallet at once (1,000 to start),
# then 20 clients send one idempotency key at once. Passes when no client
# failed, the balance is exact (start + charges - payments) and equals the
# ledger's sum, no ledger entry went below zero, every payment is one sale,
# the one key had one effect (every answer names the same entry; the others
# were told it was in flight), and check_invariants() is empty.
set -euo pipefail
cd "$(dirname "$0")"
db=${1:-boxoffice_test}
PGBENCH=/usr/lib/postgresql/15/bin/pgbench
psql -X -q -d "$db" -f setup.sql >/dev/null

failures=0
bench() {  # script, clients, transactions per client
  local out
  out=$(mktemp)
  "$PGBENCH" -n -d "$db" -c "$2" -j 2 -t "$3" -D step=0 -f "$1" 2>&1 | tee "$out" | grep -E "^(number of transactions|tps)" || true
  grep -q "number of transactions actually processed: $(( $2 * $3 ))/$(( $2 * $3 ))" "$out" ||
    { echo "FAIL: not every call of $1 ran"; failures=$((failures + 1)); }
  grep -q "aborted" "$out" && { echo "FAIL: a client of $1 aborted"; grep -i "error\|aborted" "$out" | head -5; failures=$((failures + 1)); }
  rm -f "$out"
}
bench money.pgbench 50 2
bench same_key.pgbench 20 1

psql -d "$db" -X -v ON_ERROR_STOP=1 -q <<'SQL'
\pset footer off
\echo 'outcomes:'
SELECT step, outcome, count(*) FROM wallet_test.outcomes GROUP BY 1, 2 ORDER BY 1, 2;
SQL

check() {  # name, query returning one boolean
  local ok
  ok=$(psql -d "$db" -X -At -c "$2")
  if [ "$ok" = "t" ]; then echo "ok: $1"; else echo "FAIL: $1"; failures=$((failures + 1)); fi
}
user="(SELECT user_id FROM wallet_test.cfg)"
check "50 charges, all made" "SELECT count(*) = 50 FROM wallet_test.outcomes WHERE step = 'charge' AND outcome = 'charged'"
check "50 payments: paid, or refused for too few points" \
  "SELECT count(*) = 50 AND count(*) FILTER (WHERE outcome NOT IN ('paid', 'TK029')) = 0 FROM wallet_test.outcomes WHERE step = 'pay'"
check "the balance is exact: 1,000 + 50 x 100 - 100 per payment + 7 for the one key" \
  "SELECT balance = 1000 + 5000 - 100 * (SELECT count(*) FROM wallet_test.outcomes WHERE step = 'pay' AND outcome = 'paid') + 7
     FROM boxoffice.wallets WHERE user_id = $user"
check "the balance is the ledger's sum" \
  "SELECT w.balance = (SELECT sum(amount) FROM boxoffice.ledger_entries e WHERE e.user_id = w.user_id) FROM boxoffice.wallets w WHERE w.user_id = $user"
check "no entry left the wallet below zero" "SELECT min(balance_after) >= 0 FROM boxoffice.ledger_entries WHERE user_id = $user"
check "every payment is one sale" \
  "SELECT count(*) = (SELECT count(*) FROM wallet_test.outcomes WHERE step = 'pay' AND outcome = 'paid')
     FROM boxoffice.reservations r JOIN boxoffice.payments p ON p.reservation_id = r.id AND p.status = 'approved'
    WHERE r.performance_id = (SELECT perf FROM wallet_test.cfg) AND r.status = 'confirmed'"
check "one key sent 20 times at once: one entry" \
  "SELECT count(*) = 1 FROM boxoffice.ledger_entries WHERE user_id = $user AND amount = 7"
check "... every answer names it, the others were told it was in flight" \
  "SELECT count(*) = 20 AND count(DISTINCT entry_id) = 1 AND count(*) FILTER (WHERE outcome NOT IN ('answered', 'TK033')) = 0
          AND count(*) FILTER (WHERE outcome = 'answered') >= 1
     FROM wallet_test.outcomes WHERE step = 'same_key'"
check "check_invariants() is empty" "SELECT NOT EXISTS (SELECT FROM boxoffice.check_invariants())"
[ "$failures" -eq 0 ]
