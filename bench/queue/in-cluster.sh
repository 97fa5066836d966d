#!/usr/bin/env bash
# Runs inside the throw-away cluster of bench/queue/run.sh (PG* variables set).
# The on-sale rush of one performance's waiting room, against pgbench's own
# transactions measured in the same cluster and invocation:
#   entries  every user enters once (boxoffice.enter_queue, as the
#            application's login, a member of boxoffice_app), against
#            pgbench -N (an UPDATE and an INSERT: a write, one commit flush,
#            as entering is) for as many transactions per client;
#   polls    random users ask where they stand (boxoffice.queue_status with
#            their token) for a fixed time, against pgbench -S (one
#            primary-key read) for the same time.
# Both take turns with their baseline in rounds (this machine is noisy; the
# users are split between the entry rounds). After the entries and after the
# polls, the entries are checked (check.sql). Prints one table and a
# PASS/MISS line per target. Exit status: 0 even when a target is missed;
# 1 when the entries came out wrong (the figures would mean nothing).
#
# Settings (environment):
#   BENCH_QUEUE_USERS         users, each entering once (100000)
#   BENCH_QUEUE_CLIENTS       pgbench connections (64)
#   BENCH_QUEUE_POLL_SECONDS  polling time, and -S time, in total (30)
#   BENCH_QUEUE_ROUNDS        rounds taken in turns with the baselines (2)
set -euo pipefail
cd "$(dirname "$0")/../.."

PGBENCH=/usr/lib/postgresql/15/bin/pgbench
USERS=${BENCH_QUEUE_USERS:-100000}
CLIENTS=${BENCH_QUEUE_CLIENTS:-64}
POLL_SECONDS=${BENCH_QUEUE_POLL_SECONDS:-30}
ROUNDS=${BENCH_QUEUE_ROUNDS:-2}
ROUND_SECONDS=$(( (POLL_SECONDS + ROUNDS - 1) / ROUNDS ))
THREADS=2
DB=bench
OUT=$(mktemp -d /tmp/boxoffice-queue-bench.XXXXXX)
started=$(date +%s)

sql() { psql -X -q -v ON_ERROR_STOP=1 -d "$DB" "$@"; }
value() { psql -X -At -v ON_ERROR_STOP=1 -d "$DB" -c "$1"; }

echo "setting up: $USERS users (output in $OUT)"
createdb "$DB"
sql -c 'CREATE EXTENSION pg_cron' -c 'CREATE EXTENSION boxoffice CASCADE' >/dev/null
password=$(head -c 18 /dev/urandom | base64 | tr -d '/+=\n')
sql -v users="$USERS" -v password="$password" -f bench/queue/setup.sql >/dev/null
PERF=$(value "SELECT performance_id FROM bench_queue.layout")
FIRST_USER=$(value "SELECT first_user FROM bench_queue.layout")
createdb pgbench_base
"$PGBENCH" -i -q -s 10 pgbench_base >"$OUT/pgbench-init.log" 2>&1

declare -A R  # R[system.metric]: n (transactions), secs, failed, aborted, done (entries made)

# run SYSTEM ROUND PGBENCH-ARGS...: one pgbench run, its figures added to the
# system's. Each starts from vacuumed tables and a fresh checkpoint, so none
# pays for the one before.
run() {
  local sys=$1 round=$2 db=$DB log="$OUT/$1.$2" n tps
  shift 2
  case $sys in nupdate|select) db=pgbench_base ;; esac
  psql -X -q -d "$db" -c 'VACUUM (ANALYZE)' -c CHECKPOINT
  echo "running $sys, round $round: $CLIENTS clients, $*"
  if [ "$db" = "$DB" ]; then
    PGUSER=bench_queue_app PGPASSWORD=$password \
      "$PGBENCH" -n -M prepared -c "$CLIENTS" -j "$THREADS" -l --log-prefix="$log" "$@" "$db" >"$log.out" 2>"$log.err" || true
  else
    "$PGBENCH" -n -M prepared -c "$CLIENTS" -j "$THREADS" -l --log-prefix="$log" "$@" "$db" >"$log.out" 2>"$log.err" || true
  fi
  n=$(awk -F': ' '/^number of transactions actually processed/ { split($2, a, "/"); print a[1] + 0 }' "$log.out")
  tps=$(awk '/^tps = / { print $3; exit }' "$log.out")
  n=${n:-0} tps=${tps:-0}
  R[$sys.n]=$(( ${R[$sys.n]:-0} + n ))
  # pgbench's tps leaves out the time spent connecting; n / tps is the time
  # the transactions took
  R[$sys.secs]=$(awk -v s="${R[$sys.secs]:-0}" -v n="$n" -v t="$tps" 'BEGIN { print s + (t > 0 ? n / t : 0) }')
  R[$sys.failed]=$(( ${R[$sys.failed]:-0} + $(awk -F': ' '/^number of failed transactions/ { print $2 + 0 }' "$log.out") ))
  R[$sys.aborted]=$(( ${R[$sys.aborted]:-0} + $(grep -c 'aborted in command' "$log.err" || true) ))
}

# enter ROUND LO HI: users LO..HI enter, CLIENTS at a time; then pgbench -N
# for as many transactions per client (the order alternates by round).
enter_round() {
  local round=$1 lo=$2 hi=$3 per_client
  per_client=$(( (hi - lo + 1 + CLIENTS - 1) / CLIENTS ))
  local entries=(-t "$per_client" -f bench/queue/enter.pgbench -D k=0 -D lo="$lo" -D hi="$hi" -D clients="$CLIENTS"
                 -D perf="$PERF" -D first_user="$FIRST_USER")
  if [ $((round % 2)) -eq 1 ]; then
    run nupdate "$round" -N -t "$per_client"; run entries "$round" "${entries[@]}"
  else
    run entries "$round" "${entries[@]}"; run nupdate "$round" -N -t "$per_client"
  fi
}

# checks PHASE: the entries as check.sql counts them
checks() {
  psql -X -At -F ' ' -v ON_ERROR_STOP=1 -d "$DB" -f bench/queue/check.sql >"$OUT/check.$1"
  read -r C_entries C_users C_numbered C_first C_last C_distinct C_invariants <"$OUT/check.$1"
}

echo "phase 1: $USERS entries"
lo=1
for round in $(seq "$ROUNDS"); do
  hi=$(( USERS * round / ROUNDS ))
  enter_round "$round" "$lo" "$hi"
  lo=$(( hi + 1 ))
done
checks entries
P1=("$C_entries" "$C_users" "$C_invariants")
sql -f bench/queue/tokens.sql

echo "phase 2: polls, $ROUNDS x $ROUND_SECONDS s"
for round in $(seq "$ROUNDS"); do
  polls=(-T "$ROUND_SECONDS" -f bench/queue/poll.pgbench -D users="$USERS")
  if [ $((round % 2)) -eq 1 ]; then
    run select "$round" -S -T "$ROUND_SECONDS"; run polls "$round" "${polls[@]}"
  else
    run polls "$round" "${polls[@]}"; run select "$round" -S -T "$ROUND_SECONDS"
  fi
done
checks polls

# figures SYSTEM: rate and latency percentiles over all its rounds. Latency
# (µs) is the 3rd column of pgbench's per-transaction log. (The few empty
# transactions of enter.pgbench, past the last user, count with ~0 µs.)
figures() {
  local sys=$1
  R[$sys.tps]=$(awk -v n="${R[$sys.n]}" -v s="${R[$sys.secs]}" 'BEGIN { printf "%.1f", (s > 0 ? n / s : 0) }')
  cat "$OUT/$sys".*.[0-9]* | awk '$3 ~ /^[0-9]+$/ { print $3 }' | sort -n >"$OUT/$sys.latencies"
  for p in 50 99; do
    R[$sys.p$p]=$(awk -v p="0.$p" '{ a[NR] = $1 } END { i = int(p * NR); if (i < p * NR) i++; if (i < 1) i = 1; printf "%.2f", (NR ? a[i] : 0) / 1000 }' "$OUT/$sys.latencies")
  done
}
for sys in entries nupdate polls select; do figures "$sys"; done
# entries/s: the users who entered, over the time the entry runs took
R[entries.tps]=$(awk -v n="$USERS" -v s="${R[entries.secs]}" 'BEGIN { printf "%.1f", (s > 0 ? n / s : 0) }')

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 == 0) print "n/a"; else printf "%.2fx", a / b }'; }
at_least() { awk -v a="$1" -v b="$2" -v k="$3" 'BEGIN { print (b > 0 && a >= k * b) ? 1 : 0 }'; }
below() { awk -v a="$1" -v k="$2" 'BEGIN { print (a < k) ? 1 : 0 }'; }
missed=0 failed=0
verdict() {  # verdict DESCRIPTION OK(0/1) MEASURED [FAIL]: PASS/MISS for a target, PASS/FAIL for correctness
  local mark=PASS
  if [ "$2" -ne 1 ]; then
    if [ "${4:-}" = FAIL ]; then mark=FAIL failed=$((failed + 1)); else mark=MISS missed=$((missed + 1)); fi
  fi
  printf '%s  %-50s %s\n' "$mark" "$1" "$3"
}

echo
echo "== the waiting room under an on-sale rush, PostgreSQL $(value 'SHOW server_version'), $(nproc) cores, fsync $(value 'SHOW fsync')"
echo "   $USERS users enter once each, then poll for $ROUNDS x $ROUND_SECONDS s; $CLIENTS clients, -j $THREADS, -M prepared; $ROUNDS rounds in turns with the baselines"
echo
printf '%-30s %10s %8s %8s %7s\n' workload tps "p50 ms" "p99 ms" errors
row() { printf '%-30s %10.1f %8.2f %8.2f %7d\n' "$1" "${R[$2.tps]}" "${R[$2.p50]}" "${R[$2.p99]}" $(( R[$2.failed] + R[$2.aborted] )); }
row "entries (enter_queue)" entries
row "pgbench -N" nupdate
row "polls (queue_status)" polls
row "pgbench -S" select
printf '%-30s %10s %8s %8s\n' "ratio entries / -N" "$(ratio "${R[entries.tps]}" "${R[nupdate.tps]}")" \
  "$(ratio "${R[entries.p50]}" "${R[nupdate.p50]}")" "$(ratio "${R[entries.p99]}" "${R[nupdate.p99]}")"
printf '%-30s %10s %8s %8s\n' "ratio polls / -S" "$(ratio "${R[polls.tps]}" "${R[select.tps]}")" \
  "$(ratio "${R[polls.p50]}" "${R[select.p50]}")" "$(ratio "${R[polls.p99]}" "${R[select.p99]}")"
echo
verdict "entries tps >= 0.8x pgbench -N" "$(at_least "${R[entries.tps]}" "${R[nupdate.tps]}" 0.8)" "$(ratio "${R[entries.tps]}" "${R[nupdate.tps]}")"
verdict "entries p99 < 20 ms" "$(below "${R[entries.p99]}" 20)" "${R[entries.p99]} ms"
verdict "polls tps >= 0.5x pgbench -S" "$(at_least "${R[polls.tps]}" "${R[select.tps]}" 0.5)" "$(ratio "${R[polls.tps]}" "${R[select.tps]}")"
verdict "polls p99 < 20 ms" "$(below "${R[polls.p99]}" 20)" "${R[polls.p99]} ms"
verdict "no errors (entries and polls)" "$(( R[entries.failed] + R[entries.aborted] + R[polls.failed] + R[polls.aborted] == 0 ))" \
  "$(( R[entries.failed] + R[entries.aborted] )) entries, $(( R[polls.failed] + R[polls.aborted] )) polls" FAIL
verdict "after the entries: $USERS entries, one per user" "$(( P1[0] == USERS && P1[1] == USERS ))" "${P1[0]} entries, ${P1[1]} users" FAIL
verdict "after the entries: check_invariants() empty" "$(( P1[2] == 0 ))" "${P1[2]} violations" FAIL
verdict "after the polls: lines 1..$USERS, each once" \
  "$(( C_entries == USERS && C_numbered == USERS && C_first == 1 && C_last == USERS && C_distinct == USERS ))" \
  "$C_numbered numbered, lines $C_first..$C_last, $C_distinct distinct" FAIL
verdict "after the polls: check_invariants() empty" "$(( C_invariants == 0 ))" "$C_invariants violations" FAIL
echo
echo "$missed target(s) missed, $failed check(s) failed; took $(( $(date +%s) - started )) s; pgbench output and logs in $OUT"
# A benchmark reports, it does not gate: a missed target still exits 0.
[ "$failed" -eq 0 ]
