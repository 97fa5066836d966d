
-- ============================================================================
-- payments.sql: a sale and its payment never disagree (seed 000). A payment
-- belongs to one reservation; at most one payment of a reservation is ever
-- approved (a unique index). The rules follow the reservations, whoever
-- writes them (the engine, a DBA's UPDATE), as the seat claims do:
--   * a performance that sells against payment (payment_terms) refuses to
--     confirm a reservation without its approved payment of the full amount;
--   * a paid reservation is cancelled only until its performance's cut-off
--     (default: the start), and its cancellation refunds the payment in the
--     same transaction (points go back as a refund entry of the ledger).
-- Paying with points (the wallet: wallet.sql) approves and confirms in one
-- transaction; card-like methods go through a gateway in phases
-- (card_payments.sql). A payment is pending, then approved or failed; an
-- approved one is refunded (card refunds wait in refund_pending for the
-- gateway).
-- ============================================================================

CREATE TYPE boxoffice.payment_method AS ENUM ('points', 'card', 'kakao_pay', 'naver_pay', 'toss');
CREATE TYPE boxoffice.payment_status AS ENUM ('pending', 'approved', 'failed', 'refund_pending', 'refunded');

-- Per performance; a performance without a row takes the defaults (free to
-- confirm, paid reservations cancellable until the start).
CREATE TABLE boxoffice.payment_terms (
  performance_id   bigint PRIMARY KEY REFERENCES boxoffice.performances,
  payment_required boolean NOT NULL DEFAULT false,
  cancel_cutoff    interval NOT NULL DEFAULT '0 seconds'
                     CHECK (cancel_cutoff BETWEEN interval '0 seconds' AND interval '365 days'),
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER touch BEFORE UPDATE ON boxoffice.payment_terms FOR EACH ROW EXECUTE FUNCTION boxoffice._touch_updated_at();

CREATE TABLE boxoffice.payments (
  id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  reservation_id bigint NOT NULL REFERENCES boxoffice.reservations,
  user_id        bigint REFERENCES boxoffice.users,
  method         boxoffice.payment_method NOT NULL,
  amount         bigint NOT NULL CHECK (amount >= 0),
  status         boxoffice.payment_status NOT NULL DEFAULT 'pending',
  -- the order id a gateway knows the payment by
  order_id       text NOT NULL UNIQUE DEFAULT 'BO-' || replace(gen_random_uuid()::text, '-', ''),
  created_at     timestamptz NOT NULL DEFAULT now(),
  approved_at    timestamptz,
  refunded_at    timestamptz,
  failed_at      timestamptz,
  failure        text,
  payment_key    text,              -- the gateway's key of a card-like payment
  refund_reason  text,
  CONSTRAINT approved_has_approved_at CHECK ((status IN ('approved', 'refund_pending', 'refunded')) = (approved_at IS NOT NULL)),
  CONSTRAINT refund_has_reason CHECK ((status IN ('refund_pending', 'refunded')) = (refund_reason IS NOT NULL)),
  CONSTRAINT gateway_payment_has_key CHECK (method = 'points' OR status NOT IN ('approved', 'refund_pending', 'refunded') OR payment_key IS NOT NULL),
  CONSTRAINT refunded_has_refunded_at CHECK ((status = 'refunded') = (refunded_at IS NOT NULL)),
  CONSTRAINT failed_has_failure CHECK ((status = 'failed') = (failed_at IS NOT NULL AND failure IS NOT NULL))
);
-- No reservation is paid twice, and one payment at a time is under way.
CREATE UNIQUE INDEX payments_once_per_reservation ON boxoffice.payments (reservation_id) WHERE status IN ('approved', 'refund_pending', 'refunded');
CREATE UNIQUE INDEX payments_one_pending ON boxoffice.payments (reservation_id) WHERE status = 'pending';
CREATE INDEX payments_by_reservation ON boxoffice.payments (reservation_id);
-- what the reconciliation settles: outcomes not known yet, refunds not made yet
CREATE INDEX payments_unsettled ON boxoffice.payments (created_at) WHERE status IN ('pending', 'refund_pending');
-- The ledger (wallet.sql) names the payments its entries were for.
ALTER TABLE boxoffice.ledger_entries ADD CONSTRAINT ledger_entries_payment_id_fkey FOREIGN KEY (payment_id) REFERENCES boxoffice.payments;

-- A ledger entry as its owner sees it: with the reservation it paid for.
-- (The SQL helpers here name everything in full and set no search_path, so
-- PostgreSQL inlines them into their callers, whose search_path is pinned,
-- and a PL/pgSQL caller plans them once.)
CREATE FUNCTION boxoffice._wallet_entry(e boxoffice.ledger_entries) RETURNS boxoffice.wallet_entry
LANGUAGE sql STABLE
RETURN ROW(e.id, e.kind::text, e.amount, e.balance_after, e.payment_id,
           (SELECT p.reservation_id FROM boxoffice.payments p WHERE p.id = e.payment_id), e.created_at)::boxoffice.wallet_entry;

-- What a buyer gets back from paying.
CREATE TYPE boxoffice.payment_receipt AS (
  payment_id         bigint,
  order_id           text,
  reservation_id     bigint,
  reservation_number text,
  reservation_status text,
  method             text,
  amount             bigint,
  status             text,
  points_balance     bigint,
  created_at         timestamptz,
  approved_at        timestamptz,
  refunded_at        timestamptz,
  failure            text,
  refund_reason      text
);

-- PL/pgSQL, not an SQL function: its query is planned once per session (an
-- SQL function with a subquery is planned again on every call). Like the SQL
-- helpers it names everything in full and sets no search_path (its callers
-- pin theirs): a SET would cost a save and restore on every call.
CREATE FUNCTION boxoffice._payment_receipt(payment_id bigint) RETURNS boxoffice.payment_receipt
LANGUAGE plpgsql STABLE AS $$
DECLARE
  v boxoffice.payment_receipt;
BEGIN
  SELECT p.id, p.order_id, p.reservation_id, r.reservation_number, r.status::text, p.method::text, p.amount,
         p.status::text, CASE WHEN p.method = 'points' THEN coalesce(w.balance, 0) END,
         p.created_at, p.approved_at, p.refunded_at, p.failure, p.refund_reason
    INTO v
    FROM boxoffice.payments p
    JOIN boxoffice.reservations r ON r.id = p.reservation_id
    LEFT JOIN boxoffice.wallets w ON w.user_id = p.user_id
   WHERE p.id = _payment_receipt.payment_id;
  IF NOT FOUND THEN
    RETURN NULL;
  END IF;
  RETURN v;
END $$;

-- A performance's terms, with the defaults for one that set none. PL/pgSQL
-- (0.5.2): every sale reads them, and its query is planned once per session.
-- Names in full, no SET search_path, as _payment_receipt.
CREATE FUNCTION boxoffice._payment_terms(performance_id bigint) RETURNS boxoffice.payment_terms
LANGUAGE plpgsql STABLE AS $$
DECLARE
  t boxoffice.payment_terms;
BEGIN
  SELECT * INTO t FROM boxoffice.payment_terms p WHERE p.performance_id = _payment_terms.performance_id;
  IF NOT FOUND THEN
    t := ROW(performance_id, false, interval '0 seconds', NULL, NULL);
  END IF;
  RETURN t;
END $$;

-- Confirming: a performance that sells against payment needs the approved
-- payment of the whole amount first.
CREATE FUNCTION boxoffice._payment_before_sale() RETURNS trigger
LANGUAGE plpgsql SET search_path = boxoffice, pg_temp AS $$
BEGIN
  IF (_payment_terms(NEW.performance_id)).payment_required
     AND NOT EXISTS (SELECT FROM payments p WHERE p.reservation_id = NEW.id AND p.status = 'approved'
                        AND p.amount = NEW.total_amount) THEN
    RAISE EXCEPTION 'payment required' USING ERRCODE = _sqlstate('payment_required'),
      DETAIL = format('Performance %s sells against payment: reservation %s (%s) has no approved payment.',
                      NEW.performance_id, NEW.id, NEW.total_amount),
      HINT = 'Pay for it (pay_with_points, or POST /v1/reservations/{id}/payments/points) instead of confirming it.';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER payment_before_sale BEFORE UPDATE OF status ON boxoffice.reservations
  FOR EACH ROW WHEN (NEW.status = 'confirmed' AND OLD.status <> 'confirmed') EXECUTE FUNCTION boxoffice._payment_before_sale();

-- Cancelling a sale: until the cut-off before the start.
CREATE FUNCTION boxoffice._cancellation_cutoff() RETURNS trigger
LANGUAGE plpgsql SET search_path = boxoffice, pg_temp AS $$
DECLARE
  v_until timestamptz := (SELECT p.starts_at - (_payment_terms(p.id)).cancel_cutoff FROM performances p WHERE p.id = NEW.performance_id);
BEGIN
  IF clock_timestamp() >= v_until THEN
    RAISE EXCEPTION 'cancellation closed' USING ERRCODE = _sqlstate('cancellation_closed'),
      DETAIL = format('Reservation %s could be cancelled until %s.', NEW.id, v_until),
      HINT = 'Ask the box office.';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER cancellation_cutoff BEFORE UPDATE OF status ON boxoffice.reservations
  FOR EACH ROW WHEN (NEW.status = 'cancelled' AND OLD.status = 'confirmed') EXECUTE FUNCTION boxoffice._cancellation_cutoff();

-- A cancelled sale gives its payment back: points to the wallet in the same
-- transaction; a card-like payment waits in refund_pending until the gateway
-- has refunded it (card_payments.sql: settle_card_refund).
-- The three triggers on reservations fire on the origin only (the default, not
-- ALWAYS): a logical replica receives the payment and ledger rows themselves.
CREATE FUNCTION boxoffice._refund_on_cancel() RETURNS trigger
LANGUAGE plpgsql SET search_path = boxoffice, pg_temp AS $$
DECLARE
  p payments;
BEGIN
  FOR p IN SELECT * FROM payments x WHERE x.reservation_id = NEW.id AND x.status = 'approved' FOR UPDATE LOOP
    IF p.method = 'points' AND p.amount > 0 THEN
      PERFORM _locked_balance(p.user_id);
      PERFORM _post_points(p.user_id, 'refund', p.amount, p.id);
    END IF;
    IF p.method = 'points' THEN
      UPDATE payments x SET status = 'refunded', refunded_at = clock_timestamp(), refund_reason = 'cancelled' WHERE x.id = p.id;
    ELSE
      UPDATE payments x SET status = 'refund_pending', refund_reason = 'cancelled' WHERE x.id = p.id;
    END IF;
  END LOOP;
  RETURN NULL;
END $$;
CREATE TRIGGER refund_on_cancel AFTER UPDATE OF status ON boxoffice.reservations
  FOR EACH ROW WHEN (NEW.status = 'cancelled' AND OLD.status = 'confirmed') EXECUTE FUNCTION boxoffice._refund_on_cancel();

-- The caller's reservation, under its row lock, if a payment may start for
-- it: a live hold, not paid, no payment under way. Every method asks here.
CREATE FUNCTION boxoffice._payable(reservation_id bigint, user_id bigint) RETURNS boxoffice.reservations
LANGUAGE plpgsql VOLATILE SET search_path = boxoffice, pg_temp AS $$
DECLARE
  r reservations;
  v_order text;
BEGIN
  SELECT * INTO r FROM reservations x WHERE x.id = _payable.reservation_id AND x.user_id = _payable.user_id FOR NO KEY UPDATE;
  IF NOT FOUND THEN
    PERFORM reservation(reservation_id, user_id);  -- TK009: not the caller's (reservation() words it)
  END IF;
  IF EXISTS (SELECT FROM payments p WHERE p.reservation_id = r.id AND p.status IN ('approved', 'refund_pending', 'refunded')) THEN
    RAISE EXCEPTION 'already paid' USING ERRCODE = _sqlstate('already_paid'),
      DETAIL = format('Reservation %s has been paid for.', r.id), HINT = 'Look it up: GET /v1/reservations/{id}.';
  END IF;
  -- a card payment never sent to the gateway cannot have been charged: a new payment replaces it
  UPDATE payments p SET status = 'failed', failed_at = clock_timestamp(), failure = 'superseded by another payment'
   WHERE p.reservation_id = r.id AND p.status = 'pending' AND p.payment_key IS NULL;
  SELECT p.order_id INTO v_order FROM payments p WHERE p.reservation_id = r.id AND p.status = 'pending';
  IF FOUND THEN
    RAISE EXCEPTION 'payment in progress' USING ERRCODE = _sqlstate('payment_in_progress'),
      DETAIL = format('Reservation %s has a payment under way (order %s).', r.id, v_order),
      HINT = 'Wait for its outcome: GET /v1/reservations/{id}/payments.';
  END IF;
  IF r.status = 'confirmed' THEN
    RAISE EXCEPTION 'reservation is confirmed' USING ERRCODE = _sqlstate('invalid_state'),
      DETAIL = format('Reservation %s was confirmed without a payment: it is free to keep.', r.id);
  END IF;
  IF NOT (r.live_until > clock_timestamp()) THEN
    PERFORM confirm(r.id, user_id);  -- says why (expired, released, cancelled)
  END IF;
  RETURN r;
END $$;

-- Paying with points, every rule in words: what pay_with_points (C++,
-- extension/src/pay_with_points.cpp) runs for all but the usual case, which
-- it runs itself in prepared statements. It is called as the owner.
CREATE FUNCTION boxoffice._pay_with_points_in_sql(reservation_id bigint, idempotency_key text, user_id bigint)
RETURNS boxoffice.payment_receipt LANGUAGE plpgsql VOLATILE SET search_path = boxoffice, pg_temp AS $$
DECLARE
  v_user bigint := _logged_in(user_id, 'Paying with points');
  v_scope text := _user_scope(v_user);
  v_args jsonb := jsonb_build_object('reservation_id', reservation_id);
  v_answer jsonb := _idempotency_start(v_scope, idempotency_key, 'pay_with_points', v_args);
  r reservations;
  v_balance bigint;
  v_payment bigint;
  v_receipt payment_receipt;
BEGIN
  IF v_answer IS NOT NULL THEN
    RETURN jsonb_populate_record(NULL::payment_receipt, v_answer);
  END IF;
  -- lock order: the reservation, then the wallet (as a refund takes them)
  r := _payable(reservation_id, v_user);
  v_balance := _locked_balance(v_user);
  IF v_balance < r.total_amount THEN
    RAISE EXCEPTION 'insufficient points' USING ERRCODE = _sqlstate('insufficient_points'),
      DETAIL = format('Reservation %s costs %s points; your wallet holds %s.', r.id, r.total_amount, v_balance),
      HINT = format('Charge at least %s more points, then pay again before the hold expires.', r.total_amount - v_balance);
  END IF;
  INSERT INTO payments (reservation_id, user_id, method, amount, status, approved_at)
  VALUES (r.id, v_user, 'points', r.total_amount, 'approved', clock_timestamp()) RETURNING id INTO v_payment;
  IF r.total_amount > 0 THEN
    PERFORM _post_points(v_user, 'payment', -r.total_amount, v_payment);
  END IF;
  PERFORM confirm(r.id, v_user);
  v_receipt := _payment_receipt(v_payment);
  PERFORM _idempotency_finish(v_scope, idempotency_key, 'pay_with_points', v_args, to_jsonb(v_receipt));
  RETURN v_receipt;
END $$;

-- The usual case (a live hold, no other payment, points enough) in
-- prepared statements; the rest through _pay_with_points_in_sql.
CREATE FUNCTION boxoffice.pay_with_points(reservation_id bigint, idempotency_key text, user_id bigint DEFAULT NULL)
RETURNS boxoffice.payment_receipt LANGUAGE c VOLATILE SECURITY DEFINER SET search_path = boxoffice, pg_temp SET enable_seqscan = off
AS 'MODULE_PATHNAME', 'boxoffice_pay_with_points';
COMMENT ON FUNCTION boxoffice.pay_with_points IS 'pays a live hold with the caller''s points and confirms it, in one transaction, exactly once per idempotency key; too few points change nothing';

CREATE FUNCTION boxoffice.payments_of(reservation_id bigint, user_id bigint DEFAULT NULL)
RETURNS SETOF boxoffice.payment_receipt LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = boxoffice, pg_temp AS $$
BEGIN
  PERFORM reservation(reservation_id, user_id);  -- TK009 when it is not the caller's
  -- one call of _payment_receipt per payment ((f(x)).* would call it once per column)
  RETURN QUERY SELECT r.* FROM payments p CROSS JOIN LATERAL _payment_receipt(p.id) r
                WHERE p.reservation_id = payments_of.reservation_id ORDER BY p.id;
END $$;
COMMENT ON FUNCTION boxoffice.payments_of IS 'the payments of one of the caller''s reservations, oldest first';

-- Admins: whether a performance sells against payment, and its cut-off.
CREATE FUNCTION boxoffice.set_payment_terms(performance_id bigint, payment_required boolean DEFAULT NULL, cancel_cutoff interval DEFAULT NULL)
RETURNS jsonb LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = boxoffice, pg_temp AS $$
BEGIN
  PERFORM _live_performance(performance_id);
  IF cancel_cutoff IS NOT NULL AND cancel_cutoff NOT BETWEEN interval '0 seconds' AND interval '365 days' THEN
    RAISE EXCEPTION 'invalid cancel cutoff' USING ERRCODE = _sqlstate('invalid_argument'),
      DETAIL = format('cancel_cutoff must be between 0 and 365 days before the start; got %s.', cancel_cutoff);
  END IF;
  IF payment_required AND EXISTS (SELECT FROM reservations r WHERE r.performance_id = set_payment_terms.performance_id
                                     AND r.status = 'confirmed'
                                     AND NOT EXISTS (SELECT FROM payments p WHERE p.reservation_id = r.id AND p.status = 'approved')) THEN
    RAISE EXCEPTION 'performance has unpaid sales' USING ERRCODE = _sqlstate('invalid_state'),
      DETAIL = format('Performance %s has confirmed reservations without a payment: it cannot start requiring one.', performance_id),
      HINT = 'Set the terms before sales open.';
  END IF;
  INSERT INTO payment_terms AS t (performance_id, payment_required, cancel_cutoff)
  VALUES (set_payment_terms.performance_id, coalesce(set_payment_terms.payment_required, false),
          coalesce(set_payment_terms.cancel_cutoff, interval '0 seconds'))
  ON CONFLICT ON CONSTRAINT payment_terms_pkey DO UPDATE
     SET payment_required = coalesce(set_payment_terms.payment_required, t.payment_required),
         cancel_cutoff = coalesce(set_payment_terms.cancel_cutoff, t.cancel_cutoff);
  RETURN payment_terms(performance_id);
END $$;
COMMENT ON FUNCTION boxoffice.set_payment_terms IS 'whether confirming a reservation of the performance needs a payment, and how long before the start a sale may still be cancelled; NULL keeps a term';

CREATE FUNCTION boxoffice.payment_terms(performance_id bigint) RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = boxoffice, pg_temp AS $$
DECLARE
  t payment_terms;
BEGIN
  PERFORM _live_performance(performance_id);
  t := _payment_terms(performance_id);
  RETURN jsonb_build_object('performance_id', performance_id, 'payment_required', t.payment_required,
                            'cancel_cutoff_seconds', extract(epoch FROM t.cancel_cutoff)::bigint,
                            'cancellable_until', (SELECT p.starts_at - t.cancel_cutoff FROM performances p WHERE p.id = performance_id));
END $$;
COMMENT ON FUNCTION boxoffice.payment_terms IS 'a performance''s payment terms: payment_required, cancel_cutoff and the moment sales stop being cancellable';

-- For DBAs: what each performance and tier sold and took in.
CREATE VIEW boxoffice.sales AS
SELECT r.performance_id, t.label AS tier, count(*) AS seats_sold, sum(s.price) AS revenue,
       count(DISTINCT r.id) AS reservations
  FROM reservations r
  JOIN seats s ON s.id = ANY (r.seat_ids)
  JOIN price_tiers t ON t.id = s.tier_id
 WHERE r.status = 'confirmed'
 GROUP BY r.performance_id, t.label;
COMMENT ON VIEW boxoffice.sales IS 'seats sold and revenue per performance and tier (confirmed reservations)';

CREATE VIEW boxoffice.refunds AS
SELECT p.id AS payment_id, p.reservation_id, r.performance_id, p.user_id, p.method, p.amount, p.status, p.refund_reason,
       p.approved_at, p.refunded_at
  FROM payments p JOIN reservations r ON r.id = p.reservation_id
 WHERE p.status IN ('refund_pending', 'refunded');
COMMENT ON VIEW boxoffice.refunds IS 'every refund, made (refunded) or waiting for the gateway (refund_pending), with its reason';

CREATE VIEW boxoffice.pending_payments AS
SELECT p.id AS payment_id, p.order_id, p.reservation_id, r.performance_id, p.user_id, p.method, p.amount, p.status,
       p.created_at, statement_timestamp() - p.created_at AS pending_for
  FROM payments p JOIN reservations r ON r.id = p.reservation_id
 WHERE p.status IN ('pending', 'refund_pending');
COMMENT ON VIEW boxoffice.pending_payments IS 'payments whose outcome (pending) or refund (refund_pending) the gateway has not given yet; the reconciliation settles them';

-- For check_invariants(): money and sales agree.
CREATE VIEW boxoffice._payment_faults AS
SELECT 'wallet_disagrees_with_ledger' AS violation, 'wallet of user ' || w.user_id AS object,
       format('balance %s, the ledger adds up to %s', w.balance, coalesce(l.total, 0)) AS detail
  FROM wallets w LEFT JOIN (SELECT user_id, sum(amount) AS total FROM ledger_entries GROUP BY user_id) l ON l.user_id = w.user_id
 WHERE w.balance <> coalesce(l.total, 0)
UNION ALL
SELECT 'ledger_balance_broken', 'ledger entry ' || e.id, format('balance_after %s, the entries up to it add up to %s', e.balance_after, e.running)
  FROM (SELECT id, balance_after, sum(amount) OVER (PARTITION BY user_id ORDER BY id) AS running FROM ledger_entries) e
 WHERE e.balance_after <> e.running
UNION ALL
SELECT 'sale_without_payment', 'reservation ' || r.id, format('confirmed for performance %s, which sells against payment, without an approved payment', r.performance_id)
  FROM reservations r JOIN payment_terms t ON t.performance_id = r.performance_id AND t.payment_required
 WHERE r.status = 'confirmed' AND NOT EXISTS (SELECT FROM payments p WHERE p.reservation_id = r.id AND p.status = 'approved')
UNION ALL
SELECT 'payment_disagrees_with_reservation', 'payment ' || p.id,
       format('%s %s of %s for reservation %s, which is %s and costs %s', p.status, p.method, p.amount, r.id, r.status, r.total_amount)
  FROM payments p JOIN reservations r ON r.id = p.reservation_id
 WHERE (p.status = 'approved' AND r.status <> 'confirmed')
    OR (p.status IN ('refund_pending', 'refunded') AND r.status IN ('hold', 'confirmed'))
    OR (p.status IN ('approved', 'refund_pending', 'refunded') AND p.amount <> r.total_amount)
UNION ALL
SELECT 'points_payment_not_in_ledger', 'payment ' || p.id,
       format('%s points payment of %s: ledger payment %s, refund %s', p.status, p.amount,
              coalesce((SELECT e.amount::text FROM ledger_entries e WHERE e.payment_id = p.id AND e.kind = 'payment'), 'none'),
              coalesce((SELECT e.amount::text FROM ledger_entries e WHERE e.payment_id = p.id AND e.kind = 'refund'), 'none'))
  FROM payments p
 WHERE p.method = 'points' AND p.status IN ('approved', 'refunded') AND p.amount > 0
   AND (NOT EXISTS (SELECT FROM ledger_entries e WHERE e.payment_id = p.id AND e.kind = 'payment' AND e.amount = -p.amount AND e.user_id = p.user_id)
        OR (p.status = 'refunded') <> EXISTS (SELECT FROM ledger_entries e WHERE e.payment_id = p.id AND e.kind = 'refund' AND e.amount = p.amount AND e.user_id = p.user_id))
UNION ALL
SELECT 'ledger_entry_without_payment', 'ledger entry ' || e.id, format('%s of %s names payment %s, which is not a points payment of this user', e.kind, e.amount, e.payment_id)
  FROM ledger_entries e
 WHERE e.payment_id IS NOT NULL
   AND NOT EXISTS (SELECT FROM payments p WHERE p.id = e.payment_id AND p.method = 'points' AND p.user_id = e.user_id
                      AND p.status IN ('approved', 'refunded'));
