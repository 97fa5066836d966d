-- boxoffice 0.4.2 -> 0.5.0: payments.
--   * a points wallet per user on an immutable ledger (wallet.sql):
--     charge_points, wallet, wallet_history; the ledger refuses UPDATE,
--     DELETE and TRUNCATE; the balance never goes below zero;
--   * payments (payments.sql): pay_with_points approves, takes the points and
--     confirms in one transaction; payments_of; per-performance terms
--     (set_payment_terms, payment_terms: payment required, a cancellation
--     cut-off); a sale of a performance that needs payment is refused
--     without one; cancelling a paid sale refunds it at once; views sales,
--     refunds and pending_payments for DBAs;
--   * idempotency keys (idempotency.sql) for the calls that move money,
--     purged hourly by pg_cron (purge_idempotency_keys);
--   * check_invariants() also checks the money: wallets against their
--     ledger, sales against their payments;
--   * card-like payments in phases through a gateway (card_payments.sql):
--     start_card_payment, begin_card_confirm, card_payment_outcome for
--     buyers; settle_card_payment, settle_card_refund, card_payments_to_settle
--     and record_reconciliation for the new role boxoffice_payments; a late
--     approval sells if the seats are free (_confirm_late, C++) and is
--     refunded otherwise; view last_reconciliations;
--   * error codes TK029-TK041.
-- Only new tables: no row of 0.4.2 changes. The C library adds _confirm_late.
\echo Use "ALTER EXTENSION boxoffice UPDATE TO '0.5.0'" to load this file. \quit

CREATE OR REPLACE VIEW boxoffice.error_codes (sqlstate, name, http_status, meaning) AS VALUES
  ('TK001', 'performance_not_found',    404, 'no such performance, or not visible to buyers (draft, archived or deleted concert, deleted performance)'),
  ('TK002', 'performance_not_on_sale',  409, 'sales not open yet, closed, or the performance was cancelled: for a hold, and for confirming an existing one'),
  ('TK003', 'seats_unavailable',        409, 'a seat is held, sold, or being taken right now; the detail names every such seat; nothing was held'),
  ('TK004', 'seats_not_in_performance', 422, 'unknown seat ids, or seats of another performance'),
  ('TK005', 'no_seats_requested',       422, 'the seat list is NULL or empty'),
  ('TK006', 'duplicate_seats',          422, 'a seat is listed twice'),
  ('TK007', 'too_many_seats',           422, 'more seats than max_seats_per_hold'),
  ('TK008', 'customer_limit_reached',   409, 'the customer''s live holds plus purchases would pass max_seats_per_customer (users: per user at hold; guests: per guest key at hold, live holds only, and per phone number at confirm)'),
  ('TK009', 'reservation_not_found',    404, 'no such reservation, or it is not yours'),
  ('TK010', 'hold_expired',             410, '"your seat hold has expired": confirming after expires_at'),
  ('TK011', 'invalid_state',            409, 'the action does not fit the state: releasing a confirmed reservation, confirming a cancelled one, publishing an archived concert, deleting a venue in use'),
  ('TK012', 'no_matching_reservation',  404, 'guest lookup found nothing'),
  ('TK013', 'invalid_phone',            422, 'not 10-11 digits starting with 01 (dashes and spaces are fine)'),
  ('TK014', 'invalid_pin',              422, 'not exactly 4 digits'),
  ('TK015', 'invalid_credentials',      401, 'wrong email or password'),
  ('TK016', 'email_taken',              409, 'an account with this email exists'),
  ('TK017', 'invalid_argument',         422, 'a catalog argument is missing or out of range; a NULL in the seat list'),
  ('TK018', 'venue_not_found',          404, 'no such venue'),
  ('TK019', 'concert_not_found',        404, 'no such concert (for buyers: no such published concert)'),
  ('TK020', 'user_not_found',           404, 'hold with an unknown user id'),
  ('TK021', 'buyer_details_required',   422, 'a guest confirmed without name, phone and PIN (a name of only spaces or invisible characters is no name)'),
  ('TK022', 'guest_lookup_locked',      429, '5 wrong PINs for this phone number: look-ups wait until the 15-minute lock ends; the hint says how many seconds'),
  ('TK023', 'guest_key_required',       422, 'a guest hold (no user_id) without a guest_key'),
  ('TK024', 'queue_entry_not_found',    404, 'no queue entry of yours has this token (unknown, malformed and other users'' tokens alike)'),
  ('TK025', 'queue_turn_required',      403, 'the performance sells through its waiting room and the customer has no active turn (guests never have one)'),
  ('TK026', 'queue_not_open',           409, 'entering before the pre-queue opens; the detail says when it does'),
  ('TK027', 'login_required',           401, 'entering a waiting room without a logged-in user'),
  ('TK028', 'queue_not_enabled',        409, 'entering the queue of a performance that sells without one'),
  ('TK029', 'insufficient_points',      402, 'paying with points a reservation that costs more than the wallet holds; the detail gives both; nothing was taken'),
  ('TK030', 'invalid_amount',           422, 'a points charge that is not a whole number from 1 to the per-charge limit (1,000,000)'),
  ('TK031', 'idempotency_key_required', 400, 'a call that moves money without an idempotency key, or with one that is not 1-255 visible ASCII characters'),
  ('TK032', 'idempotency_key_reused',   422, 'an idempotency key already used by this customer for another call or other arguments'),
  ('TK033', 'idempotency_key_in_flight', 409, 'an idempotency key whose first call is still running: retry once it has finished'),
  ('TK034', 'payment_required',         402, 'confirming a reservation of a performance that sells only against payment, without an approved payment'),
  ('TK035', 'already_paid',             409, 'paying a reservation that already has an approved payment'),
  ('TK036', 'cancellation_closed',      409, 'cancelling a confirmed reservation past its performance''s cancellation cut-off (default: once it has started)'),
  ('TK037', 'ledger_immutable',         409, 'an UPDATE, DELETE or TRUNCATE of the points ledger: its rows are never changed; a correction is a new entry'),
  ('TK038', 'payment_in_progress',      409, 'starting a payment for a reservation whose card payment was sent to the gateway and has no outcome yet; the detail names its order'),
  ('TK039', 'payment_not_found',        404, 'no such payment, or not yours (the same answer either way)'),
  ('TK040', 'payment_declined',         402, 'the gateway declined the card payment; the detail gives its reason; the hold stays until it expires'),
  ('TK041', 'payment_refunded',         409, 'a card payment the gateway approved after the hold ended and its seats were gone (or sales had stopped): it is refunded, nothing was sold');

COMMENT ON VIEW boxoffice.error_codes IS 'every SQLSTATE that boxoffice raises on purpose, with its name, the HTTP status the shim answers and its meaning';

-- ---- new in 0.5.0: extension/sql/idempotency.sql, as it is ----

-- ============================================================================
-- idempotency.sql: exactly once for the calls that move money (FIELD-GUIDE
-- section 5; Stripe's keys, the IETF Idempotency-Key draft). A caller names
-- each call with a key of its own. The key is written in the same transaction
-- as the call's effect, with the answer it got, so
--   the same key, same call and arguments  -> the stored answer, no new effect
--   the same key, another call or argument -> TK032 idempotency_key_reused
--   the same key while its first call runs -> TK033 idempotency_key_in_flight
--   no key                                 -> TK031 idempotency_key_required
-- A call that fails changes nothing and stores nothing: its retry runs anew.
-- Keys are per customer ('user 42'), kept 24 hours, then purged by pg_cron
-- (purge_idempotency_keys, scheduled by schedule_sweep).
-- ============================================================================

CREATE TABLE boxoffice.idempotency_keys (
  scope      text NOT NULL,         -- whose key: 'user <id>'
  key        text NOT NULL CHECK (key ~ '^[!-~]{1,255}$'),
  call       text NOT NULL,         -- the function it named: 'charge_points', 'pay_with_points'
  arguments  jsonb NOT NULL,        -- what it was called with (the key aside)
  answer     jsonb NOT NULL,        -- what it returned, replayed to a retry
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (scope, key)
);
CREATE INDEX idempotency_keys_created ON boxoffice.idempotency_keys (created_at);

-- How long a key is kept: one place for the purge and the README's promise.
CREATE FUNCTION boxoffice._idempotency_retention() RETURNS interval
LANGUAGE sql IMMUTABLE PARALLEL SAFE RETURN interval '24 hours';

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
  IF key IS NULL OR key !~ '^[!-~]{1,255}$' THEN
    RAISE EXCEPTION 'idempotency key required' USING ERRCODE = _sqlstate('idempotency_key_required'),
      DETAIL = CASE WHEN key IS NULL THEN format('%s moves money and needs an idempotency key.', call)
                    ELSE format('The idempotency key must be 1 to 255 visible ASCII characters; this one has %s characters.', length(key)) END,
      HINT = 'Send a fresh random key (a UUID) with each new call, and the same key with its retries.';
  END IF;
  -- advisory key space 1006: the idempotency keys being run
  IF NOT pg_try_advisory_xact_lock(1006, hashtext(scope || ' ' || key)) THEN
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

-- Ends the first run of a keyed call: its answer is kept for the retries.
CREATE FUNCTION boxoffice._idempotency_finish(scope text, key text, call text, arguments jsonb, answer jsonb) RETURNS void
LANGUAGE plpgsql VOLATILE SET search_path = boxoffice, pg_temp AS $$
BEGIN  -- PL/pgSQL: its INSERT is planned once per session
  INSERT INTO idempotency_keys (scope, key, call, arguments, answer)
  VALUES (_idempotency_finish.scope, _idempotency_finish.key, _idempotency_finish.call, _idempotency_finish.arguments,
          _idempotency_finish.answer);
END $$;

-- The scope of a user's keys.
CREATE FUNCTION boxoffice._user_scope(user_id bigint) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE RETURN 'user ' || user_id;

CREATE FUNCTION boxoffice.purge_idempotency_keys() RETURNS bigint
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = boxoffice, pg_temp
BEGIN ATOMIC
  WITH purged AS (DELETE FROM boxoffice.idempotency_keys WHERE created_at < now() - boxoffice._idempotency_retention() RETURNING 1)
  SELECT count(*) FROM purged;
END;
COMMENT ON FUNCTION boxoffice.purge_idempotency_keys IS 'deletes the idempotency keys older than 24 hours (pg_cron runs it hourly); returns how many';

-- ---- new in 0.5.0: extension/sql/wallet.sql, as it is ----

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
  RETURN QUERY
  SELECT (_wallet_entry(e)).* FROM ledger_entries e
   WHERE e.user_id = v_user AND (before_entry IS NULL OR e.id < before_entry)
   ORDER BY e.id DESC LIMIT max_entries;
END $$;
COMMENT ON FUNCTION boxoffice.wallet_history IS 'the caller''s ledger, newest first, max_entries at a time (page with before_entry)';

-- ---- new in 0.5.0: extension/sql/payments.sql, as it is ----

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

CREATE FUNCTION boxoffice._payment_receipt(payment_id bigint) RETURNS boxoffice.payment_receipt
LANGUAGE sql STABLE
RETURN (SELECT ROW(p.id, p.order_id, p.reservation_id, r.reservation_number, r.status::text, p.method::text, p.amount,
                   p.status::text, CASE WHEN p.method = 'points' THEN coalesce(w.balance, 0) END,
                   p.created_at, p.approved_at, p.refunded_at, p.failure, p.refund_reason)::boxoffice.payment_receipt
          FROM boxoffice.payments p
          JOIN boxoffice.reservations r ON r.id = p.reservation_id
          LEFT JOIN boxoffice.wallets w ON w.user_id = p.user_id
         WHERE p.id = payment_id);

-- A performance's terms, with the defaults for one that set none.
CREATE FUNCTION boxoffice._payment_terms(performance_id bigint) RETURNS boxoffice.payment_terms
LANGUAGE sql STABLE
RETURN coalesce((SELECT t FROM boxoffice.payment_terms t WHERE t.performance_id = _payment_terms.performance_id),
                ROW(performance_id, false, interval '0 seconds', NULL, NULL)::boxoffice.payment_terms);

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

CREATE FUNCTION boxoffice.pay_with_points(reservation_id bigint, idempotency_key text, user_id bigint DEFAULT NULL)
RETURNS boxoffice.payment_receipt LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = boxoffice, pg_temp AS $$
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
COMMENT ON FUNCTION boxoffice.pay_with_points IS 'pays a live hold with the caller''s points and confirms it, in one transaction, exactly once per idempotency key; too few points change nothing';

CREATE FUNCTION boxoffice.payments_of(reservation_id bigint, user_id bigint DEFAULT NULL)
RETURNS SETOF boxoffice.payment_receipt LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = boxoffice, pg_temp AS $$
BEGIN
  PERFORM reservation(reservation_id, user_id);  -- TK009 when it is not the caller's
  RETURN QUERY SELECT (_payment_receipt(p.id)).* FROM payments p WHERE p.reservation_id = payments_of.reservation_id ORDER BY p.id;
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

-- ---- new in 0.5.0: extension/sql/card_payments.sql, as it is ----

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

-- ---- changed in 0.5.0: the money in check_invariants(), the idempotency keys' purge in the schedule ----
CREATE OR REPLACE FUNCTION boxoffice.check_invariants()
RETURNS TABLE (violation text, object text, detail text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = boxoffice, pg_temp AS $$
  -- a seat in two live reservations
  SELECT 'seat_claimed_twice', 'seat ' || seat_id, 'live reservations ' || string_agg(id::text, ', ' ORDER BY id)
    FROM (SELECT r.id, unnest(r.seat_ids) AS seat_id FROM reservations r
           WHERE r.live_until > statement_timestamp()) live
   GROUP BY seat_id HAVING count(*) > 1
  UNION ALL
  -- a claim whose reservation no longer holds seats (ended, or not listing it),
  -- or whose seat or reservation is missing or of another performance
  SELECT 'claim_disagrees_with_reservation', 'seat ' || cl.seat_id,
         CASE WHEN r.id IS NULL THEN format('claimed by reservation %s, which does not exist', cl.reservation_id)
              WHEN s.id IS NULL THEN 'no such seat'
              WHEN s.performance_id <> cl.performance_id OR r.performance_id <> cl.performance_id
                THEN format('claim of performance %s for a seat of %s by a reservation of %s', cl.performance_id, s.performance_id, r.performance_id)
              WHEN r.live_until IS NOT NULL THEN format('reservation %s (%s) does not list the seat', r.id, r.status)
              ELSE format('claimed by reservation %s, which is %s', r.id, r.status) END
    FROM seat_claims cl
    LEFT JOIN reservations r ON r.id = cl.reservation_id
    LEFT JOIN seats s ON s.id = cl.seat_id
   WHERE r.id IS NULL OR s.id IS NULL OR s.performance_id <> cl.performance_id OR r.performance_id <> cl.performance_id
      OR r.live_until IS NULL OR NOT (cl.seat_id = ANY (r.seat_ids))
  UNION ALL
  -- a live reservation missing the claim on one of its seats
  SELECT 'reservation_missing_claim', 'reservation ' || r.id, format('%s, seat %s has no claim by it', r.status, s.seat_id)
    FROM reservations r CROSS JOIN LATERAL unnest(r.seat_ids) AS s(seat_id)
   WHERE r.live_until IS NOT NULL
     AND NOT EXISTS (SELECT FROM seat_claims cl WHERE cl.seat_id = s.seat_id AND cl.reservation_id = r.id)
  UNION ALL
  -- a reservation of a performance that does not exist
  SELECT 'reservation_without_performance', 'reservation ' || r.id, format('performance %s does not exist', r.performance_id)
    FROM reservations r WHERE NOT EXISTS (SELECT FROM performances p WHERE p.id = r.performance_id)
  UNION ALL
  -- a total that is not the sum of its seats' prices, or seats of another performance
  SELECT 'total_disagrees_with_prices', 'reservation ' || r.id,
         format('total %s, seats add up to %s over %s of %s seats', r.total_amount, coalesce(sum(s.price), 0), count(s.id), cardinality(r.seat_ids))
    FROM reservations r LEFT JOIN seats s ON s.id = ANY (r.seat_ids) AND s.performance_id = r.performance_id
   GROUP BY r.id
  HAVING r.total_amount <> coalesce(sum(s.price), 0) OR count(s.id) <> cardinality(r.seat_ids)
  UNION ALL
  -- seat counts that do not add up: available + held + sold = seats = venue capacity
  SELECT 'counts_do_not_add_up', 'performance ' || p.id,
         format('available %s + held %s + sold %s, %s seats, venue capacity %s', n.available, n.held, n.sold, n.seats, v.capacity)
    FROM performances p JOIN venues v ON v.id = p.venue_id
   CROSS JOIN LATERAL (
     SELECT count(*) FILTER (WHERE ss.status = 'available') AS available,
            count(*) FILTER (WHERE ss.status = 'held') AS held,
            count(*) FILTER (WHERE ss.status = 'sold') AS sold,
            count(*) AS seats
       FROM _seat_states ss WHERE ss.performance_id = p.id) n
   WHERE n.available + n.held + n.sold <> n.seats OR n.seats <> v.capacity
  UNION ALL
  -- the waiting rooms kept their order and their limit (waiting_room.sql)
  SELECT violation, object, detail FROM _queue_faults
  UNION ALL
  -- money and sales agree (payments.sql)
  SELECT violation, object, detail FROM _payment_faults
$$;
COMMENT ON FUNCTION boxoffice.check_invariants IS 'one row per violated invariant (double claims, seat state vs reservation, totals vs prices, counts); empty when all is well';

CREATE OR REPLACE FUNCTION boxoffice.schedule_sweep() RETURNS text
LANGUAGE plpgsql SET search_path = boxoffice, pg_temp AS $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_extension WHERE extname = 'pg_cron') THEN
    RETURN 'pg_cron is not installed in this database: run boxoffice.sweep() yourself, or CREATE EXTENSION pg_cron and call boxoffice.schedule_sweep()';
  END IF;
  PERFORM cron.schedule('boxoffice-sweep', '* * * * *', 'SELECT boxoffice.sweep()');
  PERFORM cron.schedule('boxoffice-purge-idempotency-keys', '23 * * * *', 'SELECT boxoffice.purge_idempotency_keys()');
  PERFORM cron.schedule('boxoffice-purge-cron-history', '17 3 * * *',
    $purge$DELETE FROM cron.job_run_details
            WHERE end_time < now() - interval '7 days'
              AND jobid IN (SELECT jobid FROM cron.job WHERE jobname LIKE 'boxoffice-%')$purge$);
  RETURN 'scheduled: boxoffice-sweep every minute, boxoffice-purge-idempotency-keys hourly, boxoffice-purge-cron-history daily';
END $$;
COMMENT ON FUNCTION boxoffice.schedule_sweep IS 'schedules sweep() every minute with pg_cron (if installed), the hourly purge of idempotency keys and a daily purge of the jobs'' run history';

CREATE OR REPLACE FUNCTION boxoffice.unschedule_sweep() RETURNS text
LANGUAGE plpgsql SET search_path = boxoffice, pg_temp AS $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_extension WHERE extname = 'pg_cron') THEN
    RETURN 'pg_cron is not installed in this database';
  END IF;
  PERFORM cron.unschedule(jobid) FROM cron.job WHERE jobname IN ('boxoffice-sweep', 'boxoffice-purge-idempotency-keys', 'boxoffice-purge-cron-history');
  RETURN 'unscheduled';
END $$;
COMMENT ON FUNCTION boxoffice.unschedule_sweep IS 'removes the pg_cron jobs of boxoffice';

-- A database whose sweep is scheduled gets the purge too (schedule_sweep
-- keeps one job per name; a database without pg_cron, or that unscheduled
-- the sweep, is left as it is).
DO $schedule$
BEGIN
  IF EXISTS (SELECT FROM pg_extension WHERE extname = 'pg_cron') THEN
    IF EXISTS (SELECT FROM cron.job WHERE jobname = 'boxoffice-sweep') THEN
      PERFORM boxoffice.schedule_sweep();
    END IF;
  END IF;
END $schedule$;

-- What pg_dump keeps (backup.sql): the new tables, and the identity
-- sequences of those that have one.
DO $register$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['payments', 'ledger_entries', 'reconciliation_runs'] LOOP
    PERFORM pg_catalog.pg_extension_config_dump(format('boxoffice.%I', t)::regclass, '');
    PERFORM pg_catalog.pg_extension_config_dump(pg_catalog.pg_get_serial_sequence(format('boxoffice.%I', t), 'id')::regclass, '');
  END LOOP;
  PERFORM pg_catalog.pg_extension_config_dump('boxoffice.payment_terms', '');
  PERFORM pg_catalog.pg_extension_config_dump('boxoffice.wallets', '');
  PERFORM pg_catalog.pg_extension_config_dump('boxoffice.idempotency_keys', '');
END $register$;

-- The role that settles card-like payments (security.sql).
DO $roles$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'boxoffice_payments') THEN
    CREATE ROLE boxoffice_payments NOLOGIN;
  END IF;
END $roles$;
GRANT USAGE ON SCHEMA boxoffice TO boxoffice_payments;

-- New objects: nobody but their grantees may use them (the install script
-- revokes from PUBLIC in bulk; an upgrade names each one).
REVOKE ALL ON TABLE boxoffice.idempotency_keys, boxoffice.wallets, boxoffice.ledger_entries, boxoffice.payment_terms,
  boxoffice.payments, boxoffice.sales, boxoffice.refunds, boxoffice.pending_payments, boxoffice._payment_faults,
  boxoffice.reconciliation_runs, boxoffice.last_reconciliations FROM PUBLIC;
REVOKE ALL ON SEQUENCE boxoffice.ledger_entries_id_seq, boxoffice.payments_id_seq, boxoffice.reconciliation_runs_id_seq FROM PUBLIC;
REVOKE ALL ON FUNCTION
  boxoffice._idempotency_retention(), boxoffice._idempotency_start(text, text, text, jsonb),
  boxoffice._idempotency_finish(text, text, text, jsonb, jsonb), boxoffice._user_scope(bigint),
  boxoffice.purge_idempotency_keys(), boxoffice._ledger_is_immutable(), boxoffice._max_points_charge(),
  boxoffice._post_points(bigint, boxoffice.ledger_kind, bigint, bigint), boxoffice._locked_balance(bigint),
  boxoffice._logged_in(bigint, text), boxoffice.charge_points(bigint, text, bigint), boxoffice.wallet(bigint),
  boxoffice.wallet_history(bigint, bigint, int), boxoffice._wallet_entry(boxoffice.ledger_entries),
  boxoffice._payment_receipt(bigint), boxoffice._payment_terms(bigint), boxoffice._payment_before_sale(),
  boxoffice._cancellation_cutoff(), boxoffice._refund_on_cancel(), boxoffice.pay_with_points(bigint, text, bigint),
  boxoffice.payments_of(bigint, bigint), boxoffice.set_payment_terms(bigint, boolean, interval), boxoffice.payment_terms(bigint),
  boxoffice._payable(bigint, bigint), boxoffice._confirm_late(bigint), boxoffice._card_method(text), boxoffice._is_refusal(text),
  boxoffice._own_payment(bigint, bigint), boxoffice._card_payment_by_order(text),
  boxoffice.start_card_payment(bigint, text, text, bigint), boxoffice.begin_card_confirm(bigint, text, bigint),
  boxoffice.card_payment_outcome(bigint, bigint), boxoffice.settle_card_payment(text, boolean, bigint, text, text),
  boxoffice.settle_card_refund(text), boxoffice.card_payments_to_settle(interval, int),
  boxoffice.record_reconciliation(timestamptz, int, int, int, int, int, int, text)
FROM PUBLIC;
-- The buyer API (security.sql).
GRANT EXECUTE ON FUNCTION
  boxoffice.charge_points(bigint, text, bigint), boxoffice.wallet(bigint), boxoffice.wallet_history(bigint, bigint, int),
  boxoffice.pay_with_points(bigint, text, bigint), boxoffice.payments_of(bigint, bigint),
  boxoffice.start_card_payment(bigint, text, text, bigint), boxoffice.begin_card_confirm(bigint, text, bigint),
  boxoffice.card_payment_outcome(bigint, bigint)
TO boxoffice_app;
-- The catalog and operations (security.sql).
GRANT EXECUTE ON FUNCTION
  boxoffice.set_payment_terms(bigint, boolean, interval), boxoffice.payment_terms(bigint), boxoffice.purge_idempotency_keys()
TO boxoffice_admin;
GRANT SELECT ON boxoffice.sales, boxoffice.refunds, boxoffice.pending_payments, boxoffice.last_reconciliations TO boxoffice_admin;
-- Settling card-like payments (security.sql).
GRANT EXECUTE ON FUNCTION
  boxoffice.settle_card_payment(text, boolean, bigint, text, text), boxoffice.settle_card_refund(text),
  boxoffice.card_payments_to_settle(interval, int),
  boxoffice.record_reconciliation(timestamptz, int, int, int, int, int, int, text)
TO boxoffice_payments;

SELECT boxoffice._give_objects_to_owner();
