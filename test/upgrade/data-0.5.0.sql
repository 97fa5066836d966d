-- Data as boxoffice 0.5.0 keeps it, for the upgrade test from 0.5.0 (once a
-- newer version exists): the rows of 0.4.2, plus the money of 0.5.0: two
-- wallets and their ledger (charges, a payment, a refund), an approved
-- payment of a sale, a refunded one of a cancellation, payment terms and an
-- idempotency key. Charges go through the SQL API; payments are written as
-- rows, beside the engine (see data-0.4.0.sql), with their points posted as
-- the API posts them.
\ir data-0.4.2.sql
SELECT amount FROM boxoffice.charge_points(5000, 'upgrade-charge-a', :ua);
SELECT amount FROM boxoffice.charge_points(1000, 'upgrade-charge-b', :ub);
SELECT boxoffice.set_payment_terms(:perf, cancel_cutoff => interval '1 day') IS NOT NULL AS terms;
-- the sale BX-UPGR-0003 (user a) paid with points
INSERT INTO boxoffice.payments (reservation_id, user_id, method, amount, status, approved_at)
SELECT id, user_id, 'points', total_amount, 'approved', confirmed_at FROM boxoffice.reservations WHERE reservation_number = 'BX-UPGR-0003'
RETURNING id AS paid \gset
SELECT boxoffice._locked_balance(:ua) IS NOT NULL AS locked,
       (boxoffice._post_points(:ua, 'payment', -p.amount, p.id)).balance_after FROM boxoffice.payments p WHERE p.id = :paid;
-- user b's cancelled reservation, paid and refunded
INSERT INTO boxoffice.payments (reservation_id, user_id, method, amount, status, approved_at, refunded_at, refund_reason)
SELECT id, user_id, 'points', total_amount, 'refunded', created_at, ended_at, 'cancelled' FROM boxoffice.reservations
 WHERE user_id = :ub AND status = 'cancelled'
RETURNING id AS refunded \gset
SELECT boxoffice._locked_balance(:ub) IS NOT NULL AS locked,
       (boxoffice._post_points(:ub, 'payment', -p.amount, p.id)).balance_after,
       (boxoffice._post_points(:ub, 'refund', p.amount, p.id)).balance_after FROM boxoffice.payments p WHERE p.id = :refunded;
