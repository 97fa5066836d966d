-- release() and cancel(): owner only, seats free at once, idempotent.
\set SHOW_CONTEXT never
SET client_min_messages = warning;

-- release a hold: the seats are available at once
SELECT (h).reservation_id AS res, (h).hold_token AS tok
  FROM (SELECT boxoffice.hold(t.id('p2'), fixture.seats(t.id('p2'), 'B-1-5', 'B-1-6'), t.id('bob')) AS h) x \gset
SELECT boxoffice.release(:res, t.id('carol'));
\echo :LAST_ERROR_SQLSTATE
SELECT (r).status, (r).ended_at IS NOT NULL AS ended FROM (SELECT boxoffice.release(:res, t.id('bob')) AS r) x;
SELECT status FROM boxoffice.seat_map(t.id('p2')) WHERE seat_id = ANY (fixture.seats(t.id('p2'), 'B-1-5', 'B-1-6')) ORDER BY seat_id;
SELECT count(*) AS claims FROM boxoffice.seat_claims WHERE reservation_id = :res;
-- again: same result; then cancel on a released hold changes nothing either
SELECT (boxoffice.release(:res, t.id('bob'))).status;
SELECT (boxoffice.cancel(:res, hold_token => :'tok')).status;
-- someone else can take the seats now
SELECT (boxoffice.hold(t.id('p2'), fixture.seats(t.id('p2'), 'B-1-5', 'B-1-6'), t.id('carol'))).status;

-- a confirmed reservation is not released but cancelled
SELECT (h).reservation_id AS res2, (h).hold_token AS tok2
  FROM (SELECT boxoffice.hold(t.id('p2'), fixture.seats(t.id('p2'), 'B-2-1'), t.id('bob')) AS h) x \gset
SELECT (boxoffice.confirm(:res2, t.id('bob'))).status;
SELECT boxoffice.release(:res2, t.id('bob'));
\echo :LAST_ERROR_SQLSTATE
SELECT boxoffice.cancel(:res2, t.id('carol'));
\echo :LAST_ERROR_SQLSTATE
SELECT boxoffice.cancel(999999, t.id('bob'));
\echo :LAST_ERROR_SQLSTATE
SELECT (c).status, (c).reservation_number IS NOT NULL AS keeps_number, (c).ended_at IS NOT NULL AS ended
  FROM (SELECT boxoffice.cancel(:res2, t.id('bob')) AS c) x;
SELECT status FROM boxoffice.seat_map(t.id('p2')) WHERE seat_id = (fixture.seats(t.id('p2'), 'B-2-1'))[1];
-- a second cancel succeeds and returns the same result
SELECT (boxoffice.cancel(:res2, hold_token => :'tok2')).status;
SELECT boxoffice.confirm(:res2, t.id('bob'));
\echo :LAST_ERROR_SQLSTATE

-- cancel works on a hold too
SELECT (h).reservation_id AS res3
  FROM (SELECT boxoffice.hold(t.id('p2'), fixture.seats(t.id('p2'), 'B-3-1'), t.id('bob')) AS h) x \gset
SELECT (boxoffice.cancel(:res3, t.id('bob'))).status;
SELECT status FROM boxoffice.seat_map(t.id('p2')) WHERE seat_id = (fixture.seats(t.id('p2'), 'B-3-1'))[1];
-- cancelled seats count no more against the customer limit
SELECT count(*) AS bob_live FROM boxoffice.reservations
 WHERE user_id = t.id('bob') AND performance_id = t.id('p2') AND status IN ('hold', 'confirmed');
SELECT * FROM boxoffice.check_invariants();
