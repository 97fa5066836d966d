#!/usr/bin/env bash
# Connections as browsers make them: a crowd of 10,000 clients, each keeping
# its connection open between polls, against
#   front      the front of `make run`: nginx (front/nginx.conf.template, via
#              scripts/front.sh) in front of 2 boxoffice-http (--threads 64)
#   alone      one boxoffice-http with --threads 1024, the most it accepts: it
#              has a thread per open connection, so 10,000 do not fit
#   shim       (not by default) one boxoffice-http with its default --threads (16)
# in one throw-away PostgreSQL 15, everything on 127.0.0.1. The client is
# bench_connections (connections.cpp): event-driven (epoll), 2 threads.
#   bash bench/http/connections.sh      # as root, or with sudo; about 3 minutes, each run <= 25 s
# Ends with the ratios front / alone of one invocation.
#
# Two workloads, the same for every setup:
#   poll   every client connects (10,000 over the first second), GETs /healthz
#          at once and then every 2 s (+-25%), 5 answers in all, ~11 s. No
#          database: the cost is the connections'.
#   page   every client connects (10,000 over 15 s), GETs
#          /v1/performances/{id} once (a database read, ~670/s: under what
#          this machine serves), and keeps the connection open, idle, until
#          16 s (a page left open).
# A client gives up a request after 5 s without an answer (a timeout: the
# connection is closed and its remaining requests are not sent).
#
# Settings (environment):
#   BENCH_CONN_CONNECTIONS (10000), BENCH_CONN_REQUESTS (5), BENCH_CONN_INTERVAL_MS (2000),
#   BENCH_CONN_RAMP_MS (1000), BENCH_CONN_TIMEOUT_MS (5000)   the poll workload
#   BENCH_CONN_PAGE_RAMP_MS (15000)                           the page workload
#   BENCH_CONN_SETUPS ("front alone"), BENCH_CONN_WORKLOADS ("poll page")
#   BENCH_CONN_FRONT_THREADS (64)   the front's shims' --threads; BOXOFFICE_FRONT_* reach scripts/front.sh
# Prints one table (markdown) and the directory with every run's raw output.
# A benchmark reports, it does not gate: exit 0 unless something broke.
set -euo pipefail
cd "$(dirname "$0")/../.."

if [ "${1:-}" != --in-cluster ]; then
  bash scripts/install-deps.sh
  bash scripts/build-install.sh
  # bounded: a hung run is killed after 10 minutes
  exec timeout --signal=TERM --kill-after=30 600 \
    pg_virtualenv -t -v 15 -o max_connections=300 -o timezone=UTC -o fsync=off \
    bash bench/http/connections.sh --in-cluster
fi

ROOT=$(pwd)
CONNECTIONS=${BENCH_CONN_CONNECTIONS:-10000}
REQUESTS=${BENCH_CONN_REQUESTS:-5}
INTERVAL_MS=${BENCH_CONN_INTERVAL_MS:-2000}
RAMP_MS=${BENCH_CONN_RAMP_MS:-1000}
TIMEOUT_MS=${BENCH_CONN_TIMEOUT_MS:-5000}
PAGE_RAMP_MS=${BENCH_CONN_PAGE_RAMP_MS:-15000}
SETUPS=${BENCH_CONN_SETUPS:-front alone}
WORKLOADS=${BENCH_CONN_WORKLOADS:-poll page}
FRONT_THREADS=${BENCH_CONN_FRONT_THREADS:-64}  # the front's shims' --threads, as make run's
SHIM=$ROOT/build/cmake/boxoffice-http
CLIENT=$ROOT/build/cmake/bench_connections
DB=bench_conn
OUT=$(mktemp -d /tmp/boxoffice-connections.XXXXXX)
[ "$(id -u)" -eq 0 ] && chmod 711 "$OUT"  # nginx runs as www-data, in $OUT/front-state/front
[ -x "$SHIM" ] && [ -x "$CLIENT" ] || { echo "build first: bash scripts/build-install.sh" >&2; exit 1; }

# Every connection is a file descriptor, in the client and in a server alone.
hard=$(ulimit -Hn)
[ "$hard" = unlimited ] || [ "$hard" -ge $((CONNECTIONS + 1024)) ] || ulimit -Hn $((CONNECTIONS + 1024)) 2>/dev/null ||
  { echo "the open-files hard limit ($hard) is below $CONNECTIONS connections + 1024" >&2; exit 1; }
ulimit -Sn "$(ulimit -Hn)"

echo "setting up (output in $OUT)"
createdb "$DB"
psql -X -q -v ON_ERROR_STOP=1 -d "$DB" -c 'CREATE EXTENSION boxoffice CASCADE' >/dev/null
psql -X -q -v ON_ERROR_STOP=1 -d "$DB" -v performances=4 -f bench/http/setup.sql >/dev/null
PERFORMANCE=$(psql -X -At -d "$DB" -c "SELECT first_performance FROM bench_http.layout")
DATA_DIR=$(psql -X -At -d "$DB" -c "SHOW data_directory")
password=$(head -c 18 /dev/urandom | base64 | tr -d '/+=\n')
psql -X -q -d "$DB" -v login=boxoffice_http -v password="$password" -f scripts/http-role.sql
export BOXOFFICE_DATABASE_URL="host=$PGHOST port=$PGPORT dbname=$DB user=boxoffice_http password=$password"
export BOXOFFICE_JWT_SECRET=$(head -c 48 /dev/urandom | base64 | tr -d '\n')

jget() { grep -o "\"$2\":[^,}]*" "$1" | head -1 | cut -d: -f2- | tr -d '"'; }
free_port() {
  local p
  while :; do
    p=$((20000 + RANDOM % 12000))
    (echo >"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
  done
}
pids=()
front_state=$OUT/front-state
cleanup() {
  BOXOFFICE_STATE_DIR=$front_state bash scripts/front.sh stop >/dev/null 2>&1 || true
  stop_servers
}
stop_servers() {
  local pid
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  pids=()
}
trap cleanup EXIT

# start_shim NAME ARGS...: a shim on a port of its own; echoes the port
start_shim() {
  local name=$1; shift
  rm -f "$OUT/$name.port"
  "$SHIM" --host 127.0.0.1 --port 0 --port-file "$OUT/$name.port" "$@" >"$OUT/$name.log" 2>"$OUT/$name.err" &
  pids+=($!)
  for _ in $(seq 50); do [ -s "$OUT/$name.port" ] && break; sleep 0.1; done
  curl -sf "http://127.0.0.1:$(cat "$OUT/$name.port")/readyz" >/dev/null ||
    { echo "shim $name did not start:" >&2; cat "$OUT/$name.err" >&2; exit 1; }
}

# start SETUP: the servers of one setup; sets URL_PORT and SERVER_PIDS (what to watch)
start() {
  case $1 in
    shim) start_shim "$1"; URL_PORT=$(cat "$OUT/$1.port") ;;
    alone) start_shim "$1" --threads 1024; URL_PORT=$(cat "$OUT/$1.port") ;;
    front)
      start_shim front-shim-1 --threads "$FRONT_THREADS" --trusted-proxies 127.0.0.1
      start_shim front-shim-2 --threads "$FRONT_THREADS" --trusted-proxies 127.0.0.1
      URL_PORT=$(free_port)
      # nginx takes the X-Forwarded-For of the crowd (all on 127.0.0.1) for the
      # client: 10,000 clients, hashed over the shims as real ones would be.
      BOXOFFICE_STATE_DIR=$front_state BOXOFFICE_HTTP_PORT=$URL_PORT BOXOFFICE_SHIM_THREADS=$FRONT_THREADS \
        BOXOFFICE_FRONT_TRUSTED_PROXIES=127.0.0.1 \
        bash scripts/front.sh start "127.0.0.1:$(cat "$OUT/front-shim-1.port")" "127.0.0.1:$(cat "$OUT/front-shim-2.port")" \
        >"$OUT/front.start" 2>&1 || { cat "$OUT/front.start" >&2; exit 1; }
      ;;
    *) echo "unknown setup $1" >&2; exit 1 ;;
  esac
}
stop() {
  if [ "$1" = front ]; then BOXOFFICE_STATE_DIR=$front_state bash scripts/front.sh stop >/dev/null; fi
  stop_servers
}

# The servers' threads and memory, every half second, while a run lasts:
# "max_threads max_rss_kb" of the setup's processes together (nginx's included).
watch_servers() {  # output file
  local threads rss max_threads=0 max_rss=0 p
  while :; do
    threads=0 rss=0
    for p in $(server_pids); do
      [ -r "/proc/$p/status" ] || continue
      threads=$((threads + $(awk '/^Threads:/ {print $2}' "/proc/$p/status")))
      rss=$((rss + $(awk '/^VmRSS:/ {print $2}' "/proc/$p/status")))
    done
    [ "$threads" -gt "$max_threads" ] && max_threads=$threads
    [ "$rss" -gt "$max_rss" ] && max_rss=$rss
    echo "$max_threads $max_rss" >"$1"
    sleep 0.5
  done
}
server_pids() {
  local p
  for p in "${pids[@]}"; do echo "$p"; done
  if [ -s "$front_state/front.dir" ] && [ -s "$(cat "$front_state/front.dir")/nginx.pid" ]; then
    p=$(cat "$(cat "$front_state/front.dir")/nginx.pid")
    echo "$p"; pgrep -P "$p" || true
  fi
}

# The throw-away cluster's postmaster and its processes (the shims' backends).
database_pids() {
  local pm
  pm=$(head -1 "$DATA_DIR/postmaster.pid" 2>/dev/null) || return 0
  echo "$pm"; pgrep -P "$pm" || true
}
# CPU time (jiffies) the whole machine spent busy so far; and the servers'
# (the database's included).
# user + nice + system: what processes ran; irq + softirq (the loopback's TCP
# work, mostly) and steal are counted apart.
busy_jiffies() { awk '/^cpu / { print $2 + $3 + $4 }' /proc/stat; }
irq_jiffies() { awk '/^cpu / { print $7 + $8 + $9 }' /proc/stat; }
server_jiffies() {
  local p total=0
  for p in $(server_pids) $(database_pids); do
    [ -r "/proc/$p/stat" ] && total=$((total + $(awk '{ print $14 + $15 }' "/proc/$p/stat")))
  done
  echo "$total"
}

# run SETUP WORKLOAD: one run of the client -> $OUT/SETUP-WORKLOAD.{out,json,watch,cpu}
run() {
  local label=$1-$2 args watcher busy0 irq0 servers0 hz
  hz=$(getconf CLK_TCK)
  case $2 in
    poll) args=(--path /healthz --requests "$REQUESTS" --interval-ms "$INTERVAL_MS" --ramp-ms "$RAMP_MS") ;;
    page) args=(--path "/v1/performances/$PERFORMANCE" --requests 1 --ramp-ms "$PAGE_RAMP_MS"
                --linger-ms $((PAGE_RAMP_MS + 1000))) ;;
    *) echo "unknown workload $2" >&2; exit 1 ;;
  esac
  watch_servers "$OUT/$label.watch" & watcher=$!
  busy0=$(busy_jiffies) irq0=$(irq_jiffies) servers0=$(server_jiffies)
  "$CLIENT" --host 127.0.0.1 --port "$URL_PORT" --connections "$CONNECTIONS" --timeout-ms "$TIMEOUT_MS" \
    --threads 2 --forwarded-for on --label "$label" "${args[@]}" >"$OUT/$label.out" 2>&1 ||
    { cat "$OUT/$label.out" >&2; exit 1; }
  kill "$watcher" 2>/dev/null || true; wait "$watcher" 2>/dev/null || true
  sed -n '/^BENCH_JSON /s/^BENCH_JSON //p' "$OUT/$label.out" >"$OUT/$label.json"
  # CPU seconds of the run: the servers' (and the database's), the client's,
  # the kernel's interrupts (softirq: loopback TCP), and every other process's
  # on this machine (other work here competes for the same cores: noise).
  awk -v busy=$(($(busy_jiffies) - busy0)) -v irq=$(($(irq_jiffies) - irq0)) \
      -v servers=$(($(server_jiffies) - servers0)) -v hz="$hz" -v client="$(jget "$OUT/$label.json" client_cpu_s)" \
    'BEGIN { o = busy / hz - servers / hz - client; if (o < 0) o = 0
             printf "%.1f %.1f %.1f %.1f\n", servers / hz, client, irq / hz, o }' >"$OUT/$label.cpu"
  grep -v '^BENCH_JSON ' "$OUT/$label.out"
  read -r c_servers c_client c_irq c_other <"$OUT/$label.cpu"
  echo "  CPU seconds: servers and database $c_servers, client $c_client, interrupts $c_irq, other processes $c_other"
}

for setup in $SETUPS; do
  for workload in $WORKLOADS; do
    start "$setup"
    run "$setup" "$workload"
    stop "$setup"
    sleep 2  # the sockets of the run close
  done
done

echo
echo "$CONNECTIONS keep-alive connections; poll: $REQUESTS x GET /healthz every $INTERVAL_MS ms after arriving over $RAMP_MS ms;"
echo "page: 1 x GET /v1/performances/{id} after arriving over $PAGE_RAMP_MS ms, then open and idle; timeout $TIMEOUT_MS ms."
echo
echo "| setup | workload | conns with all answers | failed conns | timeouts | refused | 5xx | answers/s | p50 ms | p99 ms | first answer p50 / p99 ms | later polls p50 / p99 ms | server threads | server RSS MB | CPU s: servers + db / client / irq / others |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
for setup in $SETUPS; do
  for workload in $WORKLOADS; do
    j=$OUT/$setup-$workload.json
    [ -s "$j" ] || continue
    read -r threads rss <"$OUT/$setup-$workload.watch" || threads=0 rss=0
    later="-"
    [ "$workload" = poll ] && later="$(jget "$j" poll_p50_ms) / $(jget "$j" poll_p99_ms)"
    echo "| $setup | $workload | $(jget "$j" completed) | $(jget "$j" failed) | $(jget "$j" timeouts) | $(jget "$j" connect_refused) |" \
         "$(jget "$j" s5xx) | $(jget "$j" answers_per_s) | $(jget "$j" p50_ms) | $(jget "$j" p99_ms) |" \
         "$(jget "$j" first_p50_ms) / $(jget "$j" first_p99_ms) | $later | $threads | $((rss / 1024)) |" \
         "$(sed 's| | / |g' "$OUT/$setup-$workload.cpu") |"
  done
done
echo
# front / alone, workload by workload: > 1 means the front gives more
# (throughput) or takes longer (latency); errors are failed connections
# (refused, timed out, reset or closed before all their answers) and 5xx.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 == 0) print "-"; else printf "%.3g", a / b }'; }
if [[ " $SETUPS " == *" front "* && " $SETUPS " == *" alone "* ]]; then
  echo
  echo "| workload | answers/s front / alone | p50 | p99 | errors front vs alone (failed conns + 5xx) |"
  echo "|---|---|---|---|---|"
  for workload in $WORKLOADS; do
    f=$OUT/front-$workload.json a=$OUT/alone-$workload.json
    [ -s "$f" ] && [ -s "$a" ] || continue
    fe=$(($(jget "$f" failed) + $(jget "$f" s5xx))) ae=$(($(jget "$a" failed) + $(jget "$a" s5xx)))
    echo "| $workload | $(ratio "$(jget "$f" answers_per_s)" "$(jget "$a" answers_per_s)") |" \
         "$(ratio "$(jget "$f" p50_ms)" "$(jget "$a" p50_ms)") | $(ratio "$(jget "$f" p99_ms)" "$(jget "$a" p99_ms)") |" \
         "$fe vs $ae of $CONNECTIONS |"
  done
fi
echo
echo "raw output: $OUT"
