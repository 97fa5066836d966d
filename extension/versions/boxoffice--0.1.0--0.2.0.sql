\echo Use "ALTER EXTENSION boxoffice UPDATE TO '0.2.0'" to load this file. \quit

-- ============================================================================
-- boxoffice 0.1.0 -> 0.2.0: backups keep every row, upgrades keep data, least
-- privilege, no double booking even by hand, and the holes an attacker found
-- (CHANGELOG.md). Every row stays; the result equals a fresh install of 0.2.0
-- (test/upgrade/run.sh proves it). Frozen once released: never edit it.
-- ============================================================================

-- A database that already sells a seat twice (0.1.0 let a manual UPDATE do
-- it) cannot take the new guarantee: say so, and change nothing.
DO $check$
BEGIN
  IF EXISTS (SELECT FROM boxoffice.check_invariants() WHERE violation = 'seat_claimed_twice') THEN
    RAISE EXCEPTION 'this database has seats in two live reservations'
      USING DETAIL = 'boxoffice 0.2.0 refuses any write that puts one seat in two live reservations, so it cannot take such rows. Nothing was changed.',
            HINT = 'SELECT * FROM boxoffice.check_invariants() names them; end one reservation of each seat, then update.';
  END IF;
END $check$;

-- Holds confirmed a few milliseconds after their expiry (two clock readings
-- in 0.1.0's confirm): they were sold, so their hold is taken to have lasted
-- until the sale, as the new constraint requires.
UPDATE boxoffice.reservations SET expires_at = confirmed_at WHERE confirmed_at > expires_at;

-- schema.sql -------------------------------------------------------------------
ALTER TABLE boxoffice.users DROP CONSTRAINT users_email_check,
  ADD CONSTRAINT users_email_check CHECK (email ~ '^[^@[:space:]]+@[^@[:space:]]+[.][^@[:space:]]+$');
ALTER TABLE boxoffice.reservations ADD COLUMN guest_key_hash bytea,
  ADD CONSTRAINT confirmed_before_expiry CHECK (confirmed_at <= expires_at);

-- ... and a guest client's live holds.
CREATE INDEX reservations_live_by_guest ON boxoffice.reservations (performance_id, guest_key_hash)
  WHERE status = 'hold' AND guest_key_hash IS NOT NULL;

-- Keys boxoffice keeps for itself, each made on its first use ('guest_pin'
-- salts the hashes of guests' PINs, accounts.sql). pg_dump keeps them, so a
-- restored database still recognises every PIN.
CREATE TABLE boxoffice.secrets (
  name       text PRIMARY KEY,
  value      bytea NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- The seats whose lock another transaction holds right now (locks.cpp).
CREATE FUNCTION boxoffice._seats_being_taken() RETURNS bigint[]
LANGUAGE c STABLE AS 'MODULE_PATHNAME', 'boxoffice_seats_being_taken';

CREATE OR REPLACE VIEW boxoffice._bookings AS
SELECT r.id AS reservation_id,
       r.reservation_number,
       CASE WHEN r.status = 'hold' AND r.expires_at <= statement_timestamp() THEN 'expired'
            ELSE r.status::text END AS status,
       r.performance_id,
       c.title AS concert_title,
       v.name AS venue_name,
       p.starts_at,
       (SELECT jsonb_agg(jsonb_build_object('seat_id', s.id, 'section', s.section, 'row', s.row_number,
                                            'number', s.seat_number, 'tier', t.label, 'price', s.price)
                         ORDER BY s.section, s.row_number, s.seat_number)
          FROM boxoffice.seats s JOIN boxoffice.price_tiers t ON t.id = s.tier_id
         WHERE s.id = ANY (r.seat_ids)) AS seats,
       r.total_amount,
       CASE WHEN r.confirmed_at IS NULL THEN r.expires_at END AS expires_at,
       NULL::text AS hold_token,
       r.buyer_name,
       r.created_at,
       r.confirmed_at,
       CASE WHEN r.status = 'hold' AND r.expires_at <= statement_timestamp() THEN r.expires_at
            ELSE r.ended_at END AS ended_at
  FROM boxoffice.reservations r
  JOIN boxoffice.performances p ON p.id = r.performance_id
  JOIN boxoffice.concerts c ON c.id = p.concert_id
  JOIN boxoffice.venues v ON v.id = p.venue_id;

CREATE OR REPLACE VIEW boxoffice._seat_states AS
SELECT s.id AS seat_id, s.performance_id, s.section, s.row_number, s.seat_number, s.tier_id, s.price,
       CASE WHEN r.status = 'confirmed' THEN 'sold'
            WHEN r.status = 'hold' AND r.expires_at > statement_timestamp() THEN 'held'
            -- an uncorrelated subquery: read once per statement, not per seat
            WHEN s.id = ANY ((SELECT boxoffice._seats_being_taken())::bigint[]) THEN 'held'
            ELSE 'available' END AS status
  FROM boxoffice.seats s
  LEFT JOIN boxoffice.seat_claims cl ON cl.seat_id = s.id
  LEFT JOIN boxoffice.reservations r ON r.id = cl.reservation_id;

-- errors.sql -------------------------------------------------------------------
CREATE OR REPLACE VIEW boxoffice.error_codes (sqlstate, name, meaning) AS VALUES
  ('TK001', 'performance_not_found',    'no such performance, or it is not visible to buyers'),
  ('TK002', 'performance_not_on_sale',  'the performance exists but is not selling now (window closed, not open yet, cancelled)'),
  ('TK003', 'seats_unavailable',        'some requested seats are held, sold, or being taken right now; nothing was held'),
  ('TK004', 'seats_not_in_performance', 'some seat ids do not exist or belong to another performance'),
  ('TK005', 'no_seats_requested',       'the seat list is missing or empty'),
  ('TK006', 'duplicate_seats',          'the seat list names a seat more than once'),
  ('TK007', 'too_many_seats',           'more seats than one hold may take'),
  ('TK008', 'customer_limit_reached',   'the customer would exceed the seats allowed per customer for the performance'),
  ('TK009', 'reservation_not_found',    'no such reservation, or it is not yours'),
  ('TK010', 'hold_expired',             'the seat hold expired before confirmation'),
  ('TK011', 'invalid_state',            'the object is not in a state that allows this action'),
  ('TK012', 'no_matching_reservation',  'guest lookup found nothing for that phone and PIN'),
  ('TK013', 'invalid_phone',            'the phone number is not 10-11 digits starting with 01'),
  ('TK014', 'invalid_pin',              'the PIN is not exactly 4 digits'),
  ('TK015', 'invalid_credentials',      'email or password is wrong'),
  ('TK016', 'email_taken',              'an account with this email exists'),
  ('TK017', 'invalid_argument',         'an argument is missing or out of range'),
  ('TK018', 'venue_not_found',          'no such venue'),
  ('TK019', 'concert_not_found',        'no such concert'),
  ('TK020', 'user_not_found',           'no such user'),
  ('TK021', 'buyer_details_required',   'a guest must give name, phone and PIN to confirm'),
  ('TK022', 'guest_lookup_locked',      'too many wrong PINs for this phone number: look-ups wait until the lock ends'),
  ('TK023', 'guest_key_required',       'a guest hold must name the client it is for (guest_key)');

-- input.sql --------------------------------------------------------------------
-- NULL, empty, or only spaces of any kind (newlines, no-break and ideographic
-- spaces, zero-width characters): a name nobody could read.
CREATE FUNCTION boxoffice._is_blank(name text) RETURNS boolean
LANGUAGE c IMMUTABLE AS 'MODULE_PATHNAME', 'boxoffice_is_blank';

-- catalog.sql ------------------------------------------------------------------
CREATE OR REPLACE FUNCTION boxoffice.create_venue(name text, address text, sections text[], rows_per_section int, seats_per_row int)
RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER SET search_path = boxoffice, pg_temp AS $$
DECLARE
  v_id bigint;
BEGIN
  IF _is_blank(name) THEN
    RAISE EXCEPTION 'venue name is required' USING ERRCODE = 'TK017', DETAIL = 'name is empty.';
  END IF;
  IF length(name) > 200 OR length(address) > 500 THEN
    RAISE EXCEPTION 'venue name or address too long' USING ERRCODE = 'TK017', DETAIL = 'name has at most 200 characters, address 500.';
  END IF;
  IF sections IS NULL OR cardinality(sections) NOT BETWEEN 1 AND 100
     OR EXISTS (SELECT FROM unnest(sections) s WHERE _is_blank(s))
     OR (SELECT count(DISTINCT s) FROM unnest(sections) s) <> cardinality(sections) THEN
    RAISE EXCEPTION 'invalid section list'
      USING ERRCODE = 'TK017', DETAIL = format('sections must be 1 to 100 distinct, non-empty names; got %s.', coalesce(sections::text, 'null')),
            HINT = 'For example the four sections A, B, C and D.';
  END IF;
  IF rows_per_section IS NULL OR rows_per_section NOT BETWEEN 1 AND 200 THEN
    RAISE EXCEPTION 'invalid rows per section' USING ERRCODE = 'TK017', DETAIL = format('rows_per_section must be between 1 and 200; got %s.', coalesce(rows_per_section::text, 'null'));
  END IF;
  IF seats_per_row IS NULL OR seats_per_row NOT BETWEEN 1 AND 500 THEN
    RAISE EXCEPTION 'invalid seats per row' USING ERRCODE = 'TK017', DETAIL = format('seats_per_row must be between 1 and 500; got %s.', coalesce(seats_per_row::text, 'null'));
  END IF;
  INSERT INTO venues (name, address, sections, rows_per_section, seats_per_row)
  VALUES (btrim(create_venue.name), coalesce(address, ''), create_venue.sections, create_venue.rows_per_section, create_venue.seats_per_row)
  RETURNING id INTO v_id;
  RETURN v_id;
END $$;
COMMENT ON FUNCTION boxoffice.create_venue IS 'creates a venue from a compact layout: section names x rows per section x seats per row';

CREATE OR REPLACE FUNCTION boxoffice.create_concert(title text, artist text, description text DEFAULT '', poster_url text DEFAULT NULL)
RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER SET search_path = boxoffice, pg_temp AS $$
DECLARE
  v_id bigint;
BEGIN
  IF _is_blank(title) OR _is_blank(artist) THEN
    RAISE EXCEPTION 'concert title and artist are required' USING ERRCODE = 'TK017', DETAIL = 'title or artist is empty.';
  END IF;
  IF length(title) > 200 OR length(artist) > 200 OR length(description) > 10000 OR length(poster_url) > 2000 THEN
    RAISE EXCEPTION 'concert text too long' USING ERRCODE = 'TK017',
      DETAIL = 'title and artist have at most 200 characters, description 10000, poster_url 2000.';
  END IF;
  IF poster_url IS NOT NULL AND poster_url !~ '^https?://' THEN
    RAISE EXCEPTION 'invalid poster url' USING ERRCODE = 'TK017', DETAIL = 'poster_url must start with http:// or https://.';
  END IF;
  INSERT INTO concerts (title, artist, description, poster_url)
  VALUES (btrim(create_concert.title), btrim(create_concert.artist), coalesce(create_concert.description, ''), create_concert.poster_url)
  RETURNING id INTO v_id;
  RETURN v_id;
END $$;
COMMENT ON FUNCTION boxoffice.create_concert IS 'creates a concert in draft; buyers see it only once published';

CREATE OR REPLACE FUNCTION boxoffice.add_price_tier(concert_id bigint, label text, price bigint, first_seat int, last_seat int, sections text[] DEFAULT NULL)
RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER SET search_path = boxoffice, pg_temp AS $$
DECLARE
  v_id bigint;
  v_clash text;
BEGIN
  PERFORM _live_concert(concert_id);
  IF _is_blank(label) OR length(label) > 50 THEN
    RAISE EXCEPTION 'invalid tier label' USING ERRCODE = 'TK017', DETAIL = 'A label has 1 to 50 characters.';
  END IF;
  IF price IS NULL OR price < 0 THEN
    RAISE EXCEPTION 'invalid price' USING ERRCODE = 'TK017', DETAIL = format('price must be zero or more; got %s.', coalesce(price::text, 'null'));
  END IF;
  IF first_seat IS NULL OR last_seat IS NULL OR first_seat < 1 OR last_seat < first_seat THEN
    RAISE EXCEPTION 'invalid seat range' USING ERRCODE = 'TK017',
      DETAIL = format('Need 1 <= first_seat <= last_seat; got %s..%s.', coalesce(first_seat::text, 'null'), coalesce(last_seat::text, 'null'));
  END IF;
  IF EXISTS (SELECT FROM price_tiers t WHERE t.concert_id = add_price_tier.concert_id AND t.label = btrim(add_price_tier.label)) THEN
    RAISE EXCEPTION 'tier label already used' USING ERRCODE = 'TK017', DETAIL = format('The concert already has a tier %L.', btrim(label));
  END IF;
  SELECT t.label INTO v_clash FROM price_tiers t
   WHERE t.concert_id = add_price_tier.concert_id
     AND int4range(t.first_seat, t.last_seat, '[]') && int4range(add_price_tier.first_seat, add_price_tier.last_seat, '[]')
     AND (t.sections IS NULL OR add_price_tier.sections IS NULL OR t.sections && add_price_tier.sections)
   LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'tier overlaps another tier' USING ERRCODE = 'TK017',
      DETAIL = format('Seats %s..%s are already priced by tier %L.', first_seat, last_seat, v_clash),
      HINT = 'Each seat must fall in exactly one tier.';
  END IF;
  INSERT INTO price_tiers (concert_id, label, price, first_seat, last_seat, sections)
  VALUES (add_price_tier.concert_id, btrim(add_price_tier.label), add_price_tier.price,
          add_price_tier.first_seat, add_price_tier.last_seat, add_price_tier.sections)
  RETURNING id INTO v_id;
  RETURN v_id;
END $$;
COMMENT ON FUNCTION boxoffice.add_price_tier IS 'adds a price tier: seats numbered first_seat..last_seat in each row (of the given sections, or all) cost price';

CREATE OR REPLACE FUNCTION boxoffice.create_performance(
  concert_id bigint, venue_id bigint, starts_at timestamptz,
  ends_at timestamptz DEFAULT NULL, sales_opens_at timestamptz DEFAULT NULL, sales_closes_at timestamptz DEFAULT NULL,
  hold_lifetime interval DEFAULT '5 minutes', max_seats_per_hold int DEFAULT 4, max_seats_per_customer int DEFAULT 4)
RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER SET search_path = boxoffice, pg_temp AS $$
DECLARE
  v venues := _live_venue(venue_id);
  v_id bigint;
  v_ends timestamptz := coalesce(ends_at, starts_at + interval '3 hours');
  v_opens timestamptz := coalesce(sales_opens_at, now());
  v_closes timestamptz := coalesce(sales_closes_at, starts_at);
  v_uncovered text;
BEGIN
  PERFORM _live_concert(concert_id);
  IF starts_at IS NULL OR v_ends <= starts_at THEN
    RAISE EXCEPTION 'invalid performance time' USING ERRCODE = 'TK017', DETAIL = 'starts_at is required and ends_at must be after it.';
  END IF;
  IF v_closes <= v_opens OR v_closes > v_ends THEN
    RAISE EXCEPTION 'invalid sales window' USING ERRCODE = 'TK017',
      DETAIL = 'sales_opens_at must be before sales_closes_at, which must not be after the end of the performance.';
  END IF;
  PERFORM _check_rules(hold_lifetime, max_seats_per_hold, max_seats_per_customer);

  -- every seat of the layout must be priced by exactly one tier
  SELECT string_agg(DISTINCT format('%s-%s', sec, n), ', ') INTO v_uncovered
    FROM unnest(v.sections) sec, generate_series(1, v.seats_per_row) n
   WHERE NOT EXISTS (SELECT FROM price_tiers t
                      WHERE t.concert_id = create_performance.concert_id
                        AND n BETWEEN t.first_seat AND t.last_seat
                        AND (t.sections IS NULL OR sec = ANY (t.sections)));
  IF v_uncovered IS NOT NULL THEN
    RAISE EXCEPTION 'seats without a price tier' USING ERRCODE = 'TK017',
      DETAIL = format('No tier prices seat numbers (section-number): %s.', left(v_uncovered, 300)),
      HINT = 'Add price tiers to the concert until every seat number is covered.';
  END IF;

  -- NULL rules take the defaults, so callers may pass only what they mean
  INSERT INTO performances (concert_id, venue_id, starts_at, ends_at, sales_opens_at, sales_closes_at,
                            hold_lifetime, max_seats_per_hold, max_seats_per_customer)
  VALUES (create_performance.concert_id, create_performance.venue_id, create_performance.starts_at, v_ends, v_opens, v_closes,
          coalesce(create_performance.hold_lifetime, interval '5 minutes'), coalesce(create_performance.max_seats_per_hold, 4),
          coalesce(create_performance.max_seats_per_customer, 4))
  RETURNING id INTO v_id;

  INSERT INTO seats (performance_id, section, row_number, seat_number, tier_id, price)
  SELECT v_id, sec.name, r, n, t.id, t.price
    FROM unnest(v.sections) WITH ORDINALITY AS sec(name, ord)
   CROSS JOIN generate_series(1, v.rows_per_section) r
   CROSS JOIN generate_series(1, v.seats_per_row) n
    JOIN price_tiers t ON t.concert_id = create_performance.concert_id
                      AND n BETWEEN t.first_seat AND t.last_seat
                      AND (t.sections IS NULL OR sec.name = ANY (t.sections))
   ORDER BY sec.ord, r, n;
  RETURN v_id;
END $$;
COMMENT ON FUNCTION boxoffice.create_performance IS 'schedules a concert at a venue and materialises one seat row per seat of the layout, priced by the tier rules';

-- accounts.sql -----------------------------------------------------------------
DO $install$
DECLARE
  v_schema text := (SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'pgcrypto');
BEGIN
  EXECUTE format($f$
    CREATE FUNCTION boxoffice._secret(name text) RETURNS bytea
    LANGUAGE plpgsql VOLATILE STRICT SET search_path = boxoffice, pg_temp AS $body$
    DECLARE
      v bytea := (SELECT s.value FROM secrets s WHERE s.name = _secret.name);
    BEGIN
      IF v IS NULL THEN
        INSERT INTO secrets (name, value) VALUES (_secret.name, %1$s.gen_random_bytes(32)) ON CONFLICT DO NOTHING;
        v := (SELECT s.value FROM secrets s WHERE s.name = _secret.name);
      END IF;
      RETURN v;
    END $body$$f$, v_schema);
  EXECUTE format($f$
    CREATE FUNCTION boxoffice._hash_pin(phone text, pin text) RETURNS text
    LANGUAGE sql VOLATILE STRICT AS
    'SELECT %1$s.crypt(pin, ''$2a$08$'' || translate(left(encode(
              %1$s.hmac(convert_to(phone, ''UTF8''), boxoffice._secret(''guest_pin''), ''sha256''), ''base64''), 22), ''+'', ''.''))'$f$,
    v_schema);
END $install$;

-- Takes the transaction lock of one account's email in boxoffice's own lock
-- space (locks.hpp), never in the application's pg_advisory_* keys.
CREATE FUNCTION boxoffice._lock_account(email text) RETURNS void
LANGUAGE c VOLATILE STRICT AS 'MODULE_PATHNAME', 'boxoffice_lock_account';

CREATE OR REPLACE FUNCTION boxoffice.register_user(email text, name text, password text) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = boxoffice, pg_temp AS $$
DECLARE
  v_id bigint;
BEGIN
  -- the same pattern as the users table's check, so that check never fires
  -- (its error would print the whole row, password hash included)
  IF coalesce(email, '') !~ '^[^@[:space:]]+@[^@[:space:]]+[.][^@[:space:]]+$' THEN
    RAISE EXCEPTION 'invalid email' USING ERRCODE = 'TK017', DETAIL = 'The email address is not of the form name@example.com.';
  END IF;
  IF _is_blank(name) OR length(name) > 200 OR length(email) > 320 THEN
    RAISE EXCEPTION 'invalid name or email' USING ERRCODE = 'TK017', DETAIL = 'A name has 1 to 200 characters, an email at most 320.';
  END IF;
  -- bcrypt reads at most 72 bytes: a longer password would be silently cut
  IF length(coalesce(password, '')) < 8 OR octet_length(password) > 72 THEN
    RAISE EXCEPTION 'invalid password' USING ERRCODE = 'TK017', DETAIL = 'A password has 8 characters or more, and at most 72 bytes.';
  END IF;
  -- serialise registrations of one address (in boxoffice's own lock space) so
  -- the unique index is the only judge
  PERFORM _lock_account(lower(email));
  IF EXISTS (SELECT FROM users u WHERE lower(u.email) = lower(register_user.email) AND u.deleted_at IS NULL) THEN
    RAISE EXCEPTION 'email already registered' USING ERRCODE = 'TK016',
      DETAIL = 'An account with this email exists.', HINT = 'Log in instead, or use another email.';
  END IF;
  INSERT INTO users (email, name, password_hash)
  VALUES (lower(register_user.email), btrim(register_user.name), _hash_secret(password))
  RETURNING id INTO v_id;
  RETURN v_id;
END $$;
COMMENT ON FUNCTION boxoffice.register_user IS 'registers a buyer account; the password is kept as a bcrypt hash';

-- reads.sql --------------------------------------------------------------------
-- Guest look-ups are rationed per phone number: after 5 wrong PINs the phone
-- is locked for 15 minutes, right PIN or not. Each look-up is counted before
-- its PIN is checked and given back when the PIN is right. The count lives in
-- shared memory (extension/src/guest_lockout.cpp), so the error that ends a
-- failed look-up does not undo it; it starts afresh when PostgreSQL restarts.
CREATE FUNCTION boxoffice._guest_lookup_attempt(phone text) RETURNS int
LANGUAGE c VOLATILE STRICT AS 'MODULE_PATHNAME', 'boxoffice_guest_lookup_attempt';
CREATE FUNCTION boxoffice._guest_lookup_succeeded(phone text) RETURNS void
LANGUAGE c VOLATILE STRICT AS 'MODULE_PATHNAME', 'boxoffice_guest_lookup_succeeded';

CREATE OR REPLACE FUNCTION boxoffice.guest_lookup(phone text, pin text) RETURNS SETOF boxoffice.booking
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = boxoffice, pg_temp AS $$
DECLARE
  v_phone text := _normalize_phone(phone);
  v_wait int;
  v_hash text;
BEGIN
  PERFORM _check_pin(pin);
  v_wait := _guest_lookup_attempt(v_phone);
  IF v_wait > 0 THEN
    RAISE EXCEPTION 'too many wrong pins for this phone number' USING ERRCODE = 'TK022',
      DETAIL = format('After 5 wrong PINs, look-ups for this phone number are locked for 15 minutes: %s seconds to go.', v_wait),
      HINT = format('Try again in %s seconds.', v_wait);
  END IF;
  -- one bcrypt, whether or not the phone has bookings
  v_hash := _hash_pin(v_phone, pin);
  -- PINs confirmed before version 0.2.0 have a salt of their own: they are
  -- checked one by one, and rehashed the first time they match
  UPDATE reservations r SET guest_pin_hash = v_hash
   WHERE r.buyer_phone = v_phone AND r.user_id IS NULL AND left(r.guest_pin_hash, 28) <> left(v_hash, 28)
     AND _secret_matches(pin, r.guest_pin_hash);
  RETURN QUERY
  SELECT b.* FROM _bookings b JOIN reservations r ON r.id = b.reservation_id
   WHERE r.buyer_phone = v_phone AND r.user_id IS NULL AND r.guest_pin_hash = v_hash
   ORDER BY r.id DESC;
  IF NOT FOUND THEN  -- the attempt stays counted, whatever the error undoes
    RAISE EXCEPTION 'no matching reservation' USING ERRCODE = 'TK012',
      DETAIL = 'No reservation matches this phone number and PIN.',
      HINT = 'Check the phone number and the 4-digit PIN you chose when booking; after 5 wrong PINs the phone is locked for 15 minutes.';
  END IF;
  PERFORM _guest_lookup_succeeded(v_phone);
END $$;
COMMENT ON FUNCTION boxoffice.guest_lookup IS 'a guest''s reservations, found by phone number and 4-digit PIN; 5 wrong PINs lock the phone for 15 minutes';

-- engine.sql -------------------------------------------------------------------
DROP FUNCTION boxoffice.hold(bigint, bigint[], bigint);
DROP FUNCTION boxoffice.try_hold(bigint, bigint[], bigint);
CREATE FUNCTION boxoffice.hold(performance_id bigint, seat_ids bigint[], user_id bigint DEFAULT NULL, guest_key text DEFAULT NULL)
RETURNS boxoffice.booking LANGUAGE c VOLATILE SECURITY DEFINER SET search_path = boxoffice, pg_temp SET enable_seqscan = off
AS 'MODULE_PATHNAME', 'boxoffice_hold_v2';
COMMENT ON FUNCTION boxoffice.hold IS 'holds all the given seats or none, for the performance''s hold lifetime, for a user or a guest client (guest_key); returns the booking with its secret hold token';

CREATE OR REPLACE FUNCTION boxoffice.confirm(reservation_id bigint, user_id bigint DEFAULT NULL, hold_token text DEFAULT NULL,
                                  buyer_name text DEFAULT NULL, buyer_phone text DEFAULT NULL, guest_pin text DEFAULT NULL)
RETURNS boxoffice.booking LANGUAGE c VOLATILE SECURITY DEFINER SET search_path = boxoffice, pg_temp SET enable_seqscan = off
AS 'MODULE_PATHNAME', 'boxoffice_confirm_v2';
COMMENT ON FUNCTION boxoffice.confirm IS 'turns a live hold of a performance on sale into a confirmed reservation with a reservation number; repeating it returns the same result';

CREATE OR REPLACE FUNCTION boxoffice.release(reservation_id bigint, user_id bigint DEFAULT NULL, hold_token text DEFAULT NULL)
RETURNS boxoffice.booking LANGUAGE c VOLATILE SECURITY DEFINER SET search_path = boxoffice, pg_temp SET enable_seqscan = off
AS 'MODULE_PATHNAME', 'boxoffice_release_v2';
COMMENT ON FUNCTION boxoffice.release IS 'gives a hold''s seats back at once';

CREATE OR REPLACE FUNCTION boxoffice.cancel(reservation_id bigint, user_id bigint DEFAULT NULL, hold_token text DEFAULT NULL)
RETURNS boxoffice.booking LANGUAGE c VOLATILE SECURITY DEFINER SET search_path = boxoffice, pg_temp SET enable_seqscan = off
AS 'MODULE_PATHNAME', 'boxoffice_cancel_v2';
COMMENT ON FUNCTION boxoffice.cancel IS 'cancels a hold or a confirmed reservation; its seats are available at once; repeating it returns the same result';

CREATE FUNCTION boxoffice.try_hold(performance_id bigint, seat_ids bigint[], user_id bigint DEFAULT NULL, guest_key text DEFAULT NULL)
RETURNS boxoffice.booking LANGUAGE c VOLATILE SECURITY DEFINER SET search_path = boxoffice, pg_temp SET enable_seqscan = off
AS 'MODULE_PATHNAME', 'boxoffice_try_hold_v2';
COMMENT ON FUNCTION boxoffice.try_hold IS 'hold() that answers a refusal (seats taken, customer limit, not on sale) with NULL and a NOTICE that says why, instead of an error: for callers that retry at high rates (no error, no subtransaction, nothing in the server log); bad input still raises';

-- claims.sql -------------------------------------------------------------------
CREATE FUNCTION boxoffice._claims_follow_reservation() RETURNS trigger
LANGUAGE c AS 'MODULE_PATHNAME', 'boxoffice_claims_follow_reservation';
COMMENT ON FUNCTION boxoffice._claims_follow_reservation IS 'rewrites the claims of a reservation written outside the engine; refuses a seat claimed by another reservation';

CREATE FUNCTION boxoffice._claims_are_derived() RETURNS trigger
LANGUAGE c AS 'MODULE_PATHNAME', 'boxoffice_claims_are_derived';
COMMENT ON FUNCTION boxoffice._claims_are_derived IS 'refuses writes to seat_claims that do not come from a reservation';

-- A new row claims its seats once it is there (AFTER: an INSERT ... ON CONFLICT
-- that skips it claims nothing); a changed or deleted one gives up its old
-- claims first (BEFORE: the seats it takes are checked in the same step).
CREATE TRIGGER claims_follow BEFORE DELETE OR UPDATE OF id, status, seat_ids, performance_id, expires_at
  ON boxoffice.reservations FOR EACH ROW EXECUTE FUNCTION boxoffice._claims_follow_reservation();
CREATE TRIGGER claims_follow_insert AFTER INSERT
  ON boxoffice.reservations FOR EACH ROW EXECUTE FUNCTION boxoffice._claims_follow_reservation();
CREATE TRIGGER claims_follow_truncate AFTER TRUNCATE
  ON boxoffice.reservations FOR EACH STATEMENT EXECUTE FUNCTION boxoffice._claims_follow_reservation();
CREATE TRIGGER derived_only BEFORE INSERT OR UPDATE OR DELETE
  ON boxoffice.seat_claims FOR EACH ROW EXECUTE FUNCTION boxoffice._claims_are_derived();
CREATE TRIGGER derived_only_truncate BEFORE TRUNCATE
  ON boxoffice.seat_claims FOR EACH STATEMENT EXECUTE FUNCTION boxoffice._claims_are_derived();
-- ALWAYS: they fire even with session_replication_role = replica.
ALTER TABLE boxoffice.reservations ENABLE ALWAYS TRIGGER claims_follow, ENABLE ALWAYS TRIGGER claims_follow_insert,
  ENABLE ALWAYS TRIGGER claims_follow_truncate;
ALTER TABLE boxoffice.seat_claims ENABLE ALWAYS TRIGGER derived_only, ENABLE ALWAYS TRIGGER derived_only_truncate;

-- operations.sql ---------------------------------------------------------------
-- DROP EXTENSION boxoffice (or DROP SCHEMA boxoffice CASCADE) takes the jobs
-- with it: this event trigger unschedules them just before the drop, in the
-- same transaction (extension/src/cron_jobs.cpp).
CREATE FUNCTION boxoffice._unschedule_before_drop() RETURNS event_trigger
LANGUAGE c AS 'MODULE_PATHNAME', 'boxoffice_unschedule_before_drop';
CREATE EVENT TRIGGER boxoffice_unschedule_before_drop ON ddl_command_start
  WHEN TAG IN ('DROP EXTENSION', 'DROP SCHEMA') EXECUTE FUNCTION boxoffice._unschedule_before_drop();

-- backup.sql -------------------------------------------------------------------
DO $register$
DECLARE
  t text;
BEGIN
  -- one call per statement: each call rewrites the extension's catalog row
  FOREACH t IN ARRAY ARRAY['venues', 'concerts', 'price_tiers', 'performances', 'seats', 'users', 'reservations'] LOOP
    PERFORM pg_catalog.pg_extension_config_dump(format('boxoffice.%I', t)::regclass, '');
    PERFORM pg_catalog.pg_extension_config_dump(pg_catalog.pg_get_serial_sequence(format('boxoffice.%I', t), 'id')::regclass, '');
  END LOOP;
  PERFORM pg_catalog.pg_extension_config_dump('boxoffice.secrets', '');
END $register$;

-- security.sql -----------------------------------------------------------------
DO $roles$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'boxoffice_owner') THEN
    CREATE ROLE boxoffice_owner NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT NOREPLICATION NOBYPASSRLS;
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'boxoffice_app') THEN
    CREATE ROLE boxoffice_app NOLOGIN;
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'boxoffice_admin') THEN
    CREATE ROLE boxoffice_admin NOLOGIN;
  END IF;
END $roles$;

-- objects new in this version
REVOKE ALL ON ALL TABLES IN SCHEMA boxoffice FROM PUBLIC;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA boxoffice FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA boxoffice FROM PUBLIC;
GRANT USAGE ON SCHEMA boxoffice TO boxoffice_owner;
GRANT EXECUTE ON FUNCTION boxoffice.hold(bigint, bigint[], bigint, text), boxoffice.try_hold(bigint, bigint[], bigint, text)
TO boxoffice_app;

-- Hands every object of the extension to boxoffice_owner. Every script, the
-- install script and each upgrade, ends by calling it, so that objects made
-- by a superuser's script never keep the superuser as their owner. (The event
-- trigger stays the superuser's: PostgreSQL requires it. Identity sequences
-- follow their tables.)
CREATE FUNCTION boxoffice._give_objects_to_owner() RETURNS void
LANGUAGE plpgsql SET search_path = boxoffice, pg_temp AS $$
DECLARE
  o record;
  v_pgcrypto regnamespace := (SELECT extnamespace FROM pg_extension WHERE extname = 'pgcrypto');
BEGIN
  FOR o IN
    SELECT d.classid::regclass AS catalog, d.objid, c.relkind, t.typtype, t.typrelid
      FROM pg_depend d
      LEFT JOIN pg_class c ON d.classid = 'pg_class'::regclass AND c.oid = d.objid
      LEFT JOIN pg_type t ON d.classid = 'pg_type'::regclass AND t.oid = d.objid
     WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
       AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'boxoffice')
  LOOP
    IF o.catalog = 'pg_proc'::regclass THEN
      EXECUTE format('ALTER ROUTINE %s OWNER TO boxoffice_owner', o.objid::regprocedure);
    ELSIF o.catalog = 'pg_class'::regclass AND o.relkind IN ('r', 'v') THEN
      EXECUTE format('ALTER TABLE %s OWNER TO boxoffice_owner', o.objid::regclass);
    ELSIF o.catalog = 'pg_type'::regclass AND o.typrelid = 0 THEN  -- enums; composite types of their own
      EXECUTE format('ALTER TYPE %s OWNER TO boxoffice_owner', o.objid::regtype);
    ELSIF o.catalog = 'pg_type'::regclass AND (SELECT relkind FROM pg_class WHERE oid = o.typrelid) = 'c' THEN
      EXECUTE format('ALTER TYPE %s OWNER TO boxoffice_owner', o.objid::regtype);
    END IF;
  END LOOP;
  -- the owner calls pgcrypto (accounts.sql); in PostgreSQL 15 PUBLIC may use
  -- the public schema, but pgcrypto may live elsewhere
  IF NOT has_schema_privilege('boxoffice_owner', v_pgcrypto, 'USAGE') THEN
    EXECUTE format('GRANT USAGE ON SCHEMA %s TO boxoffice_owner', v_pgcrypto);
  END IF;
END $$;
REVOKE ALL ON FUNCTION boxoffice._give_objects_to_owner() FROM PUBLIC;

SELECT boxoffice._give_objects_to_owner();
