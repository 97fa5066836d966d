-- try_hold(): hold() that answers a refusal (seats taken, the customer's
-- limit, not on sale) with NULL and a NOTICE saying why, leaves no lock
-- behind, and raises every other error.
\set SHOW_CONTEXT never
SET client_min_messages = warning;

SELECT status, total_amount FROM boxoffice.try_hold(t.id('p2'), fixture.seats(t.id('p2'), 'B-4-1', 'B-4-2'), guest_key => 'try-1');
BEGIN;
-- B-4-2 is held: NULL, no error, and the free B-4-3 is not left locked
SELECT boxoffice.try_hold(t.id('p2'), fixture.seats(t.id('p2'), 'B-4-2', 'B-4-3'), guest_key => 'try-2') IS NULL AS refused;
SELECT count(*) AS advisory_locks_left FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid();
SELECT (boxoffice.try_hold(t.id('p2'), fixture.seats(t.id('p2'), 'B-4-3'), guest_key => 'try-2')).status AS the_transaction_goes_on;
COMMIT;
-- sold seats too
SELECT boxoffice.try_hold(t.id('p1'), fixture.seats(t.id('p1'), 'A-1-1'), guest_key => 'try-2') IS NULL AS sold_seat_refused;
-- the NOTICE says why, naming the seats, as hold()'s error would
SET client_min_messages = notice;
SELECT boxoffice.try_hold(t.id('p1'), fixture.seats(t.id('p1'), 'A-1-1', 'A-1-3'), guest_key => 'try-2') IS NULL AS refused;
SELECT boxoffice.try_hold(t.id('p_later'), fixture.seats(t.id('p_later'), 'A-1-1'), guest_key => 'try-2') IS NULL AS not_on_sale;
SELECT (boxoffice.try_hold(t.id('p2'), fixture.seats(t.id('p2'), 'B-4-6', 'B-4-7'), guest_key => 'try-3')).status AS two,
       (boxoffice.try_hold(t.id('p2'), fixture.seats(t.id('p2'), 'B-4-8', 'B-4-9'), guest_key => 'try-3')).status AS four;
SELECT boxoffice.try_hold(t.id('p2'), fixture.seats(t.id('p2'), 'B-4-10'), guest_key => 'try-3') IS NULL AS over_the_limit;
SET client_min_messages = warning;
-- bad input raises as in hold()
SELECT boxoffice.try_hold(t.id('p2'), ARRAY[]::bigint[], guest_key => 'try-2');
\echo :LAST_ERROR_SQLSTATE
SELECT boxoffice.try_hold(t.id('p2'), ARRAY[-1]::bigint[], guest_key => 'try-2');
\echo :LAST_ERROR_SQLSTATE
SELECT boxoffice.try_hold(t.id('p2'), fixture.seats(t.id('p2'), 'B-4-5'));
\echo :LAST_ERROR_SQLSTATE
-- ... but a seat already taken for this performance answers NULL first, before
-- the other seats are looked at; a taken seat of another performance raises
SELECT boxoffice.try_hold(t.id('p2'), fixture.seats(t.id('p2'), 'B-4-2') || ARRAY[-1]::bigint[], guest_key => 'try-2') IS NULL AS taken_answers_first;
SELECT boxoffice.try_hold(t.id('p2'), fixture.seats(t.id('p1'), 'A-1-1'), guest_key => 'try-2');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM boxoffice.check_invariants();
