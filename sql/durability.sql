-- boxoffice.durable_holds: a documented trade-off between hold speed and
-- what a crash may forget. Holds may skip the WAL flush wait; releases always
-- skip it (a forgotten release only keeps seats held until expiry);
-- confirmations and cancellations never do.
\set SHOW_CONTEXT never
SET client_min_messages = warning;
LOAD 'boxoffice';  -- registers its settings (shared_preload_libraries does it at start)
SHOW boxoffice.durable_holds;
SET boxoffice.durable_holds = off;
BEGIN;
SELECT (boxoffice.hold(t.id('p2'), fixture.seats(t.id('p2'), 'A-4-1'), t.id('bob'))).status;
SHOW synchronous_commit;
SELECT (boxoffice.confirm(max(id), t.id('bob'))).status FROM boxoffice.reservations WHERE user_id = t.id('bob') AND status = 'hold';
SHOW synchronous_commit;
ROLLBACK;
BEGIN;
SELECT (h).reservation_id AS fast_res FROM (SELECT boxoffice.hold(t.id('p2'), fixture.seats(t.id('p2'), 'A-4-2'), t.id('bob')) AS h) x \gset
SHOW synchronous_commit;
COMMIT;
SELECT (boxoffice.cancel(:fast_res, t.id('bob'))).status;
RESET boxoffice.durable_holds;
BEGIN;
SELECT (boxoffice.hold(t.id('p2'), fixture.seats(t.id('p2'), 'A-4-3'), t.id('bob'))).status;
SHOW synchronous_commit;
ROLLBACK;
SELECT * FROM boxoffice.check_invariants();
-- a hold after a confirmation in the same transaction does not weaken its commit
SET boxoffice.durable_holds = off;
BEGIN;
SELECT (h).reservation_id AS res2 FROM (SELECT boxoffice.hold(t.id('p2'), fixture.seats(t.id('p2'), 'A-4-4'), t.id('bob')) AS h) x \gset
SELECT (boxoffice.confirm(:res2, t.id('bob'))).status;
SELECT (boxoffice.hold(t.id('p2'), fixture.seats(t.id('p2'), 'A-4-5'), t.id('bob'))).status;
SHOW synchronous_commit;
ROLLBACK;
RESET boxoffice.durable_holds;
SELECT * FROM boxoffice.check_invariants();
-- a release never waits for its flush, even with durable holds (the default) ...
SELECT (h).reservation_id AS res3, (h).hold_token AS tok3
  FROM (SELECT boxoffice.hold(t.id('p2'), fixture.seats(t.id('p2'), 'A-4-6'), t.id('bob')) AS h) x \gset
BEGIN;
SELECT (boxoffice.release(:res3, NULL, :'tok3')).status;
SHOW synchronous_commit;
COMMIT;
-- ... unless the transaction wrote something first: then its commit keeps its
-- strength (here a durable hold's)
BEGIN;
SELECT (h).reservation_id AS res4 FROM (SELECT boxoffice.hold(t.id('p2'), fixture.seats(t.id('p2'), 'A-4-7'), t.id('bob')) AS h) x \gset
SELECT (boxoffice.release(:res4, t.id('bob'))).status;
SHOW synchronous_commit;
COMMIT;
SELECT * FROM boxoffice.check_invariants();
-- a durable hold after a release in the same transaction (changing seats)
-- gives the commit back its flush wait
SELECT (h).reservation_id AS res5, (h).hold_token AS tok5
  FROM (SELECT boxoffice.hold(t.id('p2'), fixture.seats(t.id('p2'), 'A-4-8'), t.id('bob')) AS h) x \gset
BEGIN;
SELECT (boxoffice.release(:res5, NULL, :'tok5')).status;
SHOW synchronous_commit;
SELECT (boxoffice.hold(t.id('p2'), fixture.seats(t.id('p2'), 'A-4-9'), t.id('bob'))).status;
SHOW synchronous_commit;
ROLLBACK;
-- ... which it does not with durable_holds off
SET boxoffice.durable_holds = off;
BEGIN;
SELECT (boxoffice.release(:res5, NULL, :'tok5')).status;
SELECT (boxoffice.hold(t.id('p2'), fixture.seats(t.id('p2'), 'A-4-9'), t.id('bob'))).status;
SHOW synchronous_commit;
ROLLBACK;
RESET boxoffice.durable_holds;
SELECT * FROM boxoffice.check_invariants();
