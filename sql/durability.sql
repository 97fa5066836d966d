-- boxoffice.durable_holds: a documented trade-off between hold speed and
-- what a crash may forget. Holds and releases may skip the WAL flush wait;
-- confirmations and cancellations never do.
\set SHOW_CONTEXT never
SET client_min_messages = warning;
LOAD 'boxoffice';  -- registers its settings (shared_preload_libraries does it at start)
SHOW boxoffice.durable_holds;
SET boxoffice.durable_holds = off;
BEGIN;
SELECT (boxoffice.hold(t.id('p2'), t.seats('p2', 'A-4-1'), t.id('bob'))).status;
SHOW synchronous_commit;
SELECT (boxoffice.confirm(max(id), t.id('bob'))).status FROM boxoffice.reservations WHERE user_id = t.id('bob') AND status = 'hold';
SHOW synchronous_commit;
ROLLBACK;
BEGIN;
SELECT (h).reservation_id AS fast_res FROM (SELECT boxoffice.hold(t.id('p2'), t.seats('p2', 'A-4-2'), t.id('bob')) AS h) x \gset
SHOW synchronous_commit;
COMMIT;
SELECT (boxoffice.cancel(:fast_res, t.id('bob'))).status;
RESET boxoffice.durable_holds;
BEGIN;
SELECT (boxoffice.hold(t.id('p2'), t.seats('p2', 'A-4-3'), t.id('bob'))).status;
SHOW synchronous_commit;
ROLLBACK;
SELECT * FROM boxoffice.check_invariants();
-- a hold after a confirmation in the same transaction does not weaken its commit
SET boxoffice.durable_holds = off;
BEGIN;
SELECT (h).reservation_id AS res2 FROM (SELECT boxoffice.hold(t.id('p2'), t.seats('p2', 'A-4-4'), t.id('bob')) AS h) x \gset
SELECT (boxoffice.confirm(:res2, t.id('bob'))).status;
SELECT (boxoffice.hold(t.id('p2'), t.seats('p2', 'A-4-5'), t.id('bob'))).status;
SHOW synchronous_commit;
ROLLBACK;
RESET boxoffice.durable_holds;
SELECT * FROM boxoffice.check_invariants();
