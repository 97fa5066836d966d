-- boxoffice 0.5.1 -> 0.5.2: a purchase and a poll without needless work.
--   * _customer_scope and _user_scope are inlined into the statements that
--     call them: their bodies are no longer marked more immutable than what
--     they call (convert_to is stable; text || bigint too, text || text not).
--     Before, every keyed call ran them as SQL functions, planned each time.
--   * _payment_terms and _payment_receipt are PL/pgSQL: each sale reads the
--     terms, and an SQL function with a subquery is planned on every call;
--     PL/pgSQL plans its query once per session.
--   * wallet_history and payments_of call their helper once per row, not
--     once per column ((f(x)).* in PostgreSQL 15).
--   * queue_status is declared without SET search_path; it pins it around the
--     SQL it runs (a poll costs a tenth less).
-- No row changes; no C entry point changes.
\echo Use "ALTER EXTENSION boxoffice UPDATE TO '0.5.2'" to load this file. \quit

-- ---- changed in 0.5.2: scopes inlined into their callers (idempotency.sql) ----
CREATE OR REPLACE FUNCTION boxoffice._user_scope(user_id bigint) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE RETURN 'user ' || user_id::text;

CREATE OR REPLACE FUNCTION boxoffice._customer_scope(user_id bigint, guest_key text, hold_token text) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
RETURN CASE WHEN user_id IS NOT NULL THEN boxoffice._user_scope(user_id)
            WHEN hold_token IS NOT NULL THEN 'hold ' || encode(sha256(convert_to(hold_token, 'UTF8')), 'hex')
            WHEN guest_key IS NOT NULL THEN 'guest ' || encode(sha256(convert_to(guest_key, 'UTF8')), 'hex') END;

-- ---- changed in 0.5.2: receipts and terms in PL/pgSQL (payments.sql) ----
-- (CREATE OR REPLACE keeps each function's owner and grants.)
CREATE OR REPLACE FUNCTION boxoffice._payment_receipt(payment_id bigint) RETURNS boxoffice.payment_receipt
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

CREATE OR REPLACE FUNCTION boxoffice._payment_terms(performance_id bigint) RETURNS boxoffice.payment_terms
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

-- ---- changed in 0.5.2: one call per row, not one per column (wallet.sql, payments.sql) ----
-- (f(x)).* calls f once for every column of its result; the histories call
-- their helper once per row.
CREATE OR REPLACE FUNCTION boxoffice.wallet_history(user_id bigint DEFAULT NULL, before_entry bigint DEFAULT NULL, max_entries int DEFAULT 50)
RETURNS SETOF boxoffice.wallet_entry LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = boxoffice, pg_temp AS $$
DECLARE
  v_user bigint := _logged_in(user_id, 'A points wallet');
BEGIN
  IF max_entries IS NULL OR max_entries NOT BETWEEN 1 AND 500 THEN
    RAISE EXCEPTION 'invalid max entries' USING ERRCODE = _sqlstate('invalid_argument'),
      DETAIL = format('max_entries must be between 1 and 500; got %s.', coalesce(max_entries::text, 'null'));
  END IF;
  -- the page first, then one call of _wallet_entry per entry ((f(e)).* would
  -- call it once per column)
  RETURN QUERY
  SELECT w.* FROM (SELECT e FROM ledger_entries e
                    WHERE e.user_id = v_user AND (before_entry IS NULL OR e.id < before_entry)
                    ORDER BY e.id DESC LIMIT max_entries) page
                  CROSS JOIN LATERAL _wallet_entry(page.e) w
   ORDER BY (page.e).id DESC;
END $$;


CREATE OR REPLACE FUNCTION boxoffice.payments_of(reservation_id bigint, user_id bigint DEFAULT NULL)
RETURNS SETOF boxoffice.payment_receipt LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = boxoffice, pg_temp AS $$
BEGIN
  PERFORM reservation(reservation_id, user_id);  -- TK009 when it is not the caller's
  -- one call of _payment_receipt per payment ((f(x)).* would call it once per column)
  RETURN QUERY SELECT r.* FROM payments p CROSS JOIN LATERAL _payment_receipt(p.id) r
                WHERE p.reservation_id = payments_of.reservation_id ORDER BY p.id;
END $$;


-- ---- changed in 0.5.2: queue_status pins search_path around its SQL only (waiting_room.sql) ----
-- Its C++ names every table by schema; the SQL it runs sees search_path =
-- boxoffice, pg_temp (PinnedSearchPath). Setting and resetting search_path
-- on every call cost a tenth of a poll.
ALTER FUNCTION boxoffice.queue_status(text, bigint) RESET search_path;

SELECT boxoffice._give_objects_to_owner();
