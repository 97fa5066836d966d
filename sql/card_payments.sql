-- Card-like payments in phases: start (pending, an order id), the payment key
-- recorded before the gateway is asked, the gateway's outcome settled by
-- boxoffice_payments (approved sells, declined fails, approved late sells if
-- the seats are free and is refunded otherwise), refunds through the gateway,
-- the reconciliation's list and its record, and every error. The gateway's
-- answers are played here by calling settle_* as boxoffice_payments.
\set SHOW_CONTEXT never
SET client_min_messages = warning;

INSERT INTO t.fixtures SELECT 'card_hall', boxoffice.create_venue('Card Hall', 'Seoul', ARRAY['A'], 1, 8);
INSERT INTO t.fixtures SELECT 'card_show', boxoffice.create_concert('Card Show', 'IU');
SELECT boxoffice.add_price_tier(t.id('card_show'), 'R', 5000, 1, 8) > 0 AS tier;
SELECT boxoffice.publish_concert(t.id('card_show'));
INSERT INTO t.fixtures SELECT 'card_perf', boxoffice.create_performance(t.id('card_show'), t.id('card_hall'), now() + interval '10 days',
                                                                        sales_opens_at => now() - interval '1 minute');
SELECT boxoffice.set_payment_terms(t.id('card_perf'), payment_required => true) ->> 'payment_required' AS payment_required;
INSERT INTO t.fixtures SELECT 'card_u' || n, boxoffice.register_user('card' || n || '@example.com', 'Carder ' || n, 'password' || n)
  FROM generate_series(1, 3) n;
CREATE TEMP TABLE holds AS
SELECT 'c1' AS name, h.* FROM boxoffice.hold(t.id('card_perf'), fixture.seats(t.id('card_perf'), 'A-1-1'), t.id('card_u1')) h;
CREATE FUNCTION pg_temp.hold_of(name text) RETURNS bigint LANGUAGE sql AS $$ SELECT reservation_id FROM holds h WHERE h.name = $1 $$;
CREATE TEMP TABLE started (LIKE boxoffice.payment_receipt, name text);
-- the roles below read the test's own tables
GRANT SELECT ON holds, started TO boxoffice_app, boxoffice_payments;
CREATE FUNCTION pg_temp.order_of(name text) RETURNS text LANGUAGE sql AS $$ SELECT order_id FROM started s WHERE s.name = $1 $$;

-- start: a pending payment with an order id; the same key again is the same payment
INSERT INTO started SELECT *, 'c1' FROM boxoffice.start_card_payment(pg_temp.hold_of('c1'), 'CARD', 'card-1', t.id('card_u1'));
SELECT method, amount, status, reservation_status, order_id ~ '^BO-[0-9a-f]{32}$' AS order_id_shape, approved_at FROM started;
SELECT s.payment_id = p.payment_id AS same_payment
  FROM boxoffice.start_card_payment(pg_temp.hold_of('c1'), 'CARD', 'card-1', t.id('card_u1')) s, started p;
-- bad method, someone else's hold, no login
SELECT boxoffice.start_card_payment(pg_temp.hold_of('c1'), 'cash', 'card-2', t.id('card_u1'));
\echo :LAST_ERROR_SQLSTATE
SELECT boxoffice.start_card_payment(pg_temp.hold_of('c1'), 'toss', 'card-2', t.id('card_u2'));
\echo :LAST_ERROR_SQLSTATE
SELECT boxoffice.start_card_payment(pg_temp.hold_of('c1'), 'toss', 'card-2');
\echo :LAST_ERROR_SQLSTATE
-- a payment never sent to the gateway is replaced by a new one (it cannot have charged anything)
INSERT INTO started SELECT *, 'c1b' FROM boxoffice.start_card_payment(pg_temp.hold_of('c1'), 'kakao_pay', 'card-3', t.id('card_u1'));
SELECT p.method, p.status, p.failure FROM boxoffice.payments p WHERE p.reservation_id = pg_temp.hold_of('c1') ORDER BY p.id;

-- the payment key is recorded before the gateway is asked; then no other payment may start
SELECT status FROM boxoffice.begin_card_confirm((SELECT payment_id FROM started WHERE name = 'c1b'), 'tgen_key_c1b', t.id('card_u1'));
SELECT status FROM boxoffice.begin_card_confirm((SELECT payment_id FROM started WHERE name = 'c1b'), 'tgen_key_c1b', t.id('card_u1'));
SELECT boxoffice.begin_card_confirm((SELECT payment_id FROM started WHERE name = 'c1b'), 'tgen_other', t.id('card_u1'));
\echo :LAST_ERROR_SQLSTATE
SELECT boxoffice.begin_card_confirm((SELECT payment_id FROM started WHERE name = 'c1b'), 'not a key!', t.id('card_u1'));
\echo :LAST_ERROR_SQLSTATE
SELECT boxoffice.begin_card_confirm((SELECT payment_id FROM started WHERE name = 'c1b'), 'tgen_key_c1b', t.id('card_u2'));
\echo :LAST_ERROR_SQLSTATE
\set VERBOSITY terse
SELECT boxoffice.start_card_payment(pg_temp.hold_of('c1'), 'card', 'card-4', t.id('card_u1'));
\echo :LAST_ERROR_SQLSTATE
SELECT boxoffice.pay_with_points(pg_temp.hold_of('c1'), 'card-5', t.id('card_u1'));
\echo :LAST_ERROR_SQLSTATE
\set VERBOSITY default
-- the outcome is not known yet: the receipt says pending
SELECT status FROM boxoffice.card_payment_outcome((SELECT payment_id FROM started WHERE name = 'c1b'), t.id('card_u1'));

-- buyers may not settle
SET ROLE boxoffice_app;
SELECT boxoffice.settle_card_payment(pg_temp.order_of('c1b'), true, 5000);
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;

-- approved: the reservation is sold; settling again changes nothing
SET ROLE boxoffice_payments;
SELECT status, reservation_status, reservation_number IS NOT NULL AS numbered, approved_at IS NOT NULL AS approved
  FROM boxoffice.settle_card_payment(pg_temp.order_of('c1b'), true, 5000);
SELECT status, reservation_status
  FROM boxoffice.settle_card_payment(pg_temp.order_of('c1b'), false, NULL, NULL, 'late decline');
SELECT boxoffice.settle_card_payment('BO-nope', true, 1);
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SELECT status, reservation_status FROM boxoffice.card_payment_outcome((SELECT payment_id FROM started WHERE name = 'c1b'), t.id('card_u1'));

-- declined: the payment fails, the hold stays, another payment may start
INSERT INTO holds SELECT 'c2', h.* FROM boxoffice.hold(t.id('card_perf'), fixture.seats(t.id('card_perf'), 'A-1-2'), t.id('card_u2')) h;
INSERT INTO started SELECT *, 'c2' FROM boxoffice.start_card_payment(pg_temp.hold_of('c2'), 'naver_pay', 'card-6', t.id('card_u2'));
SELECT status FROM boxoffice.begin_card_confirm((SELECT payment_id FROM started WHERE name = 'c2'), 'tgen_key_c2', t.id('card_u2'));
SET ROLE boxoffice_payments;
SELECT status, reservation_status
  FROM boxoffice.settle_card_payment(pg_temp.order_of('c2'), false, NULL, NULL,
                                     'REJECT_CARD_PAYMENT: the card issuer declined');
RESET ROLE;
\set VERBOSITY terse
SELECT status FROM boxoffice.card_payment_outcome((SELECT payment_id FROM started WHERE name = 'c2'), t.id('card_u2'));
\echo :LAST_ERROR_SQLSTATE
\set VERBOSITY default
SELECT status FROM boxoffice.reservation(pg_temp.hold_of('c2'), t.id('card_u2'));
INSERT INTO started SELECT *, 'c2b' FROM boxoffice.start_card_payment(pg_temp.hold_of('c2'), 'card', 'card-7', t.id('card_u2'));
SELECT status FROM started WHERE name = 'c2b';

-- approved after the hold ran out, its seats still free: sold, dated when approved
SELECT boxoffice.set_performance_rules(t.id('card_perf'), hold_lifetime => interval '1 second') IS NOT NULL AS short_holds;
INSERT INTO holds SELECT 'c3', h.* FROM boxoffice.hold(t.id('card_perf'), fixture.seats(t.id('card_perf'), 'A-1-3'), t.id('card_u3')) h;
INSERT INTO started SELECT *, 'c3' FROM boxoffice.start_card_payment(pg_temp.hold_of('c3'), 'card', 'card-8', t.id('card_u3'));
SELECT status FROM boxoffice.begin_card_confirm((SELECT payment_id FROM started WHERE name = 'c3'), 'tgen_key_c3', t.id('card_u3'));
-- ... and one whose seat another buyer takes once it has run out
INSERT INTO holds SELECT 'c4', h.* FROM boxoffice.hold(t.id('card_perf'), fixture.seats(t.id('card_perf'), 'A-1-4'), t.id('card_u3')) h;
INSERT INTO started SELECT *, 'c4' FROM boxoffice.start_card_payment(pg_temp.hold_of('c4'), 'card', 'card-9', t.id('card_u3'));
SELECT status FROM boxoffice.begin_card_confirm((SELECT payment_id FROM started WHERE name = 'c4'), 'tgen_key_c4', t.id('card_u3'));
-- ... and one never sent to the gateway
INSERT INTO holds SELECT 'c5', h.* FROM boxoffice.hold(t.id('card_perf'), fixture.seats(t.id('card_perf'), 'A-1-5'), t.id('card_u1')) h;
INSERT INTO started SELECT *, 'c5' FROM boxoffice.start_card_payment(pg_temp.hold_of('c5'), 'card', 'card-10', t.id('card_u1'));
SELECT pg_sleep(1.2);
SELECT boxoffice.set_performance_rules(t.id('card_perf'), hold_lifetime => interval '5 minutes') IS NOT NULL AS long_holds;
INSERT INTO holds SELECT 'c6', h.* FROM boxoffice.hold(t.id('card_perf'), fixture.seats(t.id('card_perf'), 'A-1-4'), t.id('card_u2')) h;
SELECT status FROM holds WHERE name = 'c6';
-- a key sent now is too late: the card is never charged for a hold that has ended
SELECT boxoffice.begin_card_confirm((SELECT payment_id FROM started WHERE name = 'c5'), 'tgen_key_c5', t.id('card_u1'));
\echo :LAST_ERROR_SQLSTATE
SET ROLE boxoffice_payments;
SELECT status, reservation_status
  FROM boxoffice.settle_card_payment(pg_temp.order_of('c3'), true, 5000);
SELECT status, reservation_status, regexp_replace(refund_reason, 'seats [0-9]+', 'seats N') AS refund_reason
  FROM boxoffice.settle_card_payment(pg_temp.order_of('c4'), true, 5000);
RESET ROLE;
SELECT r.status, r.confirmed_at = r.expires_at AS dated_at_approval, (SELECT count(*) FROM boxoffice.seat_claims c WHERE c.reservation_id = r.id) AS claims
  FROM boxoffice.reservations r WHERE r.id = pg_temp.hold_of('c3');
\set VERBOSITY terse
SELECT status FROM boxoffice.card_payment_outcome((SELECT payment_id FROM started WHERE name = 'c4'), t.id('card_u3'));
\echo :LAST_ERROR_SQLSTATE
\set VERBOSITY default
SELECT status FROM boxoffice.seat_map(t.id('card_perf')) WHERE seat_id = ANY (fixture.seats(t.id('card_perf'), 'A-1-3', 'A-1-4')) ORDER BY seat_id;

-- a charge of another amount than asked is refunded, and the hold ends: it can never be paid again
INSERT INTO holds SELECT 'c7', h.* FROM boxoffice.hold(t.id('card_perf'), fixture.seats(t.id('card_perf'), 'A-1-7'), t.id('card_u1')) h;
INSERT INTO started SELECT *, 'c7' FROM boxoffice.start_card_payment(pg_temp.hold_of('c7'), 'toss', 'card-11', t.id('card_u1'));
SELECT status FROM boxoffice.begin_card_confirm((SELECT payment_id FROM started WHERE name = 'c7'), 'tgen_key_c7', t.id('card_u1'));
SET ROLE boxoffice_payments;
SELECT status, reservation_status, refund_reason
  FROM boxoffice.settle_card_payment(pg_temp.order_of('c7'), true, 4000);
RESET ROLE;

-- cancelling a card sale: the seats are free at once, the refund waits for the gateway
SELECT status FROM boxoffice.cancel(pg_temp.hold_of('c1'), t.id('card_u1'));
SELECT status, refund_reason, refunded_at FROM boxoffice.payments WHERE id = (SELECT payment_id FROM started WHERE name = 'c1b');
SELECT status FROM boxoffice.card_payment_outcome((SELECT payment_id FROM started WHERE name = 'c1b'), t.id('card_u1'));

-- the reconciliation's list: sent payments with no outcome after settle_after, and
-- every refund to make; an abandoned payment never sent fails on the way
SELECT status FROM boxoffice.begin_card_confirm((SELECT payment_id FROM started WHERE name = 'c2b'), 'tgen_key_c2b', t.id('card_u2'));
SET ROLE boxoffice_payments;
SELECT status, payment_key FROM boxoffice.card_payments_to_settle(interval '0 seconds') ORDER BY payment_id;
SELECT count(*) AS none_too_young FROM boxoffice.card_payments_to_settle(interval '1 hour') WHERE status = 'pending';
RESET ROLE;
SELECT status, failure FROM boxoffice.payments WHERE id = (SELECT payment_id FROM started WHERE name = 'c5');
-- the gateway refunded: settled once, again changes nothing
SET ROLE boxoffice_payments;
SELECT status, refunded_at IS NOT NULL AS refunded FROM boxoffice.settle_card_refund(pg_temp.order_of('c1b'));
SELECT status FROM boxoffice.settle_card_refund(pg_temp.order_of('c1b'));
SELECT status FROM boxoffice.settle_card_refund(pg_temp.order_of('c4'));
SELECT status FROM boxoffice.settle_card_refund(pg_temp.order_of('c7'));
SELECT boxoffice.record_reconciliation(now() - interval '1 second', 3, 0, 0, 3, 0, 0, 'by hand') > 0 AS recorded;
RESET ROLE;
SELECT checked, approved, failed, refunded, still_pending, errors, note, took >= interval '1 second' AS took FROM boxoffice.last_reconciliations;

-- the DBA's views
SELECT method, status, regexp_replace(refund_reason, 'seats [0-9]+', 'seats N') AS refund_reason FROM boxoffice.refunds WHERE performance_id = t.id('card_perf') ORDER BY payment_id;
SELECT method, status FROM boxoffice.pending_payments WHERE performance_id = t.id('card_perf') ORDER BY payment_id;

-- the books balance: every sold seat paid once, every charge sold or on its way back
SELECT * FROM boxoffice.check_invariants();
SELECT count(*) AS card_payments, count(*) FILTER (WHERE status = 'approved') AS approved
  FROM boxoffice.payments WHERE method <> 'points';
