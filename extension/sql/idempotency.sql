
-- ============================================================================
-- idempotency.sql: exactly once for the calls that move money and for holds (FIELD-GUIDE
-- section 5; Stripe's keys, the IETF Idempotency-Key draft). A caller names
-- each call with a key of its own. The key is written in the same transaction
-- as the call's effect, with the answer it got, so
--   the same key, same call and arguments  -> the stored answer, no new effect
--   the same key, another call or argument -> TK032 idempotency_key_reused
--   the same key while its first call runs -> TK033 idempotency_key_in_flight
--   no key                                 -> TK031 idempotency_key_required
-- A call that fails changes nothing and stores nothing: its retry runs anew.
-- Charges and payments need a key; holds and cancellations take one if given
-- (since 0.5.1: a guest whose hold answer was lost gets the hold and its token
-- back, so the kept answer of a guest's hold holds its token until the hold
-- has expired: _forget_hold_tokens).
-- Keys are per customer (_customer_scope: 'user 42', a guest hold's token,
-- a guest client), kept 24 hours, then purged by pg_cron
-- (purge_idempotency_keys, scheduled by schedule_sweep).
-- ============================================================================

CREATE TABLE boxoffice.idempotency_keys (
  scope      text NOT NULL,         -- whose key: _customer_scope()
  key        text NOT NULL CHECK (key ~ '^[!-~]{1,255}$'),
  call       text NOT NULL,         -- the function it named: 'charge_points', 'hold', ...
  arguments  jsonb NOT NULL,        -- what it was called with (the key aside)
  answer     jsonb NOT NULL,        -- what it returned, replayed to a retry
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (scope, key)
);
CREATE INDEX idempotency_keys_created ON boxoffice.idempotency_keys (created_at);

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

-- How long a key is kept: one place for the purge and the README's promise.
CREATE FUNCTION boxoffice._idempotency_retention() RETURNS interval
LANGUAGE sql IMMUTABLE PARALLEL SAFE RETURN interval '24 hours';

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

-- Starts a call named by a key: the stored answer of its first run, or NULL
-- when this is the first run (the caller then does its work and calls
-- _idempotency_finish in the same transaction). The try-lock makes a second
-- run while the first is in flight fail at once instead of waiting for it:
-- it is held until the first run's transaction ends, and two runs of one key
-- never both do the work. (Two keys whose hashes collide also wait for each
-- other: a rare 409 that a retry clears.)
CREATE FUNCTION boxoffice._idempotency_start(scope text, key text, call text, arguments jsonb) RETURNS jsonb
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
CREATE FUNCTION boxoffice._idempotency_finish(scope text, key text, call text, arguments jsonb, answer jsonb) RETURNS void
LANGUAGE plpgsql VOLATILE SET search_path = boxoffice, pg_temp AS $$
BEGIN  -- PL/pgSQL: its INSERT is planned once per session
  INSERT INTO idempotency_keys (scope, key, call, arguments, answer)
  VALUES (_idempotency_finish.scope, _idempotency_finish.key, _idempotency_finish.call, _idempotency_finish.arguments,
          _kept_answer(_idempotency_finish.scope, _idempotency_finish.answer));
END $$;

-- The scope of a user's keys. (user_id::text, not text || bigint, whose
-- operator is only stable: an immutable body is inlined into its callers.)
CREATE FUNCTION boxoffice._user_scope(user_id bigint) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE RETURN 'user ' || user_id::text;

-- The scope of a customer's keys: a user's; else, for a call on a guest's
-- hold (cancel), the holder of its token, which only that guest knows; else a
-- guest client (hold), known by its guest key (the client address over HTTP,
-- kept hashed as reservations keep it): its keys must be long enough that two
-- guests behind one address never pick the same (_idempotency_start).
-- STABLE, as convert_to is: so the planner inlines it into the statements
-- that call it (0.5.2), instead of running it as a function every time.
CREATE FUNCTION boxoffice._customer_scope(user_id bigint, guest_key text, hold_token text) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
RETURN CASE WHEN user_id IS NOT NULL THEN boxoffice._user_scope(user_id)
            WHEN hold_token IS NOT NULL THEN 'hold ' || encode(sha256(convert_to(hold_token, 'UTF8')), 'hex')
            WHEN guest_key IS NOT NULL THEN 'guest ' || encode(sha256(convert_to(guest_key, 'UTF8')), 'hex') END;

CREATE FUNCTION boxoffice.purge_idempotency_keys() RETURNS bigint
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = boxoffice, pg_temp
BEGIN ATOMIC
  WITH purged AS (DELETE FROM boxoffice.idempotency_keys WHERE created_at < now() - boxoffice._idempotency_retention() RETURNING 1)
  SELECT count(*) FROM purged;
END;
COMMENT ON FUNCTION boxoffice.purge_idempotency_keys IS 'deletes the idempotency keys older than 24 hours (pg_cron runs it hourly); returns how many';
