-- Payments: the points wallet and its immutable ledger, paying a hold with
-- points (all or nothing), the terms of a performance (payment required, the
-- cancellation cut-off), refunds on cancel, idempotency keys, the DBA views,
-- and every error. Times only as comparisons.
\set SHOW_CONTEXT never
SET client_min_messages = warning;

INSERT INTO t.fixtures SELECT 'pay_hall', boxoffice.create_venue('Pay Hall', 'Seoul', ARRAY['A'], 1, 6);
INSERT INTO t.fixtures SELECT 'pay_show', boxoffice.create_concert('Pay Show', 'IU');
SELECT boxoffice.add_price_tier(t.id('pay_show'), 'R', 3000, 1, 2) > 0 AS tier_r,
       boxoffice.add_price_tier(t.id('pay_show'), 'S', 1000, 3, 6) > 0 AS tier_s;
SELECT boxoffice.publish_concert(t.id('pay_show'));
INSERT INTO t.fixtures SELECT 'pay_paid', boxoffice.create_performance(t.id('pay_show'), t.id('pay_hall'), now() + interval '10 days',
                                                                       sales_opens_at => now() - interval '1 minute');
INSERT INTO t.fixtures SELECT 'pay_free', boxoffice.create_performance(t.id('pay_show'), t.id('pay_hall'), now() + interval '11 days',
                                                                       sales_opens_at => now() - interval '1 minute');
INSERT INTO t.fixtures SELECT 'pay_u' || n, boxoffice.register_user('pay' || n || '@example.com', 'Payer ' || n, 'password' || n)
  FROM generate_series(1, 3) n;

-- terms: the defaults, then payment required and a 2-day cut-off
SELECT boxoffice.payment_terms(t.id('pay_paid')) - 'performance_id' - 'cancellable_until' AS default_terms;
SELECT s - 'performance_id' - 'cancellable_until' AS terms,
       (s ->> 'cancellable_until')::timestamptz = (SELECT starts_at - interval '2 days' FROM boxoffice.performances WHERE id = t.id('pay_paid')) AS cutoff_before_start
  FROM boxoffice.set_payment_terms(t.id('pay_paid'), payment_required => true, cancel_cutoff => interval '2 days') s;
SELECT boxoffice.set_payment_terms(t.id('pay_paid'), cancel_cutoff => interval '-1 day');
\echo :LAST_ERROR_SQLSTATE
SELECT boxoffice.set_payment_terms(-1, payment_required => true);
\echo :LAST_ERROR_SQLSTATE

-- charging: exactly once per key; the same key with another amount is refused
SELECT kind, amount, balance_after, payment_id, reservation_id, created_at <= clock_timestamp() AS dated
  FROM boxoffice.charge_points(5000, 'charge-1', t.id('pay_u1'));
SELECT kind, amount, balance_after FROM boxoffice.charge_points(5000, 'charge-1', t.id('pay_u1'));
SELECT balance FROM boxoffice.wallet(t.id('pay_u1'));
SELECT boxoffice.charge_points(7000, 'charge-1', t.id('pay_u1'));
\echo :LAST_ERROR_SQLSTATE
-- a key is the customer's own: another user's same key is another call
SELECT kind, amount, balance_after FROM boxoffice.charge_points(100, 'charge-1', t.id('pay_u2'));
-- bad charges change nothing
SELECT boxoffice.charge_points(0, 'charge-2', t.id('pay_u1'));
\echo :LAST_ERROR_SQLSTATE
SELECT boxoffice.charge_points(1000001, 'charge-2', t.id('pay_u1'));
\echo :LAST_ERROR_SQLSTATE
SELECT boxoffice.charge_points(NULL, 'charge-2', t.id('pay_u1'));
\echo :LAST_ERROR_SQLSTATE
SELECT boxoffice.charge_points(100, NULL, t.id('pay_u1'));
\echo :LAST_ERROR_SQLSTATE
SELECT boxoffice.charge_points(100, repeat('k', 256), t.id('pay_u1'));
\echo :LAST_ERROR_SQLSTATE
SELECT boxoffice.charge_points(100, 'has space', t.id('pay_u1'));
\echo :LAST_ERROR_SQLSTATE
SELECT boxoffice.charge_points(100, 'charge-2');
\echo :LAST_ERROR_SQLSTATE
SELECT balance FROM boxoffice.wallet(t.id('pay_u1'));
-- a user who never charged has an empty wallet
SELECT balance, updated_at IS NULL AS never_charged FROM boxoffice.wallet(t.id('pay_u3'));

-- a performance that sells against payment refuses to confirm without one
CREATE TEMP TABLE holds AS
SELECT 'h1' AS name, h.* FROM boxoffice.hold(t.id('pay_paid'), fixture.seats(t.id('pay_paid'), 'A-1-1', 'A-1-3'), t.id('pay_u1')) h;
SELECT total_amount FROM holds WHERE name = 'h1';
SELECT boxoffice.confirm((SELECT reservation_id FROM holds WHERE name = 'h1'), t.id('pay_u1'));
\echo :LAST_ERROR_SQLSTATE

-- paying with points: the payment, the points and the sale in one go
CREATE TEMP TABLE receipts AS
SELECT 'p1' AS name, * FROM boxoffice.pay_with_points((SELECT reservation_id FROM holds WHERE name = 'h1'), 'pay-1', t.id('pay_u1'));
SELECT method, amount, status, reservation_status, reservation_number IS NOT NULL AS numbered, points_balance,
       order_id ~ '^BO-[0-9a-f]{32}$' AS order_id_shape, approved_at >= created_at AS approved, refunded_at
  FROM receipts;
-- the same key again: the same receipt, nothing taken twice
SELECT r.payment_id = p.payment_id AS same_payment, r.points_balance
  FROM boxoffice.pay_with_points((SELECT reservation_id FROM holds WHERE name = 'h1'), 'pay-1', t.id('pay_u1')) r, receipts p;
SELECT balance FROM boxoffice.wallet(t.id('pay_u1'));
-- another key for a paid reservation
SELECT boxoffice.pay_with_points((SELECT reservation_id FROM holds WHERE name = 'h1'), 'pay-2', t.id('pay_u1'));
\echo :LAST_ERROR_SQLSTATE
-- the key of a charge used for a payment
SELECT boxoffice.pay_with_points((SELECT reservation_id FROM holds WHERE name = 'h1'), 'charge-1', t.id('pay_u1'));
\echo :LAST_ERROR_SQLSTATE
SELECT kind, amount, balance_after, reservation_id = (SELECT reservation_id FROM holds WHERE name = 'h1') AS for_the_hold
  FROM boxoffice.wallet_history(t.id('pay_u1')) ORDER BY entry_id;
SELECT count(*) AS payments FROM boxoffice.payments_of((SELECT reservation_id FROM holds WHERE name = 'h1'), t.id('pay_u1'));

-- too few points: its own error, nothing changes, the hold stays
INSERT INTO holds SELECT 'h2', h.* FROM boxoffice.hold(t.id('pay_paid'), fixture.seats(t.id('pay_paid'), 'A-1-2'), t.id('pay_u2')) h;
SELECT boxoffice.pay_with_points((SELECT reservation_id FROM holds WHERE name = 'h2'), 'pay-3', t.id('pay_u2'));
\echo :LAST_ERROR_SQLSTATE
SELECT status, (SELECT count(*) FROM boxoffice.payments p WHERE p.reservation_id = r.id) AS payments
  FROM boxoffice.reservations r WHERE r.id = (SELECT reservation_id FROM holds WHERE name = 'h2');
SELECT balance FROM boxoffice.wallet(t.id('pay_u2'));
-- the failed call stored nothing: after a charge the same key pays
SELECT amount FROM boxoffice.charge_points(2900, 'charge-3', t.id('pay_u2'));
SELECT status, reservation_status, points_balance
  FROM boxoffice.pay_with_points((SELECT reservation_id FROM holds WHERE name = 'h2'), 'pay-3', t.id('pay_u2'));

-- paying what is not the caller's, or not a live hold
SELECT boxoffice.pay_with_points((SELECT reservation_id FROM holds WHERE name = 'h2'), 'pay-4', t.id('pay_u3'));
\echo :LAST_ERROR_SQLSTATE
SELECT boxoffice.pay_with_points(-1, 'pay-4', t.id('pay_u3'));
\echo :LAST_ERROR_SQLSTATE
SELECT boxoffice.pay_with_points((SELECT reservation_id FROM holds WHERE name = 'h2'), 'pay-4');
\echo :LAST_ERROR_SQLSTATE
INSERT INTO holds SELECT 'h3', h.* FROM boxoffice.hold(t.id('pay_paid'), fixture.seats(t.id('pay_paid'), 'A-1-4'), t.id('pay_u1')) h;
SELECT (boxoffice.release((SELECT reservation_id FROM holds WHERE name = 'h3'), t.id('pay_u1'))).status;
SELECT boxoffice.pay_with_points((SELECT reservation_id FROM holds WHERE name = 'h3'), 'pay-5', t.id('pay_u1'));
\echo :LAST_ERROR_SQLSTATE
-- a free performance confirms without paying; paying for its sale afterwards is refused
INSERT INTO holds SELECT 'h4', h.* FROM boxoffice.hold(t.id('pay_free'), fixture.seats(t.id('pay_free'), 'A-1-1'), t.id('pay_u1')) h;
SELECT (boxoffice.confirm((SELECT reservation_id FROM holds WHERE name = 'h4'), t.id('pay_u1'))).status;
SELECT boxoffice.pay_with_points((SELECT reservation_id FROM holds WHERE name = 'h4'), 'pay-6', t.id('pay_u1'));
\echo :LAST_ERROR_SQLSTATE
-- ... and once it has unpaid sales, it cannot start requiring payment
SELECT boxoffice.set_payment_terms(t.id('pay_free'), payment_required => true);
\echo :LAST_ERROR_SQLSTATE
-- a free performance may still be paid for: paying confirms
INSERT INTO holds SELECT 'h5', h.* FROM boxoffice.hold(t.id('pay_free'), fixture.seats(t.id('pay_free'), 'A-1-5'), t.id('pay_u1')) h;
SELECT status, reservation_status, amount, points_balance
  FROM boxoffice.pay_with_points((SELECT reservation_id FROM holds WHERE name = 'h5'), 'pay-7', t.id('pay_u1'));

-- the ledger is immutable, even for its owner
UPDATE boxoffice.ledger_entries SET amount = amount + 1;
\echo :LAST_ERROR_SQLSTATE
DELETE FROM boxoffice.ledger_entries;
\echo :LAST_ERROR_SQLSTATE
TRUNCATE boxoffice.ledger_entries CASCADE;
\echo :LAST_ERROR_SQLSTATE
-- the balance never goes below zero, whoever writes it
\set VERBOSITY terse
UPDATE boxoffice.wallets SET balance = -1 WHERE user_id = t.id('pay_u1');
\echo :LAST_ERROR_SQLSTATE
-- no reservation is paid twice, whoever writes it
INSERT INTO boxoffice.payments (reservation_id, user_id, method, amount, status, approved_at)
SELECT reservation_id, t.id('pay_u1'), 'points', total_amount, 'approved', now() FROM holds WHERE name = 'h1';
\echo :LAST_ERROR_SQLSTATE
\set VERBOSITY default

-- cancelling a paid sale refunds it: points back as a refund entry, seats free
SELECT status FROM boxoffice.cancel((SELECT reservation_id FROM holds WHERE name = 'h1'), t.id('pay_u1'));
SELECT p.status, p.refunded_at >= p.approved_at AS refunded_after_approval
  FROM boxoffice.payments p WHERE p.reservation_id = (SELECT reservation_id FROM holds WHERE name = 'h1');
SELECT kind, amount, balance_after FROM boxoffice.wallet_history(t.id('pay_u1'), max_entries => 2);
SELECT balance FROM boxoffice.wallet(t.id('pay_u1'));
SELECT status FROM boxoffice.seat_map(t.id('pay_paid')) WHERE seat_id = ANY (fixture.seats(t.id('pay_paid'), 'A-1-1', 'A-1-3'));
-- cancelling again changes nothing more
SELECT status FROM boxoffice.cancel((SELECT reservation_id FROM holds WHERE name = 'h1'), t.id('pay_u1'));
SELECT balance FROM boxoffice.wallet(t.id('pay_u1'));
SELECT count(*) AS refund_entries FROM boxoffice.ledger_entries WHERE kind = 'refund';

-- past the cut-off a sale stays sold
SELECT boxoffice.set_payment_terms(t.id('pay_paid'), cancel_cutoff => interval '30 days') - 'performance_id' - 'cancellable_until' AS terms;
\set VERBOSITY terse
SELECT boxoffice.cancel((SELECT reservation_id FROM holds WHERE name = 'h2'), t.id('pay_u2'));
\echo :LAST_ERROR_SQLSTATE
\set VERBOSITY default
SELECT status FROM boxoffice.reservation((SELECT reservation_id FROM holds WHERE name = 'h2'), t.id('pay_u2'));
-- ... and a hold is released or cancelled at any time
INSERT INTO holds SELECT 'h6', h.* FROM boxoffice.hold(t.id('pay_paid'), fixture.seats(t.id('pay_paid'), 'A-1-6'), t.id('pay_u2')) h;
SELECT status FROM boxoffice.cancel((SELECT reservation_id FROM holds WHERE name = 'h6'), t.id('pay_u2'));

-- the DBA's views
SELECT performance_id = t.id('pay_paid') AS paid_show, tier, seats_sold, revenue, reservations FROM boxoffice.sales
 WHERE performance_id IN (t.id('pay_paid'), t.id('pay_free')) ORDER BY performance_id, tier;
SELECT method, amount, refunded_at >= approved_at AS refunded FROM boxoffice.refunds
 WHERE performance_id = t.id('pay_paid');
SELECT count(*) AS pending FROM boxoffice.pending_payments;

-- idempotency keys are purged after 24 hours
SELECT boxoffice.purge_idempotency_keys() AS purged_fresh;
UPDATE boxoffice.idempotency_keys SET created_at = created_at - interval '25 hours' WHERE key = 'charge-1';
SELECT boxoffice.purge_idempotency_keys() AS purged_old;
SELECT count(*) AS keys_left FROM boxoffice.idempotency_keys;

-- the books balance; a wallet that disagrees with its ledger is caught
SELECT * FROM boxoffice.check_invariants();
UPDATE boxoffice.wallets SET balance = balance + 1 WHERE user_id = t.id('pay_u1');
SELECT violation, detail FROM boxoffice.check_invariants();
UPDATE boxoffice.wallets SET balance = balance - 1 WHERE user_id = t.id('pay_u1');
SELECT count(*) AS violations FROM boxoffice.check_invariants();
