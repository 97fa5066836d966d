#!/usr/bin/env bash
# Runs inside the throw-away cluster of bench/payments/http.sh (PG* set). The
# purchase of bench/payments (hold the buyer's next seat of a 5,000-seat performance,
# pay it, which confirms it), by logged-in buyers, one per connection, made by
# five systems in turns, each on a fresh performance per round:
#   seedstyle  the seed-style baseline, pgbench (baseline_purchase.sql)
#   sql        boxoffice in SQL, pgbench (boxoffice_purchase.sql: try_hold + pay_with_points)
#   direct     bench_purchase --client direct: the shim's two statements over libpq, as the
#              shim's login role, sent as its pool sends them (context + statement + Sync)
#   shim       bench_purchase --client shim: POST .../holds, POST .../payments/points
#              (Bearer token from POST /v1/login, Idempotency-Key) through boxoffice-http
#   card       bench_purchase --client shim --flow card: the hold, POST .../payments/card, the
#              payment window at the fake gateway (behaviour slow), POST /v1/payments/{id}/confirm;
#              the gateway answers each confirm in BENCH_GATEWAY_DELAY_MS
#   card0      the same with a gateway that answers at once (behaviour approve): what the
#              card flow costs without the wait, to compare the slow gateway with
# During the card runs pg_stat_activity and pg_locks (every 50 ms), and the
# shim's pool and the gateway's confirms in flight, are sampled. Prints one
# table, the ratios and PASS/FAIL lines; a benchmark reports: exit 0.
#
# Settings (environment):
#   BENCH_SECONDS           measured seconds per system (12), in
#   BENCH_ROUNDS            rounds (2) taken in turns
#   BENCH_CLIENTS           connections (= buyers) of every system (64)
#   BENCH_PAY_POOL_SIZE     --pool-size of the shim of the points runs (8)
#   BENCH_PAY_CARD_POOL_SIZE --pool-size of the shim of the card runs (4): a small pool, so that a
#                           connection held through every gateway call would show (pool / delay)
#   BENCH_PAY_THREADS       the shim's --threads (96; more than the connections)
#   BENCH_GATEWAY_DELAY_MS  the fake gateway's --delay-ms for a "slow" confirm (50)
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
PGBENCH=/usr/lib/postgresql/15/bin/pgbench
RUN_SECONDS=${BENCH_SECONDS:-12}
ROUNDS=${BENCH_ROUNDS:-2}
ROUND_SECONDS=$(( (RUN_SECONDS + ROUNDS - 1) / ROUNDS ))
CLIENTS=${BENCH_CLIENTS:-64}
POOL_SIZE=${BENCH_PAY_POOL_SIZE:-8}
CARD_POOL_SIZE=${BENCH_PAY_CARD_POOL_SIZE:-4}
THREADS=${BENCH_PAY_THREADS:-96}
DELAY_MS=${BENCH_GATEWAY_DELAY_MS:-50}
SYSTEMS="seedstyle sql direct shim card card0"
SHIM=$ROOT/build/cmake/boxoffice-http
GATEWAY=$ROOT/build/cmake/boxoffice-fake-gateway
CLIENT=$ROOT/build/cmake/bench_purchase
OUT=$(mktemp -d /tmp/boxoffice-bench-payments-http.XXXXXX)
started=$(date +%s)
for b in "$SHIM" "$GATEWAY" "$CLIENT"; do
  [ -x "$b" ] || { echo "missing $b: build first (bash scripts/build-install.sh)" >&2; exit 1; }
done
[ "$CLIENTS" -le 64 ] || { echo "BENCH_CLIENTS is at most 64 (bench/payments/setup.sql makes 64 buyers)" >&2; exit 1; }
sql() { psql -X -q -v ON_ERROR_STOP=1 -d bench "$@"; }
value() { psql -X -At -v ON_ERROR_STOP=1 -d bench -c "$1"; }
jget() { grep -o "\"$2\":[^,}]*" "$1" | head -1 | cut -d: -f2- | tr -d '"'; }

pids=()
cleanup() { local p; for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

echo "setting up (output in $OUT)"
createdb bench
sql -c 'CREATE EXTENSION pg_cron' -c 'CREATE EXTENSION boxoffice CASCADE' >/dev/null
sql -f bench/payments/baseline.sql
# one boxoffice performance per round for each of sql, direct, shim, card and card0
# one performance more: each of the two warms up on its own (below)
sql -v rounds=$((5 * ROUNDS + 1)) -f bench/payments/setup.sql >/dev/null
user0=$(value "SELECT user_id FROM bench_pay.buyers WHERE n = 1")
[ "$(value "SELECT max(user_id) - min(user_id) FROM bench_pay.buyers")" = 63 ] || { echo "buyers' ids are not consecutive"; exit 1; }
password=$(head -c 18 /dev/urandom | base64 | tr -d '/+=\n')
psql -X -q -d bench -v login=boxoffice_http -v password="$password" -f scripts/http-role.sql
CONNINFO="host=$PGHOST port=$PGPORT dbname=bench user=boxoffice_http password=$password"

# the fake gateway, on a free port of 127.0.0.1; more threads than confirms at once
gateway_key=test_sk_$(head -c 12 /dev/urandom | base64 | tr -d '/+=\n')
"$GATEWAY" --host 127.0.0.1 --port 0 --secret-key "$gateway_key" --delay-ms "$DELAY_MS" --threads $((2 * CLIENTS + 16)) \
  >"$OUT/gateway.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do grep -q "listening on" "$OUT/gateway.log" && break; sleep 0.1; done
gateway_port=$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$OUT/gateway.log")
[ -n "$gateway_port" ] || { echo "the fake gateway did not start:"; cat "$OUT/gateway.log"; exit 1; }
GW=http://127.0.0.1:$gateway_port

# Two shims on free ports of 127.0.0.1, one for the points runs and one, with a
# smaller pool, for the card runs. 64 logins from one address need a wider
# login budget than 20 a minute.
jwt_secret=$(head -c 48 /dev/urandom | base64 | tr -d '\n')
start_shim() {  # name pool-size: prints its port
  env BOXOFFICE_JWT_SECRET="$jwt_secret" BOXOFFICE_DATABASE_URL="$CONNINFO application_name=$1" BOXOFFICE_GATEWAY_SECRET_KEY="$gateway_key" \
    "$SHIM" --host 127.0.0.1 --port 0 --port-file "$OUT/$1.port" --pool-size "$2" --threads "$THREADS" \
    --secret-attempts-per-minute 1000 --gateway-url "$GW" --gateway-timeout-ms 5000 \
    >"$OUT/$1.log" 2>"$OUT/$1.err" &
  pids+=($!)
  for _ in $(seq 50); do [ -s "$OUT/$1.port" ] && break; sleep 0.1; done
  [ -s "$OUT/$1.port" ] || { echo "the shim did not start:" >&2; cat "$OUT/$1.err" >&2; exit 1; }
  curl -sf "http://127.0.0.1:$(cat "$OUT/$1.port")/readyz" >/dev/null || { echo "the shim is not ready:" >&2; cat "$OUT/$1.err" >&2; exit 1; }
}
start_shim shim "$POOL_SIZE"
start_shim card-shim "$CARD_POOL_SIZE"
PORT=$(cat "$OUT/shim.port") CARD_PORT=$(cat "$OUT/card-shim.port")
URL=http://127.0.0.1:$PORT CARD_URL=http://127.0.0.1:$CARD_PORT

# the buyers log in (bench/payments/setup.sql: bench-pay-N@example.com, password-N)
: >"$OUT/buyers"
for n in $(seq 64); do
  answer=$(curl -s -X POST "$URL/v1/login" -H 'Content-Type: application/json' \
    -d "{\"email\":\"bench-pay-$n@example.com\",\"password\":\"password-$n\"}")
  token=$(printf '%s' "$answer" | sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p')
  uid=$(printf '%s' "$answer" | sed -n 's/.*"user_id":\([0-9]*\).*/\1/p')
  [ -n "$token" ] && [ "$uid" = $((user0 + n - 1)) ] || { echo "login of buyer $n failed: $answer"; exit 1; }
  echo "$uid $token" >>"$OUT/buyers"
done

index() { case $1 in sql) echo 0 ;; direct) echo 1 ;; shim) echo 2 ;; card) echo 3 ;; card0) echo 4 ;; esac; }
# the boxoffice performance of a system's round, or the baseline's
layout() {  # system round column
  local round=$2 sys=boxoffice
  if [ "$1" = seedstyle ]; then sys=seedstyle; else round=$(( $(index "$1") * ROUNDS + $2 )); fi
  value "SELECT $3 FROM bench_pay.layout WHERE system = '$sys' AND round = $round"
}
count_sold() {  # system performance: purchases in the database
  if [ "$1" = seedstyle ]; then
    value "SELECT count(*) FROM seedpay.payments p JOIN seedpay.reservations r ON r.id = p.reservation_id WHERE r.performance_id = $2 AND r.status = 'CONFIRMED'"
  else
    value "SELECT count(*) FROM boxoffice.payments p JOIN boxoffice.reservations r ON r.id = p.reservation_id WHERE r.performance_id = $2 AND p.status = 'approved' AND r.status = 'confirmed'"
  fi
}
# the selling time of a performance: from its first sold hold to its last sale (a
# round that sells out spends its rest waiting, which would cap purchases/s)
sell_span() {  # system performance
  if [ "$1" = seedstyle ]; then
    value "SELECT coalesce(extract(epoch FROM max(updated_at) - min(created_at)), 0) FROM seedpay.reservations WHERE performance_id = $2 AND status = 'CONFIRMED'"
  else
    value "SELECT coalesce(extract(epoch FROM max(confirmed_at) - min(created_at)), 0) FROM boxoffice.reservations WHERE performance_id = $2 AND status = 'confirmed'"
  fi
}

# Sampling during a card run: the shim's connections and the advisory (seat and
# customer) locks in the database, and the shim's pool with the gateway's
# confirms in flight, every 50 ms.
SAMPLE_SQL="SELECT count(*) FILTER (WHERE a.usename = 'boxoffice_http' AND a.state LIKE 'idle in transaction%'),
       (SELECT count(*) FROM pg_locks l JOIN pg_stat_activity b ON b.pid = l.pid
         WHERE l.locktype = 'advisory' AND b.state LIKE 'idle in transaction%'),
       (SELECT count(*) FROM pg_locks l WHERE l.locktype = 'advisory'),
       count(*) FILTER (WHERE a.application_name = 'card-shim' AND a.state = 'active'),
       count(*) FILTER (WHERE a.application_name = 'card-shim')
  FROM pg_stat_activity a"
samplers=()
start_sampling() {  # label
  { echo "$SAMPLE_SQL"; echo '\watch 0.05'; } | psql -X -At -F ' ' -d bench >"$1.db-samples" 2>/dev/null &
  samplers=($!)
  ( while :; do
      g=$(curl -s --max-time 1 "$GW/control/stats" | grep -o '"in_progress":[0-9]*' | cut -d: -f2)
      m=$(curl -s --max-time 1 "$CARD_URL/metrics" | awk '$1 == "boxoffice_db_pool_in_use" { u = $2 } $1 == "boxoffice_db_pool_waiting" { w = $2 } END { print u + 0, w + 0 }')
      echo "${g:-0} $m"
      sleep 0.05
    done >"$1.gw-samples" ) &
  samplers+=($!)
  pids+=("${samplers[@]}")
}
stop_sampling() { local p; for p in "${samplers[@]}"; do kill -TERM "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; }

declare -A R
run() {  # system round
  local sys=$1 round=$2 perf first log before after
  perf=$(layout "$sys" "$round" performance_id)
  first=$(layout "$sys" "$round" first_seat)
  log="$OUT/$sys.$round"
  sql -c 'VACUUM (ANALYZE)' -c CHECKPOINT
  before=$(count_sold "$sys" "$perf")
  echo "running $sys, round $round: $CLIENTS connections, $ROUND_SECONDS s"
  case $sys in
    seedstyle|sql)
      local script=bench/payments/boxoffice_purchase.sql u0=$user0 tps n
      [ "$sys" = seedstyle ] && script=bench/payments/baseline_purchase.sql u0=1
      PGOPTIONS="-c client_min_messages=warning" "$PGBENCH" -n -M prepared -c "$CLIENTS" -j "$(nproc)" -T "$ROUND_SECONDS" \
        --failures-detailed -f "$script" -D performance="$perf" -D first_seat="$first" -D user0="$u0" -D clients="$CLIENTS" -D n=0 \
        -l --log-prefix="$log" bench >"$log.out" 2>"$log.err" || true
      n=$(awk -F': ' '/^number of transactions actually processed/ { split($2, a, "/"); print a[1] + 0 }' "$log.out")
      tps=$(awk '/^tps = / { print $3; exit }' "$log.out")
      R[$sys.cycles]=$(( ${R[$sys.cycles]:-0} + ${n:-0} ))
      R[$sys.secs]=$(awk -v s="${R[$sys.secs]:-0}" -v n="${n:-0}" -v t="${tps:-0}" 'BEGIN { print s + (t > 0 ? n / t : 0) }')
      R[$sys.errors]=$(( ${R[$sys.errors]:-0} + $(awk -F': ' '/^number of failed transactions/ { print $2 + 0 }' "$log.out") + $(grep -c 'aborted in command' "$log.err" || true) ))
      cat "$log".[0-9]* | awk '$3 ~ /^[0-9]+$/ { print $3 }' | sort -n | uniq -c | awk '{ print $2, $1 }' >"$log.hist"
      ;;
    direct|shim|card|card0)
      local args=(--buyers "$OUT/buyers" --performance "$perf" --first-seat "$first" --seats 5000
                  --connections "$CLIENTS" --seconds "$ROUND_SECONDS" --label "$sys-$round" --histogram "$log.hist")
      case $sys in
        direct) args+=(--client direct --conninfo "$CONNINFO") ;;
        shim) args+=(--client shim --port "$PORT") ;;
        card) args+=(--client shim --flow card --port "$CARD_PORT" --gateway-port "$gateway_port" --gateway-secret-key "$gateway_key") ;;
        card0) args+=(--client shim --flow card --behaviour approve --port "$CARD_PORT" --gateway-port "$gateway_port" --gateway-secret-key "$gateway_key") ;;
      esac
      local lines0 logged shim_log=$OUT/shim.log
      case $sys in card*) shim_log=$OUT/card-shim.log ;; esac
      lines0=$(wc -l <"$shim_log")
      case $sys in card*) start_sampling "$log" ;; esac
      "$CLIENT" "${args[@]}" >"$log.json" 2>"$log.err" || true
      case $sys in card*) stop_sampling ;; esac
      [ -s "$log.json" ] || { echo "bench_purchase failed:"; cat "$log.err"; exit 1; }
      sleep 0.2
      logged=$(tail -n +$((lines0 + 1)) "$shim_log" | grep -c '"status":5' || true)
      [ "$sys" = direct ] && logged=0
      local s5=$(jget "$log.json" s5xx)
      R[$sys.5xx]=$(( ${R[$sys.5xx]:-0} + (s5 > logged ? s5 : logged) ))
      R[$sys.cycles]=$(( ${R[$sys.cycles]:-0} + $(jget "$log.json" cycles) ))
      R[$sys.secs]=$(awk -v s="${R[$sys.secs]:-0}" -v t="$(jget "$log.json" seconds)" 'BEGIN { print s + t }')
      R[$sys.errors]=$(( ${R[$sys.errors]:-0} + $(jget "$log.json" errors) ))
      R[$sys.client_purchases]=$(( ${R[$sys.client_purchases]:-0} + $(jget "$log.json" purchases) ))
      local e; e=$(jget "$log.json" first_error)
      [ -n "$e" ] && [ -z "${R[$sys.first_error]:-}" ] && R[$sys.first_error]=$e
      ;;
  esac
  after=$(count_sold "$sys" "$perf")
  R[$sys.purchases]=$(( ${R[$sys.purchases]:-0} + after - before ))
  R[$sys.sell_secs]=$(awk -v s="${R[$sys.sell_secs]:-0}" -v t="$(sell_span "$sys" "$perf")" 'BEGIN { print s + t }')
}
# Unmeasured, the baseline and boxoffice each sell one performance first:
# plans made while the tables were still empty had slowed the baseline's
# first round by two thirds (bench/payments/in-cluster.sh).
warm_up() {  # system performance first_seat user0 script
  sql -c 'VACUUM (ANALYZE)'
  PGOPTIONS="-c client_min_messages=warning" "$PGBENCH" -n -M prepared -c "$CLIENTS" -j "$(nproc)" -T "$ROUND_SECONDS" \
    -f "$5" -D performance="$2" -D first_seat="$3" -D user0="$4" -D clients="$CLIENTS" -D n=0 bench >"$OUT/warmup-$1.out" 2>&1 || true
}
warm_up seedstyle "$(layout seedstyle $((5 * ROUNDS + 1)) performance_id)" "$(layout seedstyle $((5 * ROUNDS + 1)) first_seat)" 1 bench/payments/baseline_purchase.sql
warm_up boxoffice "$(layout sql $((5 * ROUNDS + 1)) performance_id)" "$(layout sql $((5 * ROUNDS + 1)) first_seat)" "$user0" bench/payments/boxoffice_purchase.sql
for round in $(seq "$ROUNDS"); do
  order=$SYSTEMS
  [ $((round % 2)) -eq 0 ] && order=$(echo "$SYSTEMS" | tr ' ' '\n' | tac | tr '\n' ' ')
  for sys in $order; do run "$sys" "$round"; done
done
stop_sampling
invariants=$(value "SELECT count(*) FROM boxoffice.check_invariants()")
baseline_faults=$(value "SELECT (SELECT count(*) FROM seedpay.seats s WHERE s.status = 'SOLD' AND (SELECT count(*) FROM seedpay.reservation_seats rs JOIN seedpay.reservations r ON r.id = rs.reservation_id WHERE rs.seat_id = s.id AND r.status = 'CONFIRMED') <> 1)
                          + (SELECT count(*) FROM seedpay.users u WHERE u.points <> 6000000 - coalesce((SELECT sum(amount) FROM seedpay.payments p WHERE p.user_id = u.id), 0))")
pending=$(value "SELECT count(*) FROM boxoffice.pending_payments")

pct() {  # system percentile: nearest rank over the merged "us count" distributions of its rounds, in ms
  cat "$OUT/$1".[0-9]*.hist | sort -n | awk -v p="$2" '{ v[NR] = $1; c[NR] = $2; n += $2 }
    END { rank = p * n; if (rank > int(rank)) rank = int(rank) + 1; if (rank < 1) rank = 1
          for (i = 1; i <= NR; i++) { seen += c[i]; if (seen >= rank) { printf "%.2f", v[i] / 1000; exit } }
          printf "0.00" }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 == 0) print "n/a"; else printf "%.2fx", a / b }'; }
at_least() { awk -v a="$1" -v b="$2" -v k="$3" 'BEGIN { print ((b > 0 && a >= k * b) ? 1 : 0) }'; }
mark() { [ "$1" = 1 ] && echo PASS || echo FAIL; }
declare -A NAME=([seedstyle]="seedstyle (pgbench)" [sql]="boxoffice SQL (pgbench)" [direct]="direct (libpq)"
                 [shim]="shim, points" [card]="shim, card (gw ${DELAY_MS} ms)"
                 [card0]="shim, card (gw at once)")
echo
echo "== a purchase through boxoffice-http (hold 1 seat, pay it = confirmed), $CLIENTS connections, 5,000-seat performances,"
echo "   PostgreSQL $(value 'SHOW server_version'), $(nproc) cores shared by clients, shim, gateway and server, $ROUNDS x $ROUND_SECONDS s per system, fsync $(value 'SHOW fsync')"
echo "   shim: --pool-size $POOL_SIZE --threads $THREADS; the card runs' shim: --pool-size $CARD_POOL_SIZE; the fake gateway answers a slow confirm in $DELAY_MS ms"
fmt='%-24s %12s %10s %8s %8s %7s %5s\n'
printf "$fmt" system purchases/s cycles/s "p50 ms" "p99 ms" errors 5xx
for sys in $SYSTEMS; do
  R[$sys.rate]=$(awk -v n="${R[$sys.purchases]}" -v s="${R[$sys.sell_secs]}" 'BEGIN { printf "%.1f", (s > 0 ? n / s : 0) }')
  R[$sys.cycle_rate]=$(awk -v n="${R[$sys.cycles]}" -v s="${R[$sys.secs]}" 'BEGIN { printf "%.1f", (s > 0 ? n / s : 0) }')
  R[$sys.p50]=$(pct "$sys" 0.50) R[$sys.p99]=$(pct "$sys" 0.99)
  five=${R[$sys.5xx]:--}
  printf "$fmt" "${NAME[$sys]}" "${R[$sys.rate]}" "${R[$sys.cycle_rate]}" "${R[$sys.p50]}" "${R[$sys.p99]}" "${R[$sys.errors]}" "$five"
done
echo "   a cycle is one attempt (a refused hold ends it); latency is per cycle; purchases are counted in the database"
for sys in direct shim card card0; do
  [ "${R[$sys.client_purchases]}" = "${R[$sys.purchases]}" ] ||
    echo "   note: $sys: the client saw ${R[$sys.client_purchases]} purchases, the database has ${R[$sys.purchases]}"
  [ -n "${R[$sys.first_error]:-}" ] && echo "   $sys: first error: ${R[$sys.first_error]}"
done
echo
printf '%-36s %8s %8s %8s\n' ratio purch/s "p50" "p99"
row() { printf '%-36s %8s %8s %8s\n' "$1" "$(ratio "${R[$2.rate]}" "${R[$3.rate]}")" "$(ratio "${R[$2.p50]}" "${R[$3.p50]}")" "$(ratio "${R[$2.p99]}" "${R[$3.p99]}")"; }
row "shim / direct (HTTP's cost)" shim direct
row "shim / seedstyle baseline" shim seedstyle
row "direct / seedstyle baseline" direct seedstyle
row "boxoffice SQL / seedstyle baseline" sql seedstyle
row "card, gateway $DELAY_MS ms / gateway at once" card card0

# the card runs: what a connection held through each gateway call would allow
cap=$(awk -v p="$CARD_POOL_SIZE" -v d="$DELAY_MS" 'BEGIN { printf "%.0f", p / (d / 1000) }')
gw_max=0 pool_max=0 wait_max=0 both_max=0 gw_n=0 db_n=0 idle_max=0 idle_locks_max=0 adv_max=0 active_max=0 open_max=0
if ls "$OUT"/card.*.gw-samples >/dev/null 2>&1; then
  read -r gw_n gw_max pool_max wait_max both_max < <(cat "$OUT"/card.*.gw-samples | awk 'NF == 3 {
      n++; if ($1 > g) g = $1; if ($2 > u) u = $2; if ($3 > w) w = $3; if ($1 + $2 > b) b = $1 + $2 }
      END { print n + 0, g + 0, u + 0, w + 0, b + 0 }')
  read -r db_n idle_max idle_locks_max adv_max active_max open_max < <(cat "$OUT"/card.*.db-samples | awk 'NF == 5 {
      n++; for (i = 1; i <= 5; i++) if ($i > m[i]) m[i] = $i }
      END { print n + 0, m[1] + 0, m[2] + 0, m[3] + 0, m[4] + 0, m[5] + 0 }')
fi
echo
echo "card: ${R[card.rate]} purchases/s; if each confirm held one of the card shim's $CARD_POOL_SIZE connections through the gateway's $DELAY_MS ms,"
echo "  at most $CARD_POOL_SIZE / $(awk -v d="$DELAY_MS" 'BEGIN { print d / 1000 }') s = $cap purchases/s"
echo "  sampled every 50 ms during the card runs ($gw_n samples of the shim and gateway, $db_n of the database), the most at once:"
echo "    confirms the gateway was thinking about              $gw_max"
echo "    shim pool connections in use / requests waiting      $pool_max of $CARD_POOL_SIZE / $wait_max"
echo "    gateway confirms + pool connections in use           $both_max (more than $CARD_POOL_SIZE: confirms waited at the gateway holding no connection)"
echo "    either shim's backends idle in transaction           $idle_max"
echo "    advisory (seat, customer) locks held by those        $idle_locks_max"
echo "    advisory locks held at all (holds being made)        $adv_max"
echo "    the card shim's backends running a statement / open  $active_max / $open_max"
echo "  payments still pending after the runs: $pending"
echo
echo "$(mark "$(at_least "${R[shim.rate]}" "${R[seedstyle.rate]}" 1.3)")  shim purchases/s >= 1.3x baseline          $(ratio "${R[shim.rate]}" "${R[seedstyle.rate]}")"
echo "$(mark "$(at_least "${R[sql.rate]}" "${R[seedstyle.rate]}" 1.3)")  SQL purchases/s >= 1.3x baseline           $(ratio "${R[sql.rate]}" "${R[seedstyle.rate]}")"
e=$(( R[sql.errors] + R[direct.errors] + R[shim.errors] + R[card.errors] + R[card0.errors] ))
echo "$(mark "$(( e == 0 ))")  errors = 0 (boxoffice systems)               $e (sql ${R[sql.errors]}, direct ${R[direct.errors]}, shim ${R[shim.errors]}, card ${R[card.errors]}, card0 ${R[card0.errors]}; baseline ${R[seedstyle.errors]})"
f=$(( R[shim.5xx] + R[card.5xx] + R[card0.5xx] ))
echo "$(mark "$(( f == 0 ))")  5xx = 0 through the shim                     $f"
echo "$(mark "$(awk -v r="${R[card.rate]}" -v c="$cap" 'BEGIN { print (r > c) ? 1 : 0 }')")  card purchases/s > $cap (no connection held through the gateway)   ${R[card.rate]}"
echo "$(mark "$(( both_max > CARD_POOL_SIZE ))")  gateway confirms + pool in use > $CARD_POOL_SIZE at some instant        $both_max ($gw_max at the gateway, $pool_max connections)"
echo "$(mark "$(( idle_max == 0 && idle_locks_max == 0 && db_n > 0 ))")  no idle-in-transaction backend, no lock held between statements   $idle_max, $idle_locks_max"
echo "$(mark "$(( invariants == 0 ))")  check_invariants() empty                     $invariants violations (baseline's own books: $baseline_faults faults)"
echo "took $(( $(date +%s) - started )) s; raw output in $OUT"
exit 0
