#!/usr/bin/env bash
# Runs inside the throw-away cluster of bench/http/storm.sh (PG* variables set).
# Sets up one venue of 1,000 seats with two performances and STORM_BUYERS
# buyer accounts (storm-setup.sql), starts boxoffice-http on 127.0.0.1 with a
# JWT secret of its own (the storm client signs its buyers' tokens with it,
# the claims POST /v1/login issues; one real login and GET /v1/me check that),
# then two runs of build/cmake/storm, each bounded to STORM_DEADLINE seconds:
#   direct  performance 1, no waiting room: seat map, hold 2, confirm
#   queue   performance 2, set_queue(max_active, admissions_per_minute):
#           enter, poll GET /v1/queue as told, then the same purchase
# After each run, storm-facts.sql asks the database what was sold, whether
# any seat was sold twice, check_invariants(), and the queue's history.
# A benchmark reports, it does not gate: exit 0.
#
# Settings (environment):
#   STORM_BUYERS          buyers (10000)
#   STORM_FRONT           shims behind the front, nginx, as make run starts them (2);
#                         0: one shim alone, which needs a thread per keep-alive
#                         connection (--threads, at most 1024)
#   STORM_CONNECTIONS     the client's connection limit (10000 through the front;
#                         960 to a shim alone)
#   STORM_RAMP            seconds within which the buyers arrive (1)
#   STORM_DEADLINE        longest run, seconds (90)
#   STORM_MAX_ACTIVE      the waiting room's max_active (200)
#   STORM_ADMISSIONS      its admissions_per_minute (6000)
#   STORM_POOL_SIZE       each shim's --pool-size (16)
#   STORM_THREADS         each shim's --threads (64 behind the front, as make run's;
#                         alone: connections + 64, at most 1024)
#   STORM_URL             run against this URL instead of the shim started here
#                         (e.g. an nginx front; it must reach the same database)
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
BUYERS=${STORM_BUYERS:-10000}
FRONT=${STORM_FRONT:-2}
if [ "$FRONT" -gt 0 ]; then CONNECTIONS=${STORM_CONNECTIONS:-10000}; else CONNECTIONS=${STORM_CONNECTIONS:-960}; fi
RAMP=${STORM_RAMP:-1}
DEADLINE=${STORM_DEADLINE:-90}
MAX_ACTIVE=${STORM_MAX_ACTIVE:-200}
ADMISSIONS=${STORM_ADMISSIONS:-6000}
POOL_SIZE=${STORM_POOL_SIZE:-16}
if [ "$FRONT" -gt 0 ]; then THREADS=${STORM_THREADS:-64}; else THREADS=${STORM_THREADS:-$((CONNECTIONS + 64))}; fi
[ "$THREADS" -le 1024 ] || THREADS=1024
DB=storm
SHIM=$ROOT/build/cmake/boxoffice-http
STORM=$ROOT/build/cmake/storm
OUT=$(mktemp -d /tmp/boxoffice-storm.XXXXXX)
[ "$(id -u)" -eq 0 ] && chmod 711 "$OUT"  # nginx runs as www-data, in $OUT/front-state/front
started=$(date +%s)

[ -x "$SHIM" ] && [ -x "$STORM" ] || { echo "build first: bash scripts/build-install.sh" >&2; exit 1; }
[ "$FRONT" -gt 0 ] || [ "$THREADS" -gt "$CONNECTIONS" ] || echo "warning: --threads $THREADS <= $CONNECTIONS connections; cpp-httplib needs a thread per keep-alive connection" >&2
echo "open files limit: $(ulimit -n)"

sql() { psql -X -q -v ON_ERROR_STOP=1 -d "$DB" "$@"; }
value() { psql -X -At -v ON_ERROR_STOP=1 -d "$DB" -c "$1"; }

echo "setting up $BUYERS buyers (output in $OUT)"
createdb "$DB"
sql -c 'CREATE EXTENSION boxoffice CASCADE' >/dev/null
sql -v buyers="$BUYERS" -f bench/http/storm-setup.sql >/dev/null
P_DIRECT=$(value "SELECT direct_performance FROM storm.layout")
P_QUEUE=$(value "SELECT queue_performance FROM storm.layout")
FIRST_USER=$(value "SELECT first_user FROM storm.layout")
SEATS=$(value "SELECT seats FROM storm.layout")
password=$(head -c 18 /dev/urandom | base64 | tr -d '/+=\n')
psql -X -q -d "$DB" -v login=boxoffice_http -v password="$password" -f scripts/http-role.sql
SECRET=$OUT/jwt-secret
(umask 077; head -c 48 /dev/urandom | base64 | tr -d '\n' >"$SECRET")

free_port() {
  local p
  while :; do
    p=$((20000 + RANDOM % 12000))
    (echo >"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
  done
}
shims=()
cleanup() {
  [ "$FRONT" -gt 0 ] && BOXOFFICE_STATE_DIR=$OUT/front-state bash scripts/front.sh stop >/dev/null 2>&1
  local pid
  for pid in "${shims[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${shims[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT
# start_shim N ARGS...: shim N on a port of its own (in $OUT/shim-N.port)
start_shim() {
  local n=$1; shift
  BOXOFFICE_DATABASE_URL="host=$PGHOST port=$PGPORT dbname=$DB user=boxoffice_http password=$password" \
    "$SHIM" --host 127.0.0.1 --port 0 --port-file "$OUT/shim-$n.port" --pool-size "$POOL_SIZE" --threads "$THREADS" \
    --jwt-secret-file "$SECRET" "$@" >"$OUT/shim-$n.log" 2>"$OUT/shim-$n.err" &
  shims+=($!)
  for _ in $(seq 50); do [ -s "$OUT/shim-$n.port" ] && break; sleep 0.1; done
  [ -s "$OUT/shim-$n.port" ] || { echo "shim $n did not start:"; cat "$OUT/shim-$n.err"; exit 1; }
}

if [ -n "${STORM_URL:-}" ]; then
  URL=$STORM_URL
  echo "using $URL (not starting a shim)"
elif [ "$FRONT" -gt 0 ]; then
  upstreams=()
  for n in $(seq "$FRONT"); do
    start_shim "$n" --trusted-proxies 127.0.0.1
    upstreams+=("127.0.0.1:$(cat "$OUT/shim-$n.port")")
  done
  port=$(free_port)
  BOXOFFICE_STATE_DIR=$OUT/front-state BOXOFFICE_HTTP_PORT=$port BOXOFFICE_SHIM_THREADS=$THREADS \
    BOXOFFICE_FRONT_ACCESS_LOG=off bash scripts/front.sh start "${upstreams[@]}" >"$OUT/front.start" 2>&1 ||
    { cat "$OUT/front.start"; exit 1; }
  URL="http://127.0.0.1:$port"
  echo "the front: nginx on $URL, $FRONT shims behind it (${upstreams[*]})"
else
  start_shim 1
  URL="http://127.0.0.1:$(cat "$OUT/shim-1.port")"
fi
curl -sf "$URL/readyz" >/dev/null || { echo "$URL is not ready"; exit 1; }

# The tokens the client signs are what login issues: check one of each.
login=$(curl -sf "$URL/v1/login" --json '{"email":"storm-1@example.com","password":"storm-password"}')
claims_login=$(echo "$login" | jq -r .access_token | cut -d. -f2 | tr '_-' '/+' | base64 -d 2>/dev/null | jq -c 'keys' || true)
signed=$("$STORM" --print-token --performance 1 --first-user "$FIRST_USER" --jwt-secret-file "$SECRET")
claims_signed=$(echo "$signed" | cut -d. -f2 | tr '_-' '/+' | base64 -d 2>/dev/null | jq -c 'keys' || true)
me=$(curl -s "$URL/v1/me" -H "Authorization: Bearer $signed" | jq -r .user_id)
echo "login claims $claims_login; signed claims $claims_signed; GET /v1/me with a signed token: user $me"
[ "$me" = "$FIRST_USER" ] || { echo "a signed token is not accepted"; exit 1; }

settle() { sql -c 'VACUUM (ANALYZE) boxoffice.reservations, boxoffice.seats, boxoffice.users' -c CHECKPOINT; }
# Each shim's access log (one JSON line per request) is cut per run by its
# own line count: mark LABEL notes the counts, cut LABEL takes what came since.
mark() { for f in "$OUT"/shim-*.log; do wc -l <"$f" >"$f.$1.mark"; done; }
cut_run() { for f in "$OUT"/shim-*.log; do tail -n +"$(( $(cat "$f.$1.mark") + 1 ))" "$f"; done; }
# p50/p99 per route of the time the shims took (the client's figures add the
# time a request waited for a shim thread, in the front, and in the client)
shim_times() {
  perl -ne 'if (/"duration_ms":([0-9.]+),"method":"(\w+)".*"route":"([^"]+)"/) { push @{$d{"$2 $3"}}, $1 }
    END { for $k (sort keys %d) { @a = sort { $a <=> $b } @{$d{$k}}; $n = @a;
      printf "  %-52s %7d %8.1f %8.1f\n", $k, $n, $a[int(($n - 1) * 0.5)], $a[int(($n - 1) * 0.99)] } }' "$1"
}

# The kernel's count of connections dropped from a full accept queue
# (TcpExt ListenOverflows, all listeners of this machine): each one cost a
# client a TCP retry of 1 s or more, outside every latency the shims log.
listen_overflows() {
  awk '$1 == "TcpExt:" { if (!n) { for (i = 2; i <= NF; i++) k[i] = $i; n = 1 } else for (i = 2; i <= NF; i++) if (k[i] == "ListenOverflows") print $i }' /proc/net/netstat
}

# run LABEL MODE PERFORMANCE
run() {
  local label=$1 mode=$2 perf=$3
  settle
  mark "$label"
  local overflows
  overflows=$(listen_overflows)
  echo "run $label: $BUYERS buyers, $CONNECTIONS connections, performance $perf"
  timeout --signal=TERM --kill-after=10 $((DEADLINE + 30)) \
    "$STORM" --url "$URL" --mode "$mode" --label "$label" --performance "$perf" --first-user "$FIRST_USER" \
      --buyers "$BUYERS" --seats "$SEATS" --connections "$CONNECTIONS" --ramp-seconds "$RAMP" \
      --deadline-seconds "$DEADLINE" --jwt-secret-file "$SECRET" --json "$OUT/$label.json" \
      | tee "$OUT/$label.out" || echo "storm $label exited with $?"
  sleep 0.3
  if [ "${#shims[@]}" -gt 0 ]; then
    cut_run "$label" >"$OUT/$label.access.log"
    echo "shims' access logs: $(grep -c '"status":5' "$OUT/$label.access.log" || true) 5xx of $(wc -l <"$OUT/$label.access.log") requests"
    echo "  time in the shims, by route:                        requests   p50 ms   p99 ms"
    shim_times "$OUT/$label.access.log"
  fi
  echo "connections dropped by a full accept queue (ListenOverflows): $(( $(listen_overflows) - overflows ))"
  psql -X -At -v ON_ERROR_STOP=1 -d "$DB" -v performance="$perf" -f bench/http/storm-facts.sql >"$OUT/$label-facts.json"
  jq -c . "$OUT/$label-facts.json"
}

run direct direct "$P_DIRECT"
value "SELECT boxoffice.set_queue($P_QUEUE, max_active => $MAX_ACTIVE, admissions_per_minute => $ADMISSIONS, prequeue_lead => '0')" >"$OUT/queue-settings.json"
echo "queue: $(cat "$OUT/queue-settings.json")"
run queue queue "$P_QUEUE"

"$STORM" --report "$OUT/direct.json" "$OUT/direct-facts.json" "$OUT/queue.json" "$OUT/queue-facts.json"
echo "PostgreSQL $(value 'SHOW server_version'), $(nproc) cores shared by client, shim and server; fsync $(value 'SHOW fsync');"
if [ "$FRONT" -gt 0 ]; then echo "the front (nginx) and $FRONT shims behind it, each --threads $THREADS --pool-size $POOL_SIZE;"
else echo "one shim alone, --threads $THREADS --pool-size $POOL_SIZE;"; fi
echo "$CONNECTIONS client connections at most; waiting room max_active $MAX_ACTIVE, admissions_per_minute $ADMISSIONS"
echo "took $(( $(date +%s) - started )) s; raw output in $OUT"
exit 0
