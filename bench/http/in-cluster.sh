#!/usr/bin/env bash
# Runs inside the throw-away cluster of bench/http/run.sh (PG* variables set).
# Sets up a database with 100 performances x 320 seats, starts boxoffice-http
# on 127.0.0.1 and measures two workloads, the seat map and the hold + release
# cycle, with three clients at the same number of connections:
#   direct  bench_direct in pipeline mode: what the shim's pool sends, as the
#           shim's login role (the baseline of the shim/direct ratio)
#   shim    wrk against boxoffice-http (seatmap.lua, cycle.lua)
#   plain   bench_direct in plain mode: the route statement only, as superuser
# The clients take turns in short rounds. Prints one table with the ratios and
# a PASS/MISS verdict per target. A benchmark reports, it does not gate: exit 0.
#
# Settings (environment):
#   BENCH_HTTP_SECONDS      measured time per client and workload (15), in
#   BENCH_HTTP_ROUNDS       rounds (3) that the clients take in turns
#   BENCH_HTTP_CONNECTIONS  concurrent connections of every client (64)
#   BENCH_HTTP_POOL_SIZE    the shim's --pool-size (16)
#   BENCH_HTTP_THREADS      the shim's --threads (96): must exceed the
#                           connections, cpp-httplib holds a thread per keep-alive connection
#   BENCH_HTTP_POOL_WAIT_MS the shim's --pool-wait-ms (unset: the shim's default)
#   BENCH_HTTP_PLAIN        1: also run the plain client (1)
#   BENCH_HTTP_WARMUP       seconds of warm-up per client and workload (2)
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)

RUN_SECONDS=${BENCH_HTTP_SECONDS:-15}
ROUNDS=${BENCH_HTTP_ROUNDS:-3}
ROUND_SECONDS=$(( (RUN_SECONDS + ROUNDS - 1) / ROUNDS ))
CONNECTIONS=${BENCH_HTTP_CONNECTIONS:-64}
POOL_SIZE=${BENCH_HTTP_POOL_SIZE:-16}
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

# --trusted-proxies: cycle.lua names a client of its own per hold (X-Forwarded-For)
shim_args=(--host 127.0.0.1 --port 0 --port-file "$OUT/port" --pool-size "$POOL_SIZE" --threads "$THREADS"
           --trusted-proxies 127.0.0.1)
[ -n "$POOL_WAIT_MS" ] && shim_args+=(--pool-wait-ms "$POOL_WAIT_MS")
env BOXOFFICE_JWT_SECRET="$(head -c 48 /dev/urandom | base64 | tr -d '\n')" \
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

# run_direct LABEL WORKLOAD MODE SECONDS: one run of bench_direct ->
# $OUT/LABEL.json (its figures) and $OUT/LABEL.hist (latency distribution)
run_direct() {
  local label=$1 workload=$2 mode=$3 seconds=$4 conninfo=$SHIM_CONNINFO
  [ "$mode" = plain ] && conninfo=$PLAIN_CONNINFO
  "$DIRECT" --conninfo "$conninfo" --mode "$mode" --workload "$workload" --connections "$CONNECTIONS" \
    --seconds "$seconds" --first-performance "$FIRST_PERF" --performances "$PERFORMANCES" \
    --first-seat "$FIRST_SEAT" --label "$label" --histogram "$OUT/$label.hist" >"$OUT/$label.json" 2>"$OUT/$label.err" || true
  [ -s "$OUT/$label.json" ] || { echo "bench_direct failed:"; cat "$OUT/$label.err"; exit 1; }
}

# run_wrk LABEL WORKLOAD SECONDS: one wrk run -> $OUT/LABEL.out (wrk's
# report), $OUT/LABEL.hist, and $OUT/LABEL.json: the scripts' figures plus the
# 5xx among the access log lines the shim wrote during the run.
run_wrk() {
  local label=$1 workload=$2 seconds=$3 before after json logged_5xx overflows0
  before=$(wc -l <"$OUT/shim.log")
  overflows0=$(listen_overflows)
  BENCH_LABEL=$label BENCH_HISTOGRAM=$OUT/$label.hist wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"${seconds}s" --latency \
    -s "$ROOT/bench/http/$workload.lua" "$URL" >"$OUT/$label.out" 2>&1 || true
  sleep 0.2  # the last responses' log lines
  after=$(wc -l <"$OUT/shim.log")
  sed -n "$((before + 1)),${after}p" "$OUT/shim.log" >"$OUT/$label.access.log"
  grep -o '"status":[0-9]*' "$OUT/$label.access.log" | sort | uniq -c >"$OUT/$label.statuses" || true
  json=$(grep '^BENCH_JSON ' "$OUT/$label.out" | sed 's/^BENCH_JSON //') || true
  [ -n "$json" ] || { echo "wrk failed:"; cat "$OUT/$label.out"; exit 1; }
  logged_5xx=$(grep -c '"status":5' "$OUT/$label.access.log" || true)
  echo "${json%\}},\"logged_5xx\":$logged_5xx,\"listen_overflows\":$(( $(listen_overflows) - overflows0 ))}" >"$OUT/$label.json"
}

# The kernel's count of connections dropped because a listen queue was full
# (TcpExtListenOverflows, whole machine).
listen_overflows() {
  awk '/^TcpExt:/ { if (!h) { for (i = 2; i <= NF; i++) col[$i] = i; h = 1 } else print (col["ListenOverflows"] ? $col["ListenOverflows"] : 0) }' \
    /proc/net/netstat 2>/dev/null || echo 0
}

# run CLIENT LABEL WORKLOAD SECONDS
run() {
  case $1 in
    direct) run_direct "$2" "$3" pipeline "$4" ;;
    plain) run_direct "$2" "$3" plain "$4" ;;
    shim) run_wrk "$2" "$3" "$4" ;;
  esac
}

# Each round starts from vacuumed tables and a fresh checkpoint.
settle() { sql -c 'VACUUM (ANALYZE) boxoffice.reservations, boxoffice.seats' -c CHECKPOINT; }

echo "warming up: ${WARMUP}s per client and workload"
for w in seatmap cycle; do
  run direct "warmup-$w-direct" "$w" "$WARMUP"
  run shim "warmup-$w-shim" "$w" "$WARMUP"
done

# The clients take turns, in short rounds, in alternating order, so that
# other load on this shared machine falls on all of them alike.
CLIENTS="direct shim"
[ "$PLAIN" = 1 ] && CLIENTS="direct shim plain"
for w in seatmap cycle; do
  for round in $(seq "$ROUNDS"); do
    order=$CLIENTS
    [ $((round % 2)) -eq 0 ] && order=$(echo "$CLIENTS" | tr ' ' '\n' | tac | tr '\n' ' ')
    settle
    for c in $order; do
      echo "running $w / $c, round $round of $ROUNDS: $CONNECTIONS connections, ${ROUND_SECONDS}s"
      run "$c" "$w-$c-$round" "$w" "$ROUND_SECONDS"
    done
  done
done

stop_shim
trap - EXIT
shim_stopped=no
grep -q '"event":"stopped"' "$OUT/shim.log" && shim_stopped=yes
invariants=$(value "SELECT count(*) FROM boxoffice.check_invariants()")

# Figures per workload and client over all its rounds: rates are totals over
# the total time; percentiles (nearest rank) come from the merged latency
# distributions. R[workload.client.metric]
declare -A R
sum() { local t=0 f; for f in "${@:2}"; do t=$(awk -v a="$t" -v b="$(jget "$f" "$1")" 'BEGIN { print a + (b == "" ? 0 : b) }'); done; echo "$t"; }
for w in seatmap cycle; do
  for c in $CLIENTS; do
    k=$w.$c
    files=("$OUT/$w-$c"-[0-9]*.json)
    secs=$(sum seconds "${files[@]}")
    R[$k.rps]=$(awk -v n="$(sum requests "${files[@]}")" -v s="$secs" 'BEGIN { printf "%.1f", (s > 0 ? n / s : 0) }')
    R[$k.cps]=$(awk -v n="$(sum cycles "${files[@]}")" -v s="$secs" 'BEGIN { printf "%.1f", (s > 0 ? n / s : 0) }')
    R[$k.errors]=$(sum errors "${files[@]}")
    R[$k.refused]=$(sum refused "${files[@]}")
    R[$k.5xx]=-
    if [ "$c" = shim ]; then
      a=$(sum s5xx "${files[@]}") b=$(sum logged_5xx "${files[@]}")
      R[$k.5xx]=$(( a > b ? a : b ))  # what wrk saw, or the shim logged if more
    fi
    cat "$OUT/$w-$c"-[0-9]*.hist | sort -n >"$OUT/$w-$c.hist"
    read -r R[$k.p50] R[$k.p99] < <(awk '{ v[NR] = $1; c[NR] = $2; n += $2 }
      END {
        split("0.50 0.99", p, " ")
        for (j = 1; j <= 2; j++) {
          rank = p[j] * n; if (rank > int(rank)) rank = int(rank) + 1; if (rank < 1) rank = 1
          seen = 0; out = 0
          for (i = 1; i <= NR; i++) { seen += c[i]; if (seen >= rank) { out = v[i]; break } }
          printf "%.2f ", out / 1000
        }
        print ""
      }' "$OUT/$w-$c.hist")
  done
done

# rate WORKLOAD CLIENT: what the ratios compare: requests/s for the seat map,
# completed hold + release cycles/s for the cycle
rate() { if [ "$1" = seatmap ]; then echo "${R[$1.$2.rps]}"; else echo "${R[$1.$2.cps]}"; fi; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 == 0) print "n/a"; else printf "%.2fx", a / b }'; }
at_least() { awk -v a="$1" -v b="$2" -v k="$3" 'BEGIN { print ((b > 0 && a >= k * b) ? 1 : 0) }'; }

echo
echo "== boxoffice-http vs direct libpq, PostgreSQL $(value 'SHOW server_version'), $(nproc) cores shared by clients, shim and server"
echo "   $CONNECTIONS connections; $ROUNDS rounds x ${ROUND_SECONDS}s per client and workload, in turns; fsync $(value 'SHOW fsync')"
echo "   shim: --pool-size $POOL_SIZE --threads $THREADS${POOL_WAIT_MS:+ --pool-wait-ms $POOL_WAIT_MS}; wrk -t$WRK_THREADS -c$CONNECTIONS"
echo "   seatmap: GET /v1/performances/{random of $PERFORMANCES}/seats (320 seats)"
echo "   cycle: guest hold of 1 random seat of a random performance, then its release; a request is either call"
echo
fmt='%-8s %-15s %9s %9s %7s %7s %6s %4s %7s %11s %7s %s\n'
printf "$fmt" workload client req/s cycles/s "p50 ms" "p99 ms" errors 5xx refused shim/direct target verdict
misses=0
declare -A TARGET=([seatmap]=0.7 [cycle]=0.8)
declare -A NAME=([direct]="direct pipeline" [shim]="shim (wrk)" [plain]="direct plain")
total_5xx=0
for w in seatmap cycle; do
  for c in direct shim plain; do
    [[ " $CLIENTS " == *" $c "* ]] || continue
    k=$w.$c r= t= v=
    case $c in
      shim)
        r=$(ratio "$(rate "$w" shim)" "$(rate "$w" direct)") t=">=${TARGET[$w]}x" v=MISS
        [ "$(at_least "$(rate "$w" shim)" "$(rate "$w" direct)" "${TARGET[$w]}")" = 1 ] && v=PASS
        [ "$v" = PASS ] || misses=$((misses + 1))
        total_5xx=$((total_5xx + R[$k.5xx]))
        ;;
      plain) r="($(ratio "$(rate "$w" shim)" "$(rate "$w" plain)"))" ;;
    esac
    cps=${R[$k.cps]}
    [ "$w" = seatmap ] && cps=-
    printf "$fmt" "$w" "${NAME[$c]}" "${R[$k.rps]}" "$cps" "${R[$k.p50]}" "${R[$k.p99]}" \
      "${R[$k.errors]}" "${R[$k.5xx]}" "${R[$k.refused]}" "$r" "$t" "$v"
  done
done
overflows=0 stalled=0
for f in "$OUT"/*-shim-[0-9]*.json; do overflows=$((overflows + $(jget "$f" listen_overflows))); done
stalled=$(cat "$OUT"/*-shim-[0-9]*.hist | awk '$1 >= 900000 { n += $2 } END { print n + 0 }')
v=PASS; [ "$total_5xx" -eq 0 ] || { v=MISS; misses=$((misses + 1)); }
printf "$fmt" both "shim (wrk)" "" "" "" "" "" "$total_5xx" "" "" "0 5xx" "$v"
echo
echo "shim/direct: requests/s (seatmap) or cycles/s (cycle) of the shim over the direct client in pipeline mode,"
echo "  which sends what the shim's pool sends (role + claims, route statement, Sync: one round trip) as boxoffice_http;"
echo "  in brackets: over the direct client in plain mode (route statement only, as superuser $PGUSER)."
echo "errors: anything but 2xx and 409 TK003 for the shim; any SQL or connection error but TK003 for the clients."
echo "shim runs: $stalled requests took >= 0.9 s; the kernel counted $overflows listen-queue overflows meanwhile"
echo "  (a handshake dropped from a full listen queue costs a connection's first request about 1 s;"
echo "  the shim widens cpp-httplib's backlog of 5 to SOMAXCONN, so this should read 0)."
v=PASS; [ "$invariants" -eq 0 ] || { v=MISS; misses=$((misses + 1)); }
echo "check_invariants() rows after the runs: $invariants ($v); shim stopped cleanly on SIGTERM: $shim_stopped"
echo "$misses target(s) missed; took $(( $(date +%s) - started )) s; raw output in $OUT"
exit 0
