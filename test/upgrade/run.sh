#!/usr/bin/env bash
# Upgrades keep data. Runs inside the throw-away cluster of scripts/test.sh.
# For every released version V (extension/versions/boxoffice--V.sql):
#   1. install V and load test/upgrade/data-V.sql (one reservation in every state);
#   2. while the update is pending, V's declarations answer clearly: reads work,
#      the engine refuses with "boxoffice is updated but this database is not";
#   3. ALTER EXTENSION boxoffice UPDATE, then check that
#      - every row of every table is still there, unchanged,
#      - the schema equals a fresh install of the newest version
#        (pg_dump --schema-only --binary-upgrade, which dumps the extension's
#        own objects; OIDs left out) and so does what pg_dump keeps,
#      - what the rows promise still holds (logins, guest look-ups, sold seats);
#   4. install V in a second database, update it at once, and run the whole
#      regression suite there (its expected outputs name ids, which the rows
#      of step 1 would shift).
# Prints one "ok: ..." or "FAIL: ..." line per check.
set -uo pipefail
cd "$(dirname "$0")/../.."
newest=$(sed -n "s/^default_version = '\(.*\)'/\1/p" extension/boxoffice.control)
work=$(mktemp -d)
source test/checks.sh
ask() { psql -X -Atq -v ON_ERROR_STOP=1 -d "$db" -c "SET client_min_messages = warning" -c "$1"; }


# The schema as pg_dump sees it, without what differs between any two
# databases: OIDs, relfrozenxid, the per-dump \restrict key, comments, blanks.
schema_of() {
  pg_dump --schema-only --binary-upgrade --no-owner -d "$1" |
    grep -v -e '^--' -e '^$' -e 'binary_upgrade_set_next_' -e 'binary_upgrade_create_empty_extension' \
            -e 'relfrozenxid' -e "^WHERE oid = '[0-9]*';$" -e '^\\restrict' -e '^\\unrestrict' -e 'pg_catalog.setval' |
    # the order of the grants of one object is the order they were made in
    awk '/^GRANT /{ block = block $0 "\n"; next }
         { if (block != "") { printf "%s", block | "sort"; close("sort"); block = "" } print }
         END { if (block != "") { printf "%s", block | "sort"; close("sort") } }'
  # ... the owners, which --no-owner leaves out
  psql -X -Atq -d "$1" -c "SELECT 'owner ' || c.oid::regclass || ' ' || pg_get_userbyid(c.relowner) FROM pg_class c
                            WHERE c.relnamespace = 'boxoffice'::regnamespace
                           UNION ALL
                           SELECT 'owner ' || p.oid::regprocedure || ' ' || pg_get_userbyid(p.proowner) FROM pg_proc p
                            WHERE p.pronamespace = 'boxoffice'::regnamespace ORDER BY 1"
  # ... and what pg_dump keeps of the extension's tables
  psql -X -Atq -d "$1" -c "SELECT 'dumped ' || unnest(extconfig)::regclass FROM pg_extension WHERE extname = 'boxoffice' ORDER BY 1"
}

# Every row of every table of the schema, for the columns the old version had.
rows_of() {  # database, file of "table column,column,..." lines
  while read -r table columns; do
    echo "== $table"
    # expires_at: holds that 0.1.0 confirmed after their expiry (two clock
    # readings) are taken to have lasted until the sale (the upgrade says so)
    local select=${columns/expires_at/greatest(expires_at, confirmed_at)}
    [ "$table" = reservations ] || select=$columns
    psql -X -Atq -d "$1" -c "COPY (SELECT $select FROM boxoffice.$table ORDER BY 1, 2) TO STDOUT"
  done <"$2"
}

# The newest version is released as it stands: its frozen script is the one
# the parts assemble. A change to the SQL needs a new version.
if cmp -s "build/boxoffice--$newest.sql" "extension/versions/boxoffice--$newest.sql"; then
  report ok "the install script of $newest is the released one (extension/versions/)"
else
  report FAIL "build/boxoffice--$newest.sql differs from extension/versions/boxoffice--$newest.sql: a change to a released version needs a new version and an upgrade script (README, Upgrading); a new version is released by copying its script there"
fi

createdb upgrade_fresh && psql -X -q -v ON_ERROR_STOP=1 -d upgrade_fresh -c "CREATE EXTENSION boxoffice CASCADE" ||
  { report FAIL "a fresh install of $newest"; exit 1; }
schema_of upgrade_fresh >"$work/fresh.schema"

for script in extension/versions/boxoffice--*.sql; do
  version=${script#extension/versions/boxoffice--}
  version=${version%.sql}
  case $version in *--*) continue ;; esac  # an upgrade script, not a release
  [ "$version" = "$newest" ] && continue
  db=upgrade_from_${version//./_}
  echo "--- from $version to $newest"
  createdb "$db" || { report FAIL "createdb $db"; continue; }
  if ! psql -X -q -v ON_ERROR_STOP=1 -d "$db" -c "CREATE EXTENSION boxoffice VERSION '$version' CASCADE" \
          -f "test/upgrade/data-$version.sql" >"$work/load.log" 2>&1; then
    report FAIL "install $version and load its data"; cat "$work/load.log"; continue
  fi
  report ok "installed $version and loaded its data"

  check "$version pending update: reads answer" \
    "SELECT count(*) = 40 FROM boxoffice.seat_map((SELECT min(id) FROM boxoffice.performances))"
  # A version of an older generation of C entry points refuses clearly; one
  # that changed only SQL (0.4.1) declares the newest's, which answer as usual.
  engine_of() { grep -o "boxoffice_hold_v[0-9]*" "$1" | sort -u; }
  if [ "$(engine_of "$script")" = "$(engine_of "build/boxoffice--$newest.sql")" ]; then
    check "$version pending update: its engine is the newest's, it answers and changes nothing" \
      "DO \$\$ BEGIN PERFORM boxoffice.hold(1, ARRAY[1]::bigint[], NULL::bigint);
         EXCEPTION WHEN others THEN IF SQLSTATE NOT LIKE 'TK%' THEN RAISE; END IF; RETURN; END \$\$;
       SELECT count(*) = 8 FROM boxoffice.reservations"
  else
    check "$version pending update: the engine refuses clearly and changes nothing" \
      "DO \$\$ BEGIN PERFORM boxoffice.hold(1, ARRAY[1]::bigint[], NULL::bigint);
         EXCEPTION WHEN object_not_in_prerequisite_state THEN
           IF SQLERRM <> 'boxoffice is updated but this database is not' THEN RAISE; END IF; RETURN; END \$\$;
       SELECT count(*) = 8 FROM boxoffice.reservations"
  fi

  # a waiting-room token given out before the update (0.3.0 on make them)
  queue_token=
  if [ "$(psql -X -Atq -d "$db" -c "SELECT to_regprocedure('boxoffice._queue_token(bigint)') IS NOT NULL")" = t ]; then
    queue_token=$(psql -X -Atq -d "$db" -c "SELECT boxoffice._queue_token(id) || ' ' || user_id FROM boxoffice.queue_entries ORDER BY id DESC LIMIT 1")
  fi

  psql -X -Atq -d "$db" -c "SELECT c.relname, string_agg(a.attname, ',' ORDER BY a.attnum)
                              FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
                             WHERE c.relnamespace = 'boxoffice'::regnamespace AND c.relkind = 'r'
                             GROUP BY c.relname ORDER BY 1" | tr '|' ' ' |
    # seat_claims.live_until was a copy of its reservation's expiry: 0.3.0
    # derives it once (reservations.live_until) and the claims keep no copy
    sed 's/^seat_claims \(.*\),live_until$/seat_claims \1/' >"$work/columns"
  rows_of "$db" "$work/columns" >"$work/before.rows"
  max_reservation=$(psql -X -Atq -d "$db" -c "SELECT max(id) FROM boxoffice.reservations")

  if psql -X -q -v ON_ERROR_STOP=1 -d "$db" -c "ALTER EXTENSION boxoffice UPDATE" 2>"$work/update.log"; then
    report ok "ALTER EXTENSION boxoffice UPDATE from $version"
  else
    report FAIL "ALTER EXTENSION boxoffice UPDATE from $version"; cat "$work/update.log"; continue
  fi
  check "$version is now $newest" "SELECT extversion = '$newest' FROM pg_extension WHERE extname = 'boxoffice'"

  rows_of "$db" "$work/columns" >"$work/after.rows"
  if diff -u "$work/before.rows" "$work/after.rows" >"$work/rows.diff" && [ "$(wc -l <"$work/before.rows")" -gt 40 ]; then
    report ok "every row of every table kept ($(grep -vc '^==' "$work/before.rows") rows)"
  else
    report FAIL "rows changed by the update"; head -50 "$work/rows.diff"
  fi
  schema_of "$db" >"$work/updated.schema"
  if diff -u "$work/fresh.schema" "$work/updated.schema" >"$work/schema.diff"; then
    report ok "the updated schema equals a fresh install of $newest ($(wc -l <"$work/fresh.schema") lines of pg_dump)"
  else
    report FAIL "the updated schema differs from a fresh install"; head -80 "$work/schema.diff"
  fi

  check "the books balance after the update" "SELECT NOT EXISTS (SELECT FROM boxoffice.check_invariants())"
  check "no sale is dated after its expiry any more" \
    "SELECT count(*) = 0 FROM boxoffice.reservations WHERE confirmed_at > expires_at"
  if [ -n "$queue_token" ]; then
    check "a waiting-room token given before the update still names its entry" \
      "SELECT (boxoffice.queue_status('${queue_token% *}', ${queue_token#* })).state IS NOT NULL"
  fi
  check "a user still logs in" \
    "SELECT boxoffice.verify_password('upgrade-a@example.com', 'password-a') = (SELECT id FROM boxoffice.users WHERE email = 'upgrade-a@example.com')"
  check "a guest still finds the booking, and its PIN is rehashed on the way" \
    "SELECT count(*) = 1 FROM boxoffice.guest_lookup('010-5555-0000', '0427');
     SELECT guest_pin_hash = boxoffice._hash_pin('01055550000', '0427') FROM boxoffice.reservations WHERE buyer_phone = '01055550000'"
  check "a sold seat stays sold" \
    "SELECT boxoffice.try_hold(p.id, ARRAY[r.seat_ids[1]], guest_key => 'upgrade') IS NULL
       FROM boxoffice.reservations r JOIN boxoffice.performances p ON p.id = r.performance_id
      WHERE r.reservation_number = 'BX-UPGR-0003'"
  check "a seat of an expired hold is free, and a new hold gets a new id" \
    "SELECT (boxoffice.hold(r.performance_id, r.seat_ids, guest_key => 'upgrade')).reservation_id > $max_reservation
       FROM boxoffice.reservations r WHERE r.status = 'expired' ORDER BY r.id LIMIT 1"

  # A database that sells a seat twice is not updated: the update says so.
  db=upgrade_from_${version//./_}_double
  createdb "$db" && psql -X -q -d "$db" -c "CREATE EXTENSION boxoffice VERSION '$version' CASCADE" \
    -f "test/upgrade/data-$version.sql" >/dev/null 2>&1
  if ! psql -X -q -v ON_ERROR_STOP=1 -d "$db" -c "INSERT INTO boxoffice.reservations (performance_id, user_id, status, seat_ids, total_amount,
                            hold_token_hash, expires_at, reservation_number, buyer_name, confirmed_at, created_at)
                          SELECT performance_id, user_id, 'confirmed', seat_ids, total_amount, hold_token_hash, expires_at,
                                 'BX-TWICE-0001', 'Twice', created_at + interval '1 second', created_at
                            FROM boxoffice.reservations WHERE reservation_number = 'BX-UPGR-0003'" >/dev/null 2>&1; then
    # since 0.2.0 the claims refuse it, even written by hand: nothing to refuse at the update
    report ok "$version itself refuses to sell a seat twice, even by hand"
  elif ! psql -X -q -d "$db" -c "ALTER EXTENSION boxoffice UPDATE" 2>"$work/double.log" &&
     grep -q 'this database has seats in two live reservations' "$work/double.log"; then
    check "a database selling a seat twice is refused the update, and keeps $version" \
      "SELECT extversion = '$version' FROM pg_extension WHERE extname = 'boxoffice'"
  else
    report FAIL "a database selling a seat twice was updated"; cat "$work/double.log"
  fi

  # The regression suite, on a database updated from $version before any row
  # went in.
  db=upgrade_from_${version//./_}_empty
  pg_regress=$(dirname "$($PG_CONFIG --pgxs)")/../test/regress/pg_regress
  mkdir -p build/upgrade-regress
  if createdb "$db" &&
     psql -X -q -v ON_ERROR_STOP=1 -d "$db" -c "CREATE EXTENSION boxoffice VERSION '$version' CASCADE" \
          -c "ALTER EXTENSION boxoffice UPDATE" >"$work/empty.log" 2>&1 &&
     "$pg_regress" --inputdir=. --outputdir=build/upgrade-regress --use-existing --dbname="$db" \
       $(sed -n 's/^REGRESS = //p' Makefile) >"$work/regress.log" 2>&1; then
    report ok "the regression suite passes on a database updated from $version ($(grep -c '\.\.\. ok' "$work/regress.log") tests)"
  else
    report FAIL "the regression suite on a database updated from $version"
    cat "$work/empty.log"; grep -E '\.\.\. ' "$work/regress.log"; head -100 build/upgrade-regress/regression.diffs
  fi
done

[ "$failures" -eq 0 ] && rm -rf "$work"
exit $((failures > 0))
