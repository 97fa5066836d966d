-- try_hold(): hold() that answers NULL instead of raising seats_unavailable,
-- leaves no lock behind, and raises every other error.
\set SHOW_CONTEXT never
SET client_min_messages = warning;

SELECT status, total_amount FROM boxoffice.try_hold(t.id('p2'), t.seats('p2', 'B-4-1', 'B-4-2'));
BEGIN;
-- B-4-2 is held: NULL, no error, and the free B-4-3 is not left locked
SELECT boxoffice.try_hold(t.id('p2'), t.seats('p2', 'B-4-2', 'B-4-3')) IS NULL AS refused;
SELECT count(*) AS advisory_locks_left FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid();
SELECT (boxoffice.try_hold(t.id('p2'), t.seats('p2', 'B-4-3'))).status AS the_transaction_goes_on;
COMMIT;
-- sold seats too
SELECT boxoffice.try_hold(t.id('p1'), t.seats('p1', 'A-1-1')) IS NULL AS sold_seat_refused;
-- everything else raises as in hold()
SELECT boxoffice.try_hold(t.id('p2'), ARRAY[]::bigint[]);
\echo :LAST_ERROR_SQLSTATE
SELECT boxoffice.try_hold(t.id('p2'), ARRAY[-1]::bigint[]);
\echo :LAST_ERROR_SQLSTATE
SELECT boxoffice.try_hold(t.id('p_later'), t.seats('p_later', 'A-1-1'));
\echo :LAST_ERROR_SQLSTATE
-- ... but a seat already taken for this performance answers NULL first, before
-- the other seats are looked at; a taken seat of another performance raises
SELECT boxoffice.try_hold(t.id('p2'), t.seats('p2', 'B-4-2') || ARRAY[-1]::bigint[]) IS NULL AS taken_answers_first;
SELECT boxoffice.try_hold(t.id('p2'), t.seats('p1', 'A-1-1'));
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM boxoffice.check_invariants();
