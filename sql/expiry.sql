-- Expiry is lazy and exact: once expires_at has passed, the hold is free for
-- every reader and writer, before any sweep.
\set SHOW_CONTEXT never
SET client_min_messages = warning;

SELECT (h).reservation_id AS old_res, (h).hold_token AS old_tok
  FROM (SELECT boxoffice.hold(t.id('p_short'), fixture.seats(t.id('p_short'), 'A-1-1', 'A-1-2'), t.id('carol')) AS h) x \gset
SELECT status FROM boxoffice.seat_map(t.id('p_short')) WHERE seat_id = ANY (fixture.seats(t.id('p_short'), 'A-1-1', 'A-1-2')) ORDER BY seat_id;
SELECT pg_sleep(1.2);

-- readers: seats available, the reservation reads as expired, the table still says hold
SELECT status FROM boxoffice.seat_map(t.id('p_short')) WHERE seat_id = ANY (fixture.seats(t.id('p_short'), 'A-1-1', 'A-1-2')) ORDER BY seat_id;
SELECT status, ended_at IS NOT NULL AS ended FROM boxoffice.reservation(:old_res, t.id('carol'));
SELECT status AS stored_status FROM boxoffice.reservations WHERE id = :old_res;
SELECT held FROM boxoffice.availability(t.id('p_short')) WHERE tier = 'SPECIAL';
-- expired holds do not count against the customer limit (4): carol may hold 4 more
SELECT (boxoffice.hold(t.id('p_short'), fixture.seats(t.id('p_short'), 'D-1-1', 'D-1-2', 'D-1-3', 'D-1-4'), t.id('carol'))).status AS limit_ignores_expired;

-- the owner cannot confirm it any more
SELECT boxoffice.confirm(:old_res, t.id('carol'));
\echo :LAST_ERROR_SQLSTATE

-- writers: another customer takes one of its seats; the old hold ends as
-- expired and both its seats are freed in the same transaction
SELECT (boxoffice.hold(t.id('p_short'), fixture.seats(t.id('p_short'), 'A-1-2'), t.id('bob'))).status AS new_hold;
SELECT status, ended_at = expires_at AS ended_at_expiry FROM boxoffice.reservations WHERE id = :old_res;
SELECT count(*) AS old_claims FROM boxoffice.seat_claims WHERE reservation_id = :old_res;
SELECT status FROM boxoffice.seat_map(t.id('p_short')) WHERE seat_id = ANY (fixture.seats(t.id('p_short'), 'A-1-1', 'A-1-2')) ORDER BY seat_id;

-- releasing or cancelling an expired hold reports it expired
SELECT (h).reservation_id AS res2, (h).hold_token AS tok2
  FROM (SELECT boxoffice.hold(t.id('p_short'), fixture.seats(t.id('p_short'), 'B-1-1'), guest_key => 'expiry') AS h) x \gset
SELECT pg_sleep(1.2);
SELECT (boxoffice.release(:res2, hold_token => :'tok2')).status AS released_after_expiry;
SELECT status, ended_at = expires_at AS ended_at_expiry FROM boxoffice.reservations WHERE id = :res2;
SELECT (boxoffice.cancel(:res2, hold_token => :'tok2')).status AS cancel_again;
SELECT * FROM boxoffice.check_invariants();
