-- boxoffice 0.5.0 -> 0.5.1: idempotency keys for holds and cancellations;
-- paying with points in C++.
--   * hold, try_hold and cancel take an idempotency_key (optional): a retry
--     with the same key gets the first answer back (a guest's hold with its
--     token), the key with other arguments is refused (TK032), and a retry
--     while the first runs too (TK033). Keys are scoped by _customer_scope:
--     a user, a guest hold's token, or a guest client, whose keys must have
--     at least 16 characters.
--   * pay_with_points runs its usual case in C++ with prepared statements
--     (extension/src/pay_with_points.cpp); the PL/pgSQL version, now
--     _pay_with_points_in_sql, answers every other case in its words.
--   * the idempotency keys' rules as SQL the C++ callers share
--     (_idempotency_key_ok, _idempotency_try_lock): keyed engine calls start
--     and keep their keys in prepared statements;
--   * a user's sale reads no PIN secret, and a sale without a waiting-room
--     turn does not lock the queue's table (fewer locks per purchase).
--   * the kept answer of a user's hold holds no hold token, and a guest's
--     only until the hold expires (_kept_answer; the sweep calls
--     _forget_hold_tokens); a guest client's scope holds its key hashed.
-- No row changes. The C entry points of hold, try_hold and cancel keep their
-- names: the library reads the key only when the declaration passes one.
\echo Use "ALTER EXTENSION boxoffice UPDATE TO '0.5.1'" to load this file. \quit

-- ---- changed in 0.5.1: the key's form for guests, the key's rules as SQL the C++ callers share, hold tokens kept only while needed (idempotency.sql) ----
-- The kept answer of a guest's hold holds its hold token, so that a retry
-- whose first answer was lost gets it. Reservations keep only the token's
-- hash; the kept copy is forgotten once the hold has expired (the sweep calls
-- this every minute), after which no retry needs it. A user's hold keeps no
-- token at all: the user owns the hold through the login.
CREATE INDEX idempotency_keys_hold_tokens ON boxoffice.idempotency_keys (created_at) WHERE answer ? 'hold_token';
CREATE FUNCTION boxoffice._forget_hold_tokens() RETURNS bigint
LANGUAGE sql VOLATILE
BEGIN ATOMIC
  WITH forgotten AS (
    UPDATE boxoffice.idempotency_keys k SET answer = k.answer - 'hold_token'
     WHERE k.answer ? 'hold_token' AND (k.answer ->> 'expires_at')::timestamptz <= now() RETURNING 1)
  SELECT count(*) FROM forgotten;
END;

-- The form of a key: 1 to 255 visible ASCII characters, and a guest client's
-- at least 16 (_customer_scope says why). NULL for a NULL key.
CREATE FUNCTION boxoffice._idempotency_key_ok(scope text, key text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN key ~ '^[!-~]{1,255}$' AND (scope NOT LIKE 'guest %' OR length(key) >= 16);

-- The key's lock for this transaction, if no other transaction holds it
-- (advisory key space 1006: the idempotency keys being run).
CREATE FUNCTION boxoffice._idempotency_try_lock(scope text, key text) RETURNS boolean
LANGUAGE sql VOLATILE
RETURN pg_try_advisory_xact_lock(1006, hashtext(scope || ' ' || key));

CREATE OR REPLACE FUNCTION boxoffice._idempotency_start(scope text, key text, call text, arguments jsonb) RETURNS jsonb
LANGUAGE plpgsql VOLATILE SET search_path = boxoffice, pg_temp AS $$
DECLARE
  k idempotency_keys;
BEGIN
  IF NOT coalesce(_idempotency_key_ok(scope, key), false) THEN
    RAISE EXCEPTION 'idempotency key required' USING ERRCODE = _sqlstate('idempotency_key_required'),
      DETAIL = CASE WHEN key IS NULL THEN format('%s moves money and needs an idempotency key.', call)
                    WHEN scope LIKE 'guest %' AND key ~ '^[!-~]{1,15}$' THEN
                      format('A guest''s idempotency key must have 16 to 255 visible ASCII characters; this one has %s. '
                             'A guest is known only by its client address: the key alone tells one guest''s retry from another''s.',
                             length(key))
                    ELSE format('The idempotency key must be 1 to 255 visible ASCII characters; this one has %s characters.', length(key)) END,
      HINT = 'Send a fresh random key (a UUID) with each new call, and the same key with its retries.';
  END IF;
  IF NOT _idempotency_try_lock(scope, key) THEN
    RAISE EXCEPTION 'idempotency key in flight' USING ERRCODE = _sqlstate('idempotency_key_in_flight'),
      DETAIL = 'A call with this idempotency key is still running.',
      HINT = 'Retry in a moment with the same key: you will get its answer.';
  END IF;
  SELECT * INTO k FROM idempotency_keys i WHERE i.scope = _idempotency_start.scope AND i.key = _idempotency_start.key;
  IF NOT FOUND THEN
    RETURN NULL;
  END IF;
  IF k.call <> _idempotency_start.call OR k.arguments <> _idempotency_start.arguments THEN
    RAISE EXCEPTION 'idempotency key reused' USING ERRCODE = _sqlstate('idempotency_key_reused'),
      DETAIL = format('This idempotency key was used for %s with %s.', k.call, k.arguments),
      HINT = 'Use a new key for a new call.';
  END IF;
  RETURN k.answer;
END $$;

-- What is kept of a call's answer: all of it but a hold token, which only a
-- guest's hold keeps (for its retry, until _forget_hold_tokens).
CREATE FUNCTION boxoffice._kept_answer(scope text, answer jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE WHEN scope LIKE 'guest %' AND answer ->> 'hold_token' IS NOT NULL THEN answer ELSE answer - 'hold_token' END;

-- Ends the first run of a keyed call: its answer is kept for the retries.
CREATE OR REPLACE FUNCTION boxoffice._idempotency_finish(scope text, key text, call text, arguments jsonb, answer jsonb) RETURNS void
LANGUAGE plpgsql VOLATILE SET search_path = boxoffice, pg_temp AS $$
BEGIN  -- PL/pgSQL: its INSERT is planned once per session
  INSERT INTO idempotency_keys (scope, key, call, arguments, answer)
  VALUES (_idempotency_finish.scope, _idempotency_finish.key, _idempotency_finish.call, _idempotency_finish.arguments,
          _kept_answer(_idempotency_finish.scope, _idempotency_finish.answer));
END $$;

-- The scope of a customer's keys: a user's; else, for a call on a guest's
-- hold (cancel), the holder of its token, which only that guest knows; else a
-- guest client (hold), known by its guest key (the client address over HTTP,
-- kept hashed as reservations keep it): its keys must be long enough that two
-- guests behind one address never pick the same (_idempotency_start).
CREATE FUNCTION boxoffice._customer_scope(user_id bigint, guest_key text, hold_token text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE WHEN user_id IS NOT NULL THEN boxoffice._user_scope(user_id)
            WHEN hold_token IS NOT NULL THEN 'hold ' || encode(sha256(convert_to(hold_token, 'UTF8')), 'hex')
            WHEN guest_key IS NOT NULL THEN 'guest ' || encode(sha256(convert_to(guest_key, 'UTF8')), 'hex') END;

-- ---- changed in 0.5.1: a sale without a turn locks no queue (waiting_room.sql) ----
CREATE OR REPLACE FUNCTION boxoffice._queue_turn_used() RETURNS trigger
LANGUAGE plpgsql SET search_path = boxoffice, pg_temp AS $$
BEGIN
  -- Most sales have no turn to use: one probe of the entry's unique key first,
  -- so that they do not lock the queue's table and all its indexes for an UPDATE.
  IF EXISTS (SELECT FROM queue_entries e WHERE e.performance_id = NEW.performance_id AND e.user_id = NEW.user_id
                AND e.state = 'active') THEN
    UPDATE queue_entries e SET state = 'used', ended_at = clock_timestamp()
     WHERE e.performance_id = NEW.performance_id AND e.user_id = NEW.user_id AND e.state = 'active';
  END IF;
  RETURN NULL;
END $$;

-- ---- changed in 0.5.1: hold, try_hold and cancel take a key (engine.sql) ----
DROP FUNCTION boxoffice.hold(bigint, bigint[], bigint, text);
DROP FUNCTION boxoffice.try_hold(bigint, bigint[], bigint, text);
DROP FUNCTION boxoffice.cancel(bigint, bigint, text);
CREATE FUNCTION boxoffice.hold(performance_id bigint, seat_ids bigint[], user_id bigint DEFAULT NULL, guest_key text DEFAULT NULL,
                               idempotency_key text DEFAULT NULL)
RETURNS boxoffice.booking LANGUAGE c VOLATILE SECURITY DEFINER SET search_path = boxoffice, pg_temp SET enable_seqscan = off
AS 'MODULE_PATHNAME', 'boxoffice_hold_v4';
COMMENT ON FUNCTION boxoffice.hold IS 'holds all the given seats or none, for the performance''s hold lifetime, for a user or a guest client (guest_key); returns the booking with its secret hold token; with an idempotency key, a retry gets the same hold back';

CREATE FUNCTION boxoffice.cancel(reservation_id bigint, user_id bigint DEFAULT NULL, hold_token text DEFAULT NULL,
                                 idempotency_key text DEFAULT NULL)
RETURNS boxoffice.booking LANGUAGE c VOLATILE SECURITY DEFINER SET search_path = boxoffice, pg_temp SET enable_seqscan = off
AS 'MODULE_PATHNAME', 'boxoffice_cancel_v4';
COMMENT ON FUNCTION boxoffice.cancel IS 'cancels a hold or a confirmed reservation; its seats are available at once; repeating it returns the same result; an idempotency key makes it exactly once per key';

CREATE FUNCTION boxoffice.try_hold(performance_id bigint, seat_ids bigint[], user_id bigint DEFAULT NULL, guest_key text DEFAULT NULL,
                                   idempotency_key text DEFAULT NULL)
RETURNS boxoffice.booking LANGUAGE c VOLATILE SECURITY DEFINER SET search_path = boxoffice, pg_temp SET enable_seqscan = off
AS 'MODULE_PATHNAME', 'boxoffice_try_hold_v4';
COMMENT ON FUNCTION boxoffice.try_hold IS 'hold() that answers a refusal (seats taken, customer limit, not on sale) with NULL and a NOTICE that says why, instead of an error: for callers that retry at high rates (no error, no subtransaction, nothing in the server log); bad input still raises';

-- ---- changed in 0.5.1: pay_with_points in C++ (payments.sql) ----
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
CREATE OR REPLACE FUNCTION boxoffice.pay_with_points(reservation_id bigint, idempotency_key text, user_id bigint DEFAULT NULL)
RETURNS boxoffice.payment_receipt LANGUAGE c VOLATILE SECURITY DEFINER SET search_path = boxoffice, pg_temp SET enable_seqscan = off
AS 'MODULE_PATHNAME', 'boxoffice_pay_with_points';

-- New objects: nobody but their grantees may use them (security.sql).
REVOKE ALL ON FUNCTION
  boxoffice.hold(bigint, bigint[], bigint, text, text), boxoffice.try_hold(bigint, bigint[], bigint, text, text),
  boxoffice.cancel(bigint, bigint, text, text), boxoffice._customer_scope(bigint, text, text),
  boxoffice._pay_with_points_in_sql(bigint, text, bigint), boxoffice._idempotency_key_ok(text, text),
  boxoffice._idempotency_try_lock(text, text), boxoffice._kept_answer(text, jsonb), boxoffice._forget_hold_tokens()
FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
  boxoffice.hold(bigint, bigint[], bigint, text, text), boxoffice.try_hold(bigint, bigint[], bigint, text, text),
  boxoffice.cancel(bigint, bigint, text, text)
TO boxoffice_app;

SELECT boxoffice._give_objects_to_owner();
