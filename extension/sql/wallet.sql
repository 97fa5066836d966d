
-- ============================================================================
-- wallet.sql: points, charged in advance and spent on reservations (seed
-- 004). The ledger is the record: one row per movement, never changed or
-- deleted (a trigger refuses it, whoever asks). A wallet's balance is what its
-- ledger adds up to, kept beside it so that a payment reads one row; both
-- are written by _post_points alone, in one transaction, under the wallet's
-- row lock, and check_invariants() proves they agree. The balance can never
-- go below zero (a CHECK). Paying with points is in payments.sql.
-- ============================================================================

CREATE TYPE boxoffice.ledger_kind AS ENUM ('charge', 'payment', 'refund');

CREATE TABLE boxoffice.wallets (
  user_id    bigint PRIMARY KEY REFERENCES boxoffice.users,
  balance    bigint NOT NULL DEFAULT 0 CONSTRAINT balance_not_negative CHECK (balance >= 0),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE boxoffice.ledger_entries (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id       bigint NOT NULL REFERENCES boxoffice.wallets,
  kind          boxoffice.ledger_kind NOT NULL,
  amount        bigint NOT NULL,       -- points in (charge, refund) or out (payment, negative)
  balance_after bigint NOT NULL CHECK (balance_after >= 0),
  payment_id    bigint,                -- what a payment or refund entry was for (payments.sql)
  created_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
  CONSTRAINT amount_fits_kind CHECK (CASE kind WHEN 'payment' THEN amount < 0 ELSE amount > 0 END),
  CONSTRAINT payment_entries_name_their_payment CHECK ((kind = 'charge') = (payment_id IS NULL))
);
CREATE INDEX ledger_entries_by_user ON boxoffice.ledger_entries (user_id, id);
-- a payment is taken once and given back at most once
CREATE UNIQUE INDEX ledger_entries_once_per_payment ON boxoffice.ledger_entries (payment_id, kind) WHERE payment_id IS NOT NULL;

CREATE FUNCTION boxoffice._ledger_is_immutable() RETURNS trigger
LANGUAGE plpgsql SET search_path = boxoffice, pg_temp AS $$
BEGIN
  RAISE EXCEPTION 'the points ledger is immutable' USING ERRCODE = _sqlstate('ledger_immutable'),
    DETAIL = format('%s of boxoffice.ledger_entries refused: its rows are never changed or removed.', TG_OP),
    HINT = 'Record a correction as a new entry.';
END $$;
CREATE TRIGGER immutable BEFORE UPDATE OR DELETE ON boxoffice.ledger_entries
  FOR EACH ROW EXECUTE FUNCTION boxoffice._ledger_is_immutable();
CREATE TRIGGER immutable_truncate BEFORE TRUNCATE ON boxoffice.ledger_entries
  FOR EACH STATEMENT EXECUTE FUNCTION boxoffice._ledger_is_immutable();
-- ALWAYS: they fire even with session_replication_role = replica.
ALTER TABLE boxoffice.ledger_entries ENABLE ALWAYS TRIGGER immutable, ENABLE ALWAYS TRIGGER immutable_truncate;

-- The largest single charge, one place for the check and its message.
CREATE FUNCTION boxoffice._max_points_charge() RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE RETURN 1000000;

-- What a buyer sees of one ledger entry.
CREATE TYPE boxoffice.wallet_entry AS (
  entry_id       bigint,
  kind           text,
  amount         bigint,
  balance_after  bigint,
  payment_id     bigint,
  reservation_id bigint,
  created_at     timestamptz
);

-- The one writer of points: moves amount into (or, negative, out of) a
-- user's wallet and records it. The caller holds the wallet's lock
-- (_locked_balance) and has checked that a payment fits.
CREATE FUNCTION boxoffice._post_points(user_id bigint, kind boxoffice.ledger_kind, amount bigint, payment_id bigint)
RETURNS boxoffice.ledger_entries LANGUAGE plpgsql VOLATILE SET search_path = boxoffice, pg_temp AS $$
DECLARE
  v_balance bigint;
  e ledger_entries;
BEGIN
  UPDATE wallets w SET balance = w.balance + _post_points.amount, updated_at = now()
   WHERE w.user_id = _post_points.user_id RETURNING w.balance INTO v_balance;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'points posted to a wallet that was not locked first' USING ERRCODE = 'XX000';
  END IF;
  INSERT INTO ledger_entries (user_id, kind, amount, balance_after, payment_id)
  VALUES (_post_points.user_id, _post_points.kind, _post_points.amount, v_balance, _post_points.payment_id)
  RETURNING * INTO e;
  RETURN e;
END $$;

-- A wallet's balance under its row lock, so that what a payment checks
-- stays true until it commits. A user's first call makes the wallet (empty).
CREATE FUNCTION boxoffice._locked_balance(user_id bigint) RETURNS bigint
LANGUAGE plpgsql VOLATILE SET search_path = boxoffice, pg_temp AS $$
DECLARE
  v bigint;
BEGIN
  INSERT INTO wallets (user_id) VALUES (_locked_balance.user_id) ON CONFLICT ON CONSTRAINT wallets_pkey DO NOTHING;
  SELECT w.balance INTO v FROM wallets w WHERE w.user_id = _locked_balance.user_id FOR NO KEY UPDATE;
  RETURN v;
END $$;

-- The logged-in user, or TK027.
CREATE FUNCTION boxoffice._logged_in(user_id bigint, what text) RETURNS bigint
LANGUAGE plpgsql STABLE SET search_path = boxoffice, pg_temp AS $$
DECLARE
  v bigint := _acting_user(user_id);
BEGIN
  IF v IS NULL OR NOT EXISTS (SELECT FROM users u WHERE u.id = v AND u.deleted_at IS NULL) THEN
    RAISE EXCEPTION 'login required' USING ERRCODE = _sqlstate('login_required'),
      DETAIL = format('%s belongs to a logged-in user.', what), HINT = 'Log in, then try again.';
  END IF;
  RETURN v;
END $$;

CREATE FUNCTION boxoffice.charge_points(amount bigint, idempotency_key text, user_id bigint DEFAULT NULL)
RETURNS boxoffice.wallet_entry LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = boxoffice, pg_temp AS $$
DECLARE
  v_user bigint := _logged_in(user_id, 'A points wallet');
  v_scope text := _user_scope(v_user);
  v_args jsonb := jsonb_build_object('amount', amount);
  v_answer jsonb := _idempotency_start(v_scope, idempotency_key, 'charge_points', v_args);
  r wallet_entry;
BEGIN
  IF v_answer IS NOT NULL THEN
    RETURN jsonb_populate_record(NULL::wallet_entry, v_answer);
  END IF;
  IF amount IS NULL OR amount NOT BETWEEN 1 AND _max_points_charge() THEN
    RAISE EXCEPTION 'invalid amount' USING ERRCODE = _sqlstate('invalid_amount'),
      DETAIL = format('A charge is 1 to %s points; got %s.', _max_points_charge(), coalesce(amount::text, 'null')),
      HINT = 'Charge a larger sum in several charges.';
  END IF;
  PERFORM _locked_balance(v_user);  -- the wallet's lock first, as a payment takes it
  r := _wallet_entry(_post_points(v_user, 'charge', amount, NULL));
  PERFORM _idempotency_finish(v_scope, idempotency_key, 'charge_points', v_args, to_jsonb(r));
  RETURN r;
END $$;
COMMENT ON FUNCTION boxoffice.charge_points IS 'adds points to the caller''s wallet (1 to 1,000,000 per charge), exactly once per idempotency key; returns the ledger entry';

CREATE FUNCTION boxoffice.wallet(user_id bigint DEFAULT NULL, OUT balance bigint, OUT updated_at timestamptz)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = boxoffice, pg_temp AS $$
DECLARE
  v_user bigint := _logged_in(user_id, 'A points wallet');
BEGIN
  SELECT w.balance, w.updated_at INTO wallet.balance, wallet.updated_at FROM wallets w WHERE w.user_id = v_user;
  balance := coalesce(balance, 0);
END $$;
COMMENT ON FUNCTION boxoffice.wallet IS 'the caller''s points balance (0 before any charge)';

CREATE FUNCTION boxoffice.wallet_history(user_id bigint DEFAULT NULL, before_entry bigint DEFAULT NULL, max_entries int DEFAULT 50)
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
COMMENT ON FUNCTION boxoffice.wallet_history IS 'the caller''s ledger, newest first, max_entries at a time (page with before_entry)';
