#!/usr/bin/env bash
# Runs inside the throw-away cluster of bench/http/run.sh (PG* variables set).
# Sets up a database with 100 performances x 320 seats, starts boxoffice-http
# on 127.0.0.1, and for each workload runs the direct libpq client
# (bench_direct) and then wrk against the shim, for the same time at the same
# number of connections. Prints one table with the shim/direct ratios and one
# PASS/MISS line per target. A benchmark reports, it does not gate: exit 0.
#
# Settings (environment):
#   BENCH_HTTP_SECONDS      length of each measured run (15)
#   BENCH_HTTP_CONNECTIONS  concurrent connections of both clients (64)
#   BENCH_HTTP_POOL_SIZE    the shim's database connections (8)
#   BENCH_HTTP_THREADS      the shim's HTTP threads; must exceed the
#                           connections, cpp-httplib keeps one per connection (96)
#   BENCH_HTTP_POOL_WAIT_MS the shim's --pool-wait-ms (default: the shim's, 200)
#   BENCH_HTTP_PLAIN        1: also run the direct client in plain mode (1)
#   BENCH_HTTP_WARMUP       seconds of warm-up per client and workload (2)
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)

RUN_SECONDS=${BENCH_HTTP_SECONDS:-15}
CONNECTIONS=${BENCH_HTTP_CONNECTIONS:-64}
POOL_SIZE=${BENCH_HTTP_POOL_SIZE:-8}
THREADS=${BENCH_HTTP_THREADS:-96}
POOL_WAIT_MS=${BENCH_HTTP_POOL_WAIT_MS:-}
PLAIN=${BENCH_HTTP_PLAIN:-1}
WARMUP=${BENCH_HTTP_WARMUP:-2}
PERFORMANCES=100
WRK_THREADS=2
DB=bench_http
SHIM=$ROOT/build/cmake/boxoffice-http
DIRECT=$ROOT/build/cmake/bench_direct
OUT=$(mktemp -d /tmp/boxoffice-http-bench.XXXXXX)
started=$(date +%s)

[ -x "$SHIM" ] && [ -x "$DIRECT" ] || { echo "build first: bash scripts/build-install.sh" >&2; exit 1; }
command -v wrk >/dev/null || { echo "wrk is missing: bash scripts/install-deps.sh" >&2; exit 1; }
[ "$THREADS" -gt "$CONNECTIONS" ] || echo "warning: --threads $THREADS <= $CONNECTIONS connections; cpp-httplib needs a thread per keep-alive connection" >&2

sql() { psql -X -q -v ON_ERROR_STOP=1 -d "$DB" "$@"; }
value() { psql -X -At -v ON_ERROR_STOP=1 -d "$DB" -c "$1"; }
# jget FILE KEY: a number or string field of a one-line JSON object
jget() { grep -o "\"$2\":[^,}]*" "$1" | head -1 | cut -d: -f2- | tr -d '"'; }

echo "setting up (output in $OUT)"
createdb "$DB"
sql -c 'CREATE EXTENSION boxoffice CASCADE' >/dev/null
sql -v performances=$PERFORMANCES -f bench/http/setup.sql >/dev/null
FIRST_PERF=$(value "SELECT first_performance FROM bench_http.layout")
FIRST_SEAT=$(value "SELECT first_seat FROM bench_http.layout")
password=$(head -c 18 /dev/urandom | base64 | tr -d '/+=\n')
psql -X -q -d "$DB" -v login=boxoffice_http -v password="$password" -f scripts/http-role.sql
# the direct client in pipeline mode logs in as the shim does
SHIM_CONNINFO="host=$PGHOST port=$PGPORT dbname=$DB user=boxoffice_http password=$password"
# plain mode: the cluster's superuser, no role switch
PLAIN_CONNINFO="host=$PGHOST port=$PGPORT dbname=$DB user=$PGUSER password=$PGPASSWORD"

shim_args=(--host 127.0.0.1 --port 0 --port-file "$OUT/port" --pool-size "$POOL_SIZE" --threads "$THREADS")
[ -n "$POOL_WAIT_MS" ] && shim_args+=(--pool-wait-ms "$POOL_WAIT_MS")
BOXOFFICE_JWT_SECRET=$(head -c 48 /dev/urandom | base64 | tr -d '\n') \
BOXOFFICE_DATABASE_URL="$SHIM_CONNINFO" \
  "$SHIM" "${shim_args[@]}" >"$OUT/shim.log" 2>"$OUT/shim.err" &
shim=$!
stop_shim() { kill -TERM "$shim" 2>/dev/null && wait "$shim" 2>/dev/null || true; }
trap stop_shim EXIT
for _ in $(seq 50); do [ -s "$OUT/port" ] && break; sleep 0.1; done
[ -s "$OUT/port" ] || { echo "the shim did not start:"; cat "$OUT/shim.err"; exit 1; }
URL="http://127.0.0.1:$(cat "$OUT/port")"
curl -sf "$URL/readyz" >/dev/null || { echo "the shim is not ready:"; cat "$OUT/shim.err"; exit 1; }

export BENCH_FIRST_PERFORMANCE=$FIRST_PERF BENCH_PERFORMANCES=$PERFORMANCES BENCH_FIRST_SEAT=$FIRST_SEAT
export BENCH_SEATS_PER_PERFORMANCE=320

# run_direct LABEL WORKLOAD MODE SECONDS: one run of bench_direct -> $OUT/LABEL.json
run_direct() {
  local label=$1 workload=$2 mode=$3 seconds=$4 conninfo=$SHIM_CONNINFO
  [ "$mode" = plain ] && conninfo=$PLAIN_CONNINFO
  "$DIRECT" --conninfo "$conninfo" --mode "$mode" --workload "$workload" --connections "$CONNECTIONS" \
    --seconds "$seconds" --first-performance "$FIRST_PERF" --performances "$PERFORMANCES" \
    --first-seat "$FIRST_SEAT" --label "$label" >"$OUT/$label.json" 2>"$OUT/$label.err" || true
  [ -s "$OUT/$label.json" ] || { echo "bench_direct failed:"; cat "$OUT/$label.err"; exit 1; }
}

# run_wrk LABEL WORKLOAD SECONDS: one wrk run -> $OUT/LABEL.out (wrk's report)
# and $OUT/LABEL.json (the scripts' figures plus the 5xx of the shim's
# access log lines this run wrote).
run_wrk() {
  local label=$1 workload=$2 seconds=$3 before after
  before=$(wc -l <"$OUT/shim.log")
  BENCH_LABEL=$label wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"${seconds}s" --latency \
    -s "$ROOT/bench/http/$workload.lua" "$URL" >"$OUT/$label.out" 2>&1 || true
  after=$(wc -l <"$OUT/shim.log")
  sed -n "$((before + 1)),${after}p" "$OUT/shim.log" >"$OUT/$label.access.log"
  grep -o '"status":[0-9]*' "$OUT/$label.access.log" | sort | uniq -c >"$OUT/$label.statuses" || true
  local json logged_5xx
  json=$(grep '^BENCH_JSON ' "$OUT/$label.out" | sed 's/^BENCH_JSON //') || true
  [ -n "$json" ] || { echo "wrk failed:"; cat "$OUT/$label.out"; exit 1; }
  logged_5xx=$(grep -c '"status":5' "$OUT/$label.access.log" || true)
  echo "${json%\}},\"logged_5xx\":$logged_5xx}" >"$OUT/$label.json"
}

# Each measured run starts from vacuumed tables and a fresh checkpoint.
settle() { sql -c 'VACUUM (ANALYZE) boxoffice.reservations, boxoffice.seats' -c CHECKPOINT; }

echo "warming up: ${WARMUP}s per client and workload"
for w in seatmap cycle; do
  run_direct "warmup-$w-direct" "$w" pipeline "$WARMUP"
  run_wrk "warmup-$w-shim" "$w" "$WARMUP"
done

for w in seatmap cycle; do
  settle
  echo "running $w / direct (pipeline, as boxoffice_http): $CONNECTIONS connections, ${RUN_SECONDS}s"
  run_direct "$w-direct" "$w" pipeline "$RUN_SECONDS"
  settle
  echo "running $w / shim (wrk -t$WRK_THREADS): $CONNECTIONS connections, ${RUN_SECONDS}s"
  run_wrk "$w-shim" "$w" "$RUN_SECONDS"
  if [ "$PLAIN" = 1 ]; then
    settle
    echo "running $w / direct (plain, as $PGUSER): $CONNECTIONS connections, ${RUN_SECONDS}s"
    run_direct "$w-plain" "$w" plain "$RUN_SECONDS"
  fi
done

stop_shim
trap - EXIT
shim_stopped=no
grep -q '"event":"stopped"' "$OUT/shim.log" && shim_stopped=yes
invariants=$(value "SELECT count(*) FROM boxoffice.check_invariants()")

# rate WORKLOAD LABEL: what the ratios compare: requests/s for the seat map,
# completed hold + release cycles/s for the cycle
rate() { if [ "$1" = seatmap ]; then jget "$OUT/$2.json" requests_per_s; else jget "$OUT/$2.json" cycles_per_s; fi; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 == 0) print "n/a"; else printf "%.2fx", a / b }'; }
at_least() { awk -v a="$1" -v b="$2" -v k="$3" 'BEGIN { print (b > 0 && a >= k * b) ? 1 : 0 }'; }

echo
echo "== boxoffice-http vs direct libpq, PostgreSQL $(value 'SHOW server_version'), $(nproc) cores shared by client, shim and server"
echo "   $CONNECTIONS connections, ${RUN_SECONDS}s per run, fsync $(value 'SHOW fsync'); shim: --pool-size $POOL_SIZE --threads $THREADS${POOL_WAIT_MS:+ --pool-wait-ms $POOL_WAIT_MS}, wrk -t$WRK_THREADS"
echo "   seatmap: GET /v1/performances/{random of $PERFORMANCES}/seats (320 seats)"
echo "   cycle: guest hold of 1 random seat of a random performance, then its release; a request is either call"
echo
fmt='%-8s %-16s %9s %9s %7s %7s %6s %4s %7s %12s %6s %s\n'
printf "$fmt" workload client req/s cycles/s "p50 ms" "p99 ms" errors 5xx refused "shim/direct" target verdict
misses=0
declare -A TARGET=([seatmap]=0.7 [cycle]=0.8)
for w in seatmap cycle; do
  labels="$w-direct $w-shim"
  [ "$PLAIN" = 1 ] && labels="$labels $w-plain"
  for l in $labels; do
    f=$OUT/$l.json
    case $l in
      *-direct) client="direct pipeline" ;;
      *-plain) client="direct plain" ;;
      *) client="shim (wrk)" ;;
    esac
    fivexx=-
    [ "$client" = "shim (wrk)" ] && fivexx=$(( $(jget "$f" s5xx) > $(jget "$f" logged_5xx) ? $(jget "$f" s5xx) : $(jget "$f" logged_5xx) ))
    r=- t=- v=
    if [ "$client" = "shim (wrk)" ]; then
      r=$(ratio "$(rate "$w" "$l")" "$(rate "$w" "$w-direct")") t=">=${TARGET[$w]}x"
      v=MISS
      [ "$(at_least "$(rate "$w" "$l")" "$(rate "$w" "$w-direct")" "${TARGET[$w]}")" = 1 ] && v=PASS
      [ "$v" = PASS ] || misses=$((misses + 1))
    elif [ "$client" = "direct plain" ]; then
      r="($(ratio "$(rate "$w" "$w-shim")" "$(rate "$w" "$l")"))"
    fi
    cycles=$(jget "$f" cycles_per_s)
    [ "$w" = seatmap ] && cycles=-
    printf "$fmt" "$w" "$client" "$(jget "$f" requests_per_s)" "$cycles" "$(jget "$f" p50_ms)" "$(jget "$f" p99_ms)" \
      "$(jget "$f" errors)" "$fivexx" "$(jget "$f" refused)" "$r" "$t" "$v"
  done
done
total_5xx=0
for w in seatmap cycle; do
  n=$(( $(jget "$OUT/$w-shim.json" s5xx) > $(jget "$OUT/$w-shim.json" logged_5xx) ? $(jget "$OUT/$w-shim.json" s5xx) : $(jget "$OUT/$w-shim.json" logged_5xx) ))
  total_5xx=$((total_5xx + n))
done
v=PASS; [ "$total_5xx" -eq 0 ] || { v=MISS; misses=$((misses + 1)); }
printf "$fmt" all "shim (wrk)" "" "" "" "" "" "$total_5xx" "" "" "0 5xx" "$v"
echo
echo "ratios: shim/direct of requests/s (seatmap) or cycles/s (cycle), against the direct client in pipeline mode;"
echo "        in brackets on the plain rows: shim / direct plain (route statement only, as superuser)."
echo "errors: anything but 2xx and 409 TK003 (shim), any SQL or connection error but TK003 (direct)."
v=PASS; [ "$invariants" -eq 0 ] || { v=MISS; misses=$((misses + 1)); }
echo "check_invariants() rows after the runs: $invariants ($v); shim stopped cleanly on SIGTERM: $shim_stopped"
echo "$misses target(s) missed; took $(( $(date +%s) - started )) s; raw output in $OUT"
exit 0
