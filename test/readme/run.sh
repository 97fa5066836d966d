#!/usr/bin/env bash
# The README's walkthroughs run as written, in order, on a fresh `make run`.
# Starts `make run`'s script on a cluster and ports of its own (so a running
# demo is not disturbed), then runs, in the order the README shows them:
#   - every ```sql block of "Getting Started", in one psql session as the
#     application login (psql variables set by \gset carry over); the errors
#     it shows are the ones the README announces with "-- ERROR:" and no other;
#   - every ```sh block of "HTTP API", in one bash session (set -e): no answer
#     may be a problem+json the README does not announce with "# ... 4xx";
# and checks what the walkthroughs did. Drops the cluster afterwards.
# Prints one "ok: ..." or "FAIL: ..." line per check.
set -uo pipefail
cd "$(dirname "$0")/../.."
# Outside any test cluster: make run makes its own.
unset PGHOST PGPORT PGUSER PGPASSWORD PGDATABASE PG_CLUSTER_CONF_ROOT PGSYSCONFDIR

# a port nobody answers on (bash's /dev/tcp: no other tool needed)
free_port() {
  local p
  while :; do
    p=$((20000 + RANDOM % 12000))  # below the ephemeral ports (32768 on), which clients take
    (echo >"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
  done
}
export BOXOFFICE_CLUSTER=readme BOXOFFICE_PORT=$(free_port) BOXOFFICE_HTTP_PORT=$(free_port) BOXOFFICE_GATEWAY_PORT=$(free_port)
export BOXOFFICE_STATE_DIR=build/readme-run
work=$(mktemp -d)
source test/checks.sh
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
cleanup() {
  bash scripts/run.sh stop >/dev/null 2>&1
  $SUDO pg_dropcluster --stop 15 readme >/dev/null 2>&1
  rm -rf "$BOXOFFICE_STATE_DIR"
}
trap cleanup EXIT
cleanup  # a fresh make run: no cluster left from an earlier, interrupted run

if bash scripts/run.sh >"$work/run.log" 2>&1; then
  report ok "make run's script starts a fresh cluster, demo data and boxoffice-http"
else
  report FAIL "make run's script"; tail -20 "$work/run.log"; exit 1
fi

# Clients reach the shims through the front: nginx answers on the public port.
if curl -sI "http://127.0.0.1:$BOXOFFICE_HTTP_PORT/healthz" | grep -qi '^server: nginx'; then
  report ok "the public port is the front (nginx), in front of $(ls "$BOXOFFICE_STATE_DIR"/shim-*.pid | wc -l) boxoffice-http processes"
else
  report FAIL "the public port is not the front (nginx)"
fi

# The code blocks of one kind between two headings, with the ports of this run.
blocks() {  # kind, from heading, to heading
  awk -v kind="$1" -v from="$2" -v to="$3" '
    $0 == from { on = 1; next }  $0 == to { on = 0 }
    on && $0 == "```" kind { block = 1; next }
    block && $0 == "```" { block = 0; print ""; next }
    block { print }' README.md |
    sed -e "s/5499/$BOXOFFICE_PORT/g" -e "s/8080/$BOXOFFICE_HTTP_PORT/g" -e "s/8090/$BOXOFFICE_GATEWAY_PORT/g" \
        -e "s|build/run/|$PWD/$BOXOFFICE_STATE_DIR/|g"
}
blocks sql "## Getting Started" "## HTTP API" >"$work/walkthrough.sql"
blocks sh "## HTTP API" "### Routes" >"$work/walkthrough.sh"
[ -s "$work/walkthrough.sql" ] && [ -s "$work/walkthrough.sh" ] ||
  { report FAIL "the README has no walkthrough blocks where this test looks"; exit 1; }

app="postgresql://boxoffice_shop:shop-secret@127.0.0.1:$BOXOFFICE_PORT/boxoffice"
psql -X "$app" -v VERBOSITY=default -f "$work/walkthrough.sql" >"$work/sql.out" 2>&1
announced=$(grep -c '^-- ERROR:' "$work/walkthrough.sql")
seen=$(grep -c 'ERROR:' "$work/sql.out")
if [ "$seen" -eq "$announced" ] && [ "$(grep -c '^SELECT\|^  FROM\|^ ' "$work/walkthrough.sql")" -gt 0 ]; then
  report ok "the psql walkthrough runs as written ($(grep -c ';$' "$work/walkthrough.sql") statements, the $announced error it shows)"
else
  report FAIL "the psql walkthrough: $seen errors, the README shows $announced"; cat "$work/sql.out"
fi

(cd "$work" && bash -euo pipefail walkthrough.sh) >"$work/sh.out" 2>&1
status=$?
problems=$(grep -o '"status":[45][0-9][0-9]' "$work/sh.out" | wc -l)
announced=$(grep -c '# .*[45][0-9][0-9]' "$work/walkthrough.sh")
if [ "$status" -eq 0 ] && [ "$problems" -eq "$announced" ]; then
  report ok "the HTTP walkthrough runs as written ($(grep -c 'curl ' "$work/walkthrough.sh") requests)"
else
  report FAIL "the HTTP walkthrough (exit $status, $problems error answers, $announced announced)"; cat "$work/sh.out"
fi

# The front (README, "Topology"): nginx spreads clients over the shims and
# sends one client's requests to one shim (each shim's /metrics counts them).
FRONT=http://127.0.0.1:$BOXOFFICE_HTTP_PORT
shim_ports=$(seq $((BOXOFFICE_HTTP_PORT + 1)) $((BOXOFFICE_HTTP_PORT + $(ls "$BOXOFFICE_STATE_DIR"/shim-*.pid | wc -l))))
healthz_counts() {  # GET /healthz answered, per shim
  local p
  for p in $shim_ports; do
    curl -s "http://127.0.0.1:$p/metrics" |
      awk '/^boxoffice_http_requests_total\{method="GET",route="\/healthz"/ { n += $2 } END { print n + 0 }'
  done | paste -sd' '
}
spread_to=0
for k in $(seq 8); do
  before=$(healthz_counts)
  for _ in 1 2 3 4 5; do curl -s -o /dev/null -H "Authorization: Bearer client-$k" "$FRONT/healthz"; done
  after=$(healthz_counts)
  # exactly one shim counted all five
  moved=$(paste <(tr ' ' '\n' <<<"$before") <(tr ' ' '\n' <<<"$after") | awk '{ d = $2 - $1; if (d == 5) one++; else if (d != 0) bad++ } END { print (one == 1 && !bad) ? "one" : "no" }')
  [ "$moved" = one ] || { spread_to=-1; break; }
  spread_to=$((spread_to + 1))
done
if [ "$spread_to" -eq 8 ] && [ -z "$(tr ' ' '\n' <<<"$(healthz_counts)" | grep -x 0)" ]; then
  report ok "the front sends each Authorization's requests to one shim, and different ones to every shim ($(healthz_counts) /healthz per shim)"
else
  report FAIL "the front's hashing by Authorization (client $spread_to; /healthz per shim: $(healthz_counts))"
fi
# limit_req on GET /v1/queue, per Authorization: past the burst, nginx answers
# 429 itself, as problem+json with Retry-After (the shim never sees it).
for _ in $(seq 12); do
  curl -s -D "$work/limit.head" -o "$work/limit.body" -H "Authorization: Bearer flood" -H "X-Queue-Token: x" "$FRONT/v1/queue"
done
if grep -q '^HTTP/1.1 429' "$work/limit.head" && grep -qi '^retry-after: 1' "$work/limit.head" &&
   grep -qi '^content-type: application/problem+json' "$work/limit.head" &&
   [ "$(jq -r '[.type, .status, .code] | join(" ")' "$work/limit.body")" = "about:blank 429 front_rate_limited" ]; then
  report ok "polling GET /v1/queue past the front's limit answers 429 problem+json with Retry-After"
else
  report FAIL "the front's limit on GET /v1/queue"; cat "$work/limit.head" "$work/limit.body"
fi
# nginx is the edge: it replaces a client's X-Forwarded-For, and the shims
# (--trusted-proxies 127.0.0.1) take nginx's for the client: a guest hold made
# through the front with a forged header is keyed on the real address.
guest_hold() {  # URL X-Forwarded-For seat: holds as a guest, checks whose address keys it, releases it
  local hold id
  hold=$(curl -s "$1/v1/performances/1/holds" -H "X-Forwarded-For: $2" --json "{\"seat_ids\":[$3]}")
  id=$(jq -r '.reservation_id // 0' <<<"$hold")
  ask "SELECT CASE guest_key_hash WHEN sha256(convert_to('127.0.0.1', 'UTF8')) THEN '127.0.0.1'
                                  WHEN sha256(convert_to('$2', 'UTF8')) THEN '$2' END
         FROM boxoffice.reservations WHERE id = $id"
  curl -s -o /dev/null "$1/v1/reservations/$id/release" -H "X-Hold-Token: $(jq -r .hold_token <<<"$hold")" --json '{}'
}
ask() { $SUDO runuser -u postgres -- psql -X -Atq -p "$BOXOFFICE_PORT" -d boxoffice -c "$1"; }
direct=$(guest_hold "http://127.0.0.1:$((BOXOFFICE_HTTP_PORT + 1))" 203.0.113.77 30)
fronted=$(guest_hold "$FRONT" 203.0.113.78 31)
if [ "$direct" = 203.0.113.77 ] && [ "$fronted" = 127.0.0.1 ]; then
  report ok "the shims take X-Forwarded-For from 127.0.0.1; the front replaces a client's own (a forged one is not the guest key)"
else
  report FAIL "X-Forwarded-For: a shim took '$direct' from 127.0.0.1 (203.0.113.77 expected), the front passed '$fronted' (127.0.0.1 expected)"
fi

# What the walkthroughs did, as the DBA sees it.
ask() { $SUDO runuser -u postgres -- psql -X -Atq -p "$BOXOFFICE_PORT" -d boxoffice -c "$1"; }
check "both walkthroughs confirmed, cancelled and found what they say" \
  "SELECT count(*) FILTER (WHERE status = 'cancelled' AND user_id = 1) = 3
      AND count(*) FILTER (WHERE status = 'confirmed' AND user_id IS NULL) = 2 FROM boxoffice.reservations"
check "the points walkthrough charged once and paid seat 12 with an approved payment" \
  "SELECT (SELECT count(*) FROM boxoffice.ledger_entries WHERE user_id = 1 AND kind = 'charge') = 1
      AND EXISTS (SELECT FROM boxoffice.reservations r JOIN boxoffice.payments p ON p.reservation_id = r.id
                   WHERE r.user_id = 1 AND r.status = 'confirmed' AND r.seat_ids = '{12}' AND p.status = 'approved' AND p.method = 'points')"
check "the card walkthrough sold seat 14 through the gateway, and cancelling it refunds the card" \
  "SELECT EXISTS (SELECT FROM boxoffice.reservations r JOIN boxoffice.payments p ON p.reservation_id = r.id
                  WHERE r.user_id = 1 AND r.status = 'cancelled' AND r.seat_ids = '{14}' AND p.method = 'card'
                    AND p.status IN ('refund_pending', 'refunded') AND p.refund_reason = 'cancelled')"
check "the guest's keyed hold and its retry made one hold" "SELECT count(*) = 1 FROM boxoffice.reservations WHERE seat_ids = '{11}'"
check "the books balance" "SELECT NOT EXISTS (SELECT FROM boxoffice.check_invariants())"
check "the application logins may not idle in a transaction" \
  "SELECT bool_and(s.setconfig @> ARRAY['idle_in_transaction_session_timeout=30s'])
     FROM pg_db_role_setting s JOIN pg_roles r ON r.oid = s.setrole WHERE r.rolname IN ('boxoffice_shop', 'boxoffice_http')"
check "the sweep and the key purge are scheduled" "SELECT count(*) = 3 FROM cron.job WHERE jobname LIKE 'boxoffice-%'"

# make run again: the database is updated in place, never recreated
bash scripts/run.sh >"$work/rerun.log" 2>&1
check "a second make run keeps every reservation" "SELECT count(*) >= 4 FROM boxoffice.reservations"
if [ "$(pgrep -fc "nginx: master process nginx -p $(pwd)/$BOXOFFICE_STATE_DIR/front")" = 1 ] &&
   curl -fs "http://127.0.0.1:$BOXOFFICE_HTTP_PORT/readyz" >/dev/null; then
  report ok "a second make run restarts the front and the shims cleanly (one nginx, ready)"
else
  report FAIL "after a second make run the front is not one ready nginx"; tail -5 "$work/rerun.log"
fi

[ "$failures" -eq 0 ] && rm -rf "$work"
exit $((failures > 0))
