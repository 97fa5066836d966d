#!/usr/bin/env bash
# Runs inside the throw-away cluster of bench/payments/run.sh. Each system
# buys on a fresh 5,000-seat performance per round; the two take turns, so a
# neighbour's load on this shared machine falls on both alike. Each first
# sells one performance unmeasured: tables analyzed while still empty had
# left the baseline's plans for its first round slow (about 900 against
# 2,600 purchases/s in the next). Prints
# purchases/s (seats sold over the selling time: from the first sold hold to
# the last sale), p50/p99 of a purchase cycle (hold + pay), errors and
# invariant violations, and the ratios to the baseline measured in the same run.
set -euo pipefail
cd "$(dirname "$0")/../.."
PGBENCH=/usr/lib/postgresql/15/bin/pgbench
RUN_SECONDS=${BENCH_SECONDS:-15}
ROUNDS=${BENCH_ROUNDS:-3}
ROUND_SECONDS=$(( (RUN_SECONDS + ROUNDS - 1) / ROUNDS ))
CLIENTS=${BENCH_CLIENTS:-64}
OUT=$(mktemp -d /tmp/boxoffice-bench-payments.XXXXXX)
started=$(date +%s)
sql() { psql -X -q -v ON_ERROR_STOP=1 -d bench "$@"; }
value() { psql -X -At -v ON_ERROR_STOP=1 -d bench -c "$1"; }

echo "setting up (output in $OUT)"
createdb bench
sql -c 'CREATE EXTENSION pg_cron' -c 'CREATE EXTENSION boxoffice CASCADE' >/dev/null
sql -f bench/payments/baseline.sql
# one performance more per system: round 0 warms each up, unmeasured
sql -v rounds="$((ROUNDS + 1))" -f bench/payments/setup.sql >/dev/null
user0=$(value "SELECT user_id FROM bench_pay.buyers WHERE n = 1")
[ "$(value "SELECT max(user_id) - min(user_id) FROM bench_pay.buyers")" = 63 ] || { echo "buyers' ids are not consecutive"; exit 1; }

declare -A R
run() {  # system round (0: the warm-up, not counted)
  local sys=$1 round=$2 perf first script count span log before after
  perf=$(value "SELECT performance_id FROM bench_pay.layout WHERE system = '$sys' AND round = $((round + 1))")
  first=$(value "SELECT first_seat FROM bench_pay.layout WHERE system = '$sys' AND round = $((round + 1))")
  if [ "$sys" = boxoffice ]; then
    script=bench/payments/boxoffice_purchase.sql
    count="SELECT count(*) FROM boxoffice.payments p JOIN boxoffice.reservations r ON r.id = p.reservation_id WHERE r.performance_id = $perf AND p.status = 'approved' AND r.status = 'confirmed'"
    span="SELECT coalesce(extract(epoch FROM max(confirmed_at) - min(created_at)), 0) FROM boxoffice.reservations WHERE performance_id = $perf AND status = 'confirmed'"
  else
    script=bench/payments/baseline_purchase.sql
    count="SELECT count(*) FROM seedpay.payments p JOIN seedpay.reservations r ON r.id = p.reservation_id WHERE r.performance_id = $perf AND r.status = 'CONFIRMED'"
    span="SELECT coalesce(extract(epoch FROM max(updated_at) - min(created_at)), 0) FROM seedpay.reservations WHERE performance_id = $perf AND status = 'CONFIRMED'"
  fi
  log="$OUT/$sys.$round"
  [ "$round" -gt 0 ] || log="$OUT/warmup-$sys"
  sql -c 'VACUUM (ANALYZE)' -c CHECKPOINT
  before=$(value "$count")
  echo "running $sys, round $round: $CLIENTS clients, $ROUND_SECONDS s"
  PGOPTIONS="-c client_min_messages=warning" "$PGBENCH" -n -M prepared -c "$CLIENTS" -j "$(nproc)" -T "$ROUND_SECONDS" \
    --failures-detailed -r -f "$script" -D performance="$perf" -D first_seat="$first" -D user0="$user0" -D clients="$CLIENTS" -D n=0 \
    -l --log-prefix="$log" bench >"$log.out" 2>"$log.err" || true
  after=$(value "$count")
  [ "$round" -gt 0 ] || return 0
  local cycles tps
  cycles=$(awk -F': ' '/^number of transactions actually processed/ { split($2, a, "/"); print a[1] + 0 }' "$log.out")
  tps=$(awk '/^tps = / { print $3; exit }' "$log.out")
  R[$sys.purchases]=$(( ${R[$sys.purchases]:-0} + after - before ))
  R[$sys.cycles]=$(( ${R[$sys.cycles]:-0} + ${cycles:-0} ))
  R[$sys.secs]=$(awk -v s="${R[$sys.secs]:-0}" -v n="${cycles:-0}" -v t="${tps:-0}" 'BEGIN { print s + (t > 0 ? n / t : 0) }')
  # the selling time: from the first hold that sold to the last sale (a round that sells out
  # spends its rest on refusals, which would cap purchases/s at seats / round length)
  R[$sys.sell_secs]=$(awk -v s="${R[$sys.sell_secs]:-0}" -v t="$(value "$span")" 'BEGIN { print s + t }')
  R[$sys.errors]=$(( ${R[$sys.errors]:-0} + $(awk -F': ' '/^number of failed transactions/ { print $2 + 0 }' "$log.out") + $(grep -c 'aborted in command' "$log.err" || true) ))
}
for round in $(seq "$ROUNDS"); do
  order="seedstyle boxoffice"
  [ $((round % 2)) -eq 0 ] && order="boxoffice seedstyle"
  [ "$round" -gt 1 ] || for sys in $order; do run "$sys" 0; done
  for sys in $order; do run "$sys" "$round"; done
done
invariants=$(value "SELECT count(*) FROM boxoffice.check_invariants()")
# the baseline's books: every sold seat in exactly one confirmed, paid reservation; points = start - payments
baseline_faults=$(value "SELECT (SELECT count(*) FROM seedpay.seats s WHERE s.status = 'SOLD' AND (SELECT count(*) FROM seedpay.reservation_seats rs JOIN seedpay.reservations r ON r.id = rs.reservation_id WHERE rs.seat_id = s.id AND r.status = 'CONFIRMED') <> 1)
                          + (SELECT count(*) FROM seedpay.users u WHERE u.points <> 6000000 - coalesce((SELECT sum(amount) FROM seedpay.payments p WHERE p.user_id = u.id), 0))")

pct() {  # system percentile: ms per purchase cycle (hold + pay) that bought a seat or was refused
  cat "$OUT/$1".*.[0-9]* | awk '$3 ~ /^[0-9]+$/ { print $3 }' | sort -n |
    awk -v p="$2" '{ a[NR] = $1 } END { i = int(p * NR); if (i < p * NR) i++; if (i < 1) i = 1; printf "%.2f", (NR ? a[i] : 0) / 1000 }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 == 0) print "n/a"; else printf "%.2fx", a / b }'; }
echo
echo "== a purchase (hold 1 seat, pay it with points = confirmed), $CLIENTS clients, 5,000-seat performances,"
echo "   PostgreSQL $(value 'SHOW server_version'), $(nproc) cores, $ROUNDS x $ROUND_SECONDS s per system, fsync $(value 'SHOW fsync')"
printf '%-12s %12s %7s %9s %10s %8s %8s %7s\n' system purchases/s sold "selling s" cycles/s "p50 ms" "p99 ms" errors
for sys in seedstyle boxoffice; do
  R[$sys.rate]=$(awk -v n="${R[$sys.purchases]}" -v s="${R[$sys.sell_secs]}" 'BEGIN { printf "%.1f", (s > 0 ? n / s : 0) }')
  R[$sys.cycle_rate]=$(awk -v n="${R[$sys.cycles]}" -v s="${R[$sys.secs]}" 'BEGIN { printf "%.1f", (s > 0 ? n / s : 0) }')
  R[$sys.p50]=$(pct "$sys" 0.50) R[$sys.p99]=$(pct "$sys" 0.99)
  printf '%-12s %12s %7s %9.1f %10s %8s %8s %7s\n' "$sys" "${R[$sys.rate]}" "${R[$sys.purchases]}" "${R[$sys.sell_secs]}" "${R[$sys.cycle_rate]}" "${R[$sys.p50]}" "${R[$sys.p99]}" "${R[$sys.errors]}"
done
printf '%-12s %12s %7s %9s %10s %8s %8s\n' ratio "$(ratio "${R[boxoffice.rate]}" "${R[seedstyle.rate]}")" "" "" \
  "$(ratio "${R[boxoffice.cycle_rate]}" "${R[seedstyle.cycle_rate]}")" \
  "$(ratio "${R[boxoffice.p50]}" "${R[seedstyle.p50]}")" "$(ratio "${R[boxoffice.p99]}" "${R[seedstyle.p99]}")"
mark() { [ "$1" = 1 ] && echo PASS || echo FAIL; }
echo "$(mark "$(awk -v a="${R[boxoffice.rate]}" -v b="${R[seedstyle.rate]}" 'BEGIN { print (b > 0 && a >= 1.3 * b) ? 1 : 0 }')")  purchases/s >= 1.3x baseline   $(ratio "${R[boxoffice.rate]}" "${R[seedstyle.rate]}")"
echo "$(mark "$(( R[boxoffice.errors] == 0 ))")  errors = 0                      ${R[boxoffice.errors]} (baseline ${R[seedstyle.errors]})"
echo "$(mark "$(( invariants == 0 ))")  check_invariants() empty         $invariants violations (baseline's own books: $baseline_faults faults)"
echo "took $(( $(date +%s) - started )) s; pgbench output and logs in $OUT"
exit 0
