#!/usr/bin/env bash
# A crash in the middle of payments (part of `make test`): 4 buyers hold a
# seat and pay it with points, over and over, each recording every payment
# the database confirmed to it; PostgreSQL is killed with SIGKILL (postmaster
# and every backend, as a power cut would) in the middle, and started again
# (crash recovery). Then the buyers go on. Passes when every payment a buyer
# was told about is there, approved, with its sale and its ledger entry; no
# seat is sold twice; and check_invariants() is empty.
set -uo pipefail
cd "$(dirname "$0")"
db=${1:-boxoffice_test}
work=$(mktemp -d)
failures=0
report() { echo "$1: $2"; [ "$1" = ok ] || failures=$((failures + 1)); }
q() { psql -X -At -v ON_ERROR_STOP=1 -d "$db" "$@"; }

q -q -f setup.sql >/dev/null || { report FAIL "setup"; exit 1; }

# one buyer: hold a random free seat and pay it, until told to stop; every
# payment the database answered goes to its file
buyer() {
  local n=$1 user answer
  user=$(q -c "SELECT user_id FROM crash_test.buyers WHERE n = $n")
  while [ ! -e "$work/stop" ]; do
    answer=$(q -c "SELECT p.payment_id || ' ' || p.reservation_id
                     FROM boxoffice.try_hold((SELECT performance_id FROM crash_test.cfg),
                                             ARRAY[(SELECT min(s.id) + floor(random() * 2000)::int FROM boxoffice.seats s
                                                     WHERE s.performance_id = (SELECT performance_id FROM crash_test.cfg))], $user) h,
                          boxoffice.pay_with_points(h.reservation_id, 'crash-' || h.reservation_id, $user) p
                    WHERE h.reservation_id IS NOT NULL" 2>>"$work/errors.$n") && [ -n "$answer" ] && echo "$answer" >>"$work/paid.$n"
  done
}
for n in 1 2 3 4; do buyer "$n" & done
sleep 3
data=$(q -c "SHOW data_directory")
postmaster=$(head -1 "$data/postmaster.pid")
socket_dir=$(q -c "SHOW unix_socket_directories" | cut -d, -f1 | tr -d " ")
port=$(q -c "SHOW port")
before=$(cat "$work"/paid.* 2>/dev/null | wc -l)
kill -KILL "$postmaster" $(pgrep -P "$postmaster") 2>/dev/null
report ok "PostgreSQL killed with SIGKILL (postmaster $postmaster and its backends) after $before payments were confirmed to the buyers"
# what a reboot would clear: the socket's lock file names the dead postmaster
# (in a container nobody may reap it, and its pid stays taken)
for _ in $(seq 50); do pgrep -P "$postmaster" >/dev/null || break; sleep 0.1; done
rm -f "$socket_dir/.s.PGSQL.$port.lock" "$socket_dir/.s.PGSQL.$port"
pg_ctlcluster "$PGVERSION" "${PG_CLUSTER:-regress}" start 2>"$work/start.log" ||
  { report FAIL "PostgreSQL did not start again"; cat "$work/start.log"; }
for _ in $(seq 100); do q -c "SELECT 1" >/dev/null 2>&1 && break; sleep 0.2; done
sleep 3  # the buyers go on after the recovery
touch "$work/stop"
wait

told=$(cat "$work"/paid.* | wc -l)
cat "$work"/paid.* | awk '{ print "(" $1 ", " $2 ")" }' | paste -sd, >"$work/told"
missing=$(q -c "SELECT count(*) FROM (VALUES $(cat "$work/told")) t(payment_id, reservation_id)
                 WHERE NOT EXISTS (SELECT FROM boxoffice.payments p JOIN boxoffice.reservations r ON r.id = p.reservation_id
                                    JOIN boxoffice.ledger_entries e ON e.payment_id = p.id AND e.kind = 'payment'
                                   WHERE p.id = t.payment_id AND r.id = t.reservation_id AND p.status = 'approved' AND r.status = 'confirmed')")
if [ "$told" -gt "$before" ] && [ "$missing" = 0 ]; then
  report ok "every one of the $told payments confirmed to a buyer ($((told - before)) after the restart) is there: approved, sold, in the ledger"
else
  report FAIL "$missing of $told confirmed payments are missing ($before before the crash)"
fi
[ "$(q -c "SELECT count(*) FROM boxoffice.payments WHERE status = 'approved'" )" -ge "$told" ] &&
  report ok "no payment the database committed is unaccounted for: approved payments >= those the buyers were told of" ||
  report FAIL "fewer approved payments than the buyers were told of"
[ "$(q -c "SELECT count(*) FROM boxoffice.check_invariants()")" = 0 ] &&
  report ok "check_invariants() is empty after the crash" ||
  { report FAIL "check_invariants() after the crash"; q -c "SELECT * FROM boxoffice.check_invariants()"; }
[ "$failures" -eq 0 ] && rm -rf "$work"
exit $((failures > 0))
