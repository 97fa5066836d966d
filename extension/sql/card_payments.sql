
-- ============================================================================
-- card_payments.sql: card-like methods (card, kakao_pay, naver_pay, toss)
-- through a payment gateway, in Toss Payments' confirm flow. Each phase is
-- recorded and committed before the next call outside the database:
--   start_card_payment   the payment is pending, with its order id; the
--                        buyer's payment window runs at the gateway with it
--   begin_card_confirm   the gateway's payment key is recorded: from here on
--                        the card may be charged
--   (the gateway's confirm: boxoffice-http, outside any transaction, holding
--    no seat lock and no database connection)
--   settle_card_payment  approved and the reservation sold, or failed (the
--                        hold stays until it expires)
-- An outcome that was lost (a timeout, a crash) leaves the payment pending;
-- the reconciliation asks the gateway by order id (card_payments_to_settle)
-- and settles it. An approval that comes after the hold ended sells the
-- seats if they are still free (_confirm_late) and is refunded otherwise, as
-- is one for a reservation that can no longer be sold: nobody is charged
-- without a seat, and no seat is sold without a payment. Refunds take the
-- same way: refund_pending, the gateway's cancel, settle_card_refund.
-- Settling is for boxoffice_payments (the shim's gateway client), never for
-- buyers: a buyer could otherwise declare a payment approved.
-- ============================================================================

CREATE FUNCTION boxoffice._confirm_late(reservation_id bigint) RETURNS boxoffice.booking
LANGUAGE c VOLATILE SET search_path = boxoffice, pg_temp SET enable_seqscan = off
AS 'MODULE_PATHNAME', 'boxoffice_confirm_late';
COMMENT ON FUNCTION boxoffice._confirm_late IS 'sells a user''s hold that ran out, for a payment approved late, if its seats are still free and sales are open; raises why not';

-- Whether an error is one of boxoffice's refusals (a catalogued code), or
-- the claims' unique key refusing a seat: what an approval that cannot sell
-- turns into a refund. Anything else (a deadlock, a crash) is raised, and the
-- payment stays pending for the reconciliation to settle again.
CREATE FUNCTION boxoffice._is_refusal(sqlstate text) RETURNS boolean
LANGUAGE sql STABLE SET search_path = boxoffice, pg_temp
RETURN sqlstate = '23505' OR EXISTS (SELECT FROM boxoffice.error_codes e WHERE e.sqlstate = _is_refusal.sqlstate);

-- The method a buyer names, or TK017.
CREATE FUNCTION boxoffice._card_method(method text) RETURNS boxoffice.payment_method
LANGUAGE plpgsql IMMUTABLE SET search_path = boxoffice, pg_temp AS $$
BEGIN
  IF lower(method) IN ('card', 'kakao_pay', 'naver_pay', 'toss') THEN
    RETURN lower(method)::payment_method;
  END IF;
  RAISE EXCEPTION 'invalid payment method' USING ERRCODE = _sqlstate('invalid_argument'),
    DETAIL = format('A card-like payment is card, kakao_pay, naver_pay or toss; got %s.', coalesce(method, 'null')),
    HINT = 'Points are paid with pay_with_points.';
END $$;

-- The caller's payment, or TK039 (also for someone else's).
CREATE FUNCTION boxoffice._own_payment(payment_id bigint, user_id bigint) RETURNS boxoffice.payments
LANGUAGE plpgsql STABLE SET search_path = boxoffice, pg_temp AS $$
DECLARE
  v_user bigint := _logged_in(user_id, 'A payment');
  p payments;
BEGIN
  SELECT * INTO p FROM payments x WHERE x.id = _own_payment.payment_id AND x.user_id = v_user;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'payment not found' USING ERRCODE = _sqlstate('payment_not_found'),
      DETAIL = format('There is no payment %s that belongs to you.', coalesce(payment_id::text, 'null')),
      HINT = 'List your payments: GET /v1/reservations/{id}/payments.';
  END IF;
  RETURN p;
END $$;

-- A card-like payment by its order id, or TK039.
CREATE FUNCTION boxoffice._card_payment_by_order(order_id text) RETURNS boxoffice.payments
LANGUAGE plpgsql STABLE SET search_path = boxoffice, pg_temp AS $$
DECLARE
  p payments;
BEGIN
  SELECT * INTO p FROM payments x WHERE x.order_id = _card_payment_by_order.order_id AND x.method <> 'points';
  IF NOT FOUND THEN
    RAISE EXCEPTION 'payment not found' USING ERRCODE = _sqlstate('payment_not_found'),
      DETAIL = format('No card-like payment has order id %s.', coalesce(order_id, 'null'));
  END IF;
  RETURN p;
END $$;

CREATE FUNCTION boxoffice.start_card_payment(reservation_id bigint, method text, idempotency_key text, user_id bigint DEFAULT NULL)
RETURNS boxoffice.payment_receipt LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = boxoffice, pg_temp AS $$
DECLARE
  v_user bigint := _logged_in(user_id, 'Paying by card');
  v_scope text := _user_scope(v_user);
  v_args jsonb := jsonb_build_object('reservation_id', reservation_id, 'method', method);
  v_answer jsonb := _idempotency_start(v_scope, idempotency_key, 'start_card_payment', v_args);
  v_method payment_method;
  r reservations;
  v_payment bigint;
  v_receipt payment_receipt;
BEGIN
  IF v_answer IS NOT NULL THEN
    RETURN jsonb_populate_record(NULL::payment_receipt, v_answer);
  END IF;
  v_method := _card_method(method);
  r := _payable(reservation_id, v_user);
  IF r.total_amount = 0 THEN
    RAISE EXCEPTION 'nothing to pay' USING ERRCODE = _sqlstate('invalid_argument'),
      DETAIL = format('Reservation %s costs nothing.', r.id), HINT = 'Confirm it instead.';
  END IF;
  INSERT INTO payments (reservation_id, user_id, method, amount) VALUES (r.id, v_user, v_method, r.total_amount)
  RETURNING id INTO v_payment;
  v_receipt := _payment_receipt(v_payment);
  PERFORM _idempotency_finish(v_scope, idempotency_key, 'start_card_payment', v_args, to_jsonb(v_receipt));
  RETURN v_receipt;
END $$;
COMMENT ON FUNCTION boxoffice.start_card_payment IS 'starts paying a live hold of the caller''s by card, kakao_pay, naver_pay or toss: a pending payment whose order id and amount the gateway''s payment window takes; exactly once per idempotency key';

CREATE FUNCTION boxoffice.begin_card_confirm(payment_id bigint, payment_key text, user_id bigint DEFAULT NULL)
RETURNS boxoffice.payment_receipt LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = boxoffice, pg_temp AS $$
DECLARE
  p payments := _own_payment(payment_id, user_id);
  r reservations;
BEGIN
  IF payment_key IS NULL OR payment_key !~ '^[A-Za-z0-9_-]{1,200}$' THEN
    RAISE EXCEPTION 'invalid payment key' USING ERRCODE = _sqlstate('invalid_argument'),
      DETAIL = 'A payment key is 1 to 200 letters, digits, "_" or "-", as the gateway''s payment window gave it.';
  END IF;
  -- lock order: the reservation, then its payment
  SELECT * INTO r FROM reservations x WHERE x.id = p.reservation_id FOR NO KEY UPDATE;
  SELECT * INTO p FROM payments x WHERE x.id = p.id FOR UPDATE;
  IF p.status <> 'pending' THEN
    RETURN _payment_receipt(p.id);  -- it has its outcome: nothing to send
  END IF;
  IF p.payment_key IS NULL THEN
    -- Not charged yet, and never will be for a hold that has ended.
    IF NOT (r.status = 'hold' AND r.live_until > clock_timestamp()) THEN
      PERFORM confirm(r.id, p.user_id);  -- says why (expired, released, cancelled)
    END IF;
    UPDATE payments x SET payment_key = begin_card_confirm.payment_key WHERE x.id = p.id;
  ELSIF p.payment_key <> begin_card_confirm.payment_key THEN
    RAISE EXCEPTION 'another payment key' USING ERRCODE = _sqlstate('invalid_argument'),
      DETAIL = format('Payment %s is being confirmed with another payment key.', p.id),
      HINT = 'Send the key its payment window gave, or start a new payment once this one has its outcome.';
  END IF;
  RETURN _payment_receipt(p.id);
END $$;
COMMENT ON FUNCTION boxoffice.begin_card_confirm IS 'records the payment key the gateway gave a pending payment of the caller''s, before the gateway is asked to charge it; again: the same key, for a retry';

CREATE FUNCTION boxoffice.card_payment_outcome(payment_id bigint, user_id bigint DEFAULT NULL)
RETURNS boxoffice.payment_receipt LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = boxoffice, pg_temp AS $$
DECLARE
  p payments := _own_payment(payment_id, user_id);
BEGIN
  IF p.status = 'failed' THEN
    RAISE EXCEPTION 'payment declined' USING ERRCODE = _sqlstate('payment_declined'),
      DETAIL = format('Payment %s (order %s) failed: %s.', p.id, p.order_id, p.failure),
      HINT = 'Pay again, with another card or method, while the hold lasts.';
  END IF;
  IF p.status IN ('refund_pending', 'refunded') AND p.refund_reason <> 'cancelled' THEN
    RAISE EXCEPTION 'payment refunded' USING ERRCODE = _sqlstate('payment_refunded'),
      DETAIL = format('Payment %s (order %s) is refunded: %s.', p.id, p.order_id, p.refund_reason),
      HINT = 'Nothing was sold; choose seats again.';
  END IF;
  RETURN _payment_receipt(p.id);
END $$;
COMMENT ON FUNCTION boxoffice.card_payment_outcome IS 'the receipt of a payment of the caller''s, or why it did not buy anything: declined (TK040), refunded for coming too late (TK041)';

CREATE FUNCTION boxoffice.settle_card_payment(order_id text, approved boolean, amount bigint DEFAULT NULL,
                                              payment_key text DEFAULT NULL, failure text DEFAULT NULL)
RETURNS boxoffice.payment_receipt LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = boxoffice, pg_temp AS $$
DECLARE
  p payments := _card_payment_by_order(order_id);
  r reservations;
  v_sold boolean := false;
  v_reason text;
  v_detail text;
  v_state text;
BEGIN
  -- lock order: the reservation, then its payment (as cancelling takes them)
  SELECT * INTO r FROM reservations x WHERE x.id = p.reservation_id FOR NO KEY UPDATE;
  SELECT * INTO p FROM payments x WHERE x.id = p.id FOR UPDATE;
  IF approved IS NULL OR p.status NOT IN ('pending', 'failed') OR (p.status = 'failed' AND NOT approved) THEN
    RETURN _payment_receipt(p.id);  -- settled already (by a retry, or the reconciliation first), or nothing to settle
  END IF;
  IF NOT approved THEN
    UPDATE payments x SET status = 'failed', failed_at = clock_timestamp(),
           failure = coalesce(nullif(settle_card_payment.failure, ''), 'declined by the gateway')
     WHERE x.id = p.id;
    RETURN _payment_receipt(p.id);
  END IF;
  -- The gateway charged the card: from here the payment is sold or refunded.
  UPDATE payments x SET status = 'approved', approved_at = clock_timestamp(), failed_at = NULL, failure = NULL,
         payment_key = coalesce(x.payment_key, settle_card_payment.payment_key)
   WHERE x.id = p.id;
  IF amount IS DISTINCT FROM p.amount THEN
    v_reason := format('the gateway charged %s, not %s', coalesce(amount::text, 'an unknown amount'), p.amount);
  ELSE
    BEGIN
      IF r.status = 'hold' AND r.live_until > clock_timestamp() THEN
        PERFORM confirm(r.id, r.user_id);
      ELSE
        PERFORM _confirm_late(r.id);  -- a hold that ran out; any other state says why not
      END IF;
      v_sold := true;
    EXCEPTION WHEN OTHERS THEN
      GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_reason = MESSAGE_TEXT, v_detail = PG_EXCEPTION_DETAIL;
      IF NOT _is_refusal(v_state) THEN
        RAISE;
      END IF;
      v_reason := v_reason || coalesce(' (' || nullif(v_detail, '') || ')', '');
    END;
  END IF;
  IF NOT v_sold THEN
    UPDATE payments x SET status = 'refund_pending', refund_reason = 'approved but not sold: ' || v_reason WHERE x.id = p.id;
    -- the hold ends now, its payment on the way back: it can never be paid again
    UPDATE reservations x
       SET status = CASE WHEN x.live_until <= clock_timestamp() THEN 'expired' ELSE 'released' END::reservation_status,
           ended_at = least(x.live_until, clock_timestamp())
     WHERE x.id = r.id AND x.status = 'hold';
  END IF;
  RETURN _payment_receipt(p.id);
END $$;
COMMENT ON FUNCTION boxoffice.settle_card_payment IS 'records the gateway''s outcome of a card-like payment (boxoffice_payments): approved sells the reservation, late too if its seats are free, and is otherwise refunded; declined fails it. Settling twice changes nothing';

CREATE FUNCTION boxoffice.settle_card_refund(order_id text) RETURNS boxoffice.payment_receipt
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = boxoffice, pg_temp AS $$
DECLARE
  p payments := _card_payment_by_order(order_id);
BEGIN
  UPDATE payments x SET status = 'refunded', refunded_at = clock_timestamp()
   WHERE x.id = p.id AND x.status = 'refund_pending';
  RETURN _payment_receipt(p.id);
END $$;
COMMENT ON FUNCTION boxoffice.settle_card_refund IS 'records that the gateway refunded a card-like payment waiting in refund_pending (boxoffice_payments); again: nothing changes';

-- Every run of the reconciliation, for DBAs.
CREATE TABLE boxoffice.reconciliation_runs (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  started_at    timestamptz NOT NULL,
  finished_at   timestamptz NOT NULL DEFAULT now(),
  checked       int NOT NULL CHECK (checked >= 0),
  approved      int NOT NULL CHECK (approved >= 0),
  failed        int NOT NULL CHECK (failed >= 0),
  refunded      int NOT NULL CHECK (refunded >= 0),
  still_pending int NOT NULL CHECK (still_pending >= 0),
  errors        int NOT NULL CHECK (errors >= 0),
  note          text
);
CREATE INDEX reconciliation_runs_started ON boxoffice.reconciliation_runs (started_at);

-- What the reconciliation asks the gateway about: payments sent to be
-- confirmed whose outcome is older than settle_after (a request that is still
-- waiting for the gateway is left to finish), and every refund not made yet.
-- A pending payment that was never sent (no payment key) cannot have been
-- charged: once its hold has ended it fails here, without asking anyone.
CREATE FUNCTION boxoffice.card_payments_to_settle(settle_after interval DEFAULT '30 seconds', max_payments int DEFAULT 100)
RETURNS TABLE (payment_id bigint, order_id text, status text, payment_key text, amount bigint, created_at timestamptz)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = boxoffice, pg_temp AS $$
BEGIN
  UPDATE payments p SET status = 'failed', failed_at = clock_timestamp(), failure = 'abandoned: never sent to the gateway'
    FROM reservations r
   WHERE r.id = p.reservation_id AND p.status = 'pending' AND p.payment_key IS NULL
     AND NOT (r.status = 'hold' AND r.live_until > clock_timestamp());
  RETURN QUERY
  SELECT p.id, p.order_id, p.status::text, p.payment_key, p.amount, p.created_at
    FROM payments p
   WHERE (p.status = 'pending' AND p.payment_key IS NOT NULL AND p.created_at < clock_timestamp() - settle_after)
      OR p.status = 'refund_pending'
   ORDER BY p.created_at
   LIMIT max_payments;
END $$;
COMMENT ON FUNCTION boxoffice.card_payments_to_settle IS 'the card-like payments whose outcome or refund the reconciliation must ask the gateway for (boxoffice_payments); fails abandoned ones that were never sent';

CREATE FUNCTION boxoffice.record_reconciliation(started_at timestamptz, checked int, approved int, failed int, refunded int,
                                                still_pending int, errors int, note text DEFAULT NULL)
RETURNS bigint LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = boxoffice, pg_temp
BEGIN ATOMIC
  -- a week of runs is enough to read back
  DELETE FROM boxoffice.reconciliation_runs WHERE reconciliation_runs.started_at < now() - interval '7 days';
  INSERT INTO boxoffice.reconciliation_runs (started_at, checked, approved, failed, refunded, still_pending, errors, note)
  VALUES (started_at, checked, approved, failed, refunded, still_pending, errors, note) RETURNING id;
END;
COMMENT ON FUNCTION boxoffice.record_reconciliation IS 'records one run of the reconciliation (boxoffice_payments); runs older than 7 days are dropped';

CREATE VIEW boxoffice.last_reconciliations AS
SELECT id, started_at, finished_at, finished_at - started_at AS took, checked, approved, failed, refunded, still_pending, errors, note
  FROM reconciliation_runs ORDER BY id DESC LIMIT 100;
COMMENT ON VIEW boxoffice.last_reconciliations IS 'the last 100 runs of the reconciliation of card-like payments, newest first';
