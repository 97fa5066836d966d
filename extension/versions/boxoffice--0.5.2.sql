\echo Use "CREATE EXTENSION boxoffice" to load this file. \quit

-- ============================================================================
-- schema.sql: tables, types, constraints and indexes.
--
-- The two rules that matter most live here. A seat has at most one claim
-- (seat_claims' primary key), and the claims follow the reservations (claims.sql):
-- a live reservation claims every seat it lists, whoever writes it. So no code
-- path, buggy or not, and no manual UPDATE can sell a seat twice. And how long
-- a reservation holds its seats is one derived column, reservations.live_until
-- (_live_until below): every reader and writer asks `live_until > t`, so a
-- hold whose time is up counts as free everywhere at once, and the sweeper
-- only tidies up. Readers judge at the start of their statement
-- (statement_timestamp), so one read is consistent with itself; writers judge
-- at clock_timestamp, under their locks.
--
-- No string literal here or in any other part contains a backslash: a script
-- is parsed under the installing session's standard_conforming_strings.
-- ============================================================================

CREATE TYPE boxoffice.concert_status AS ENUM ('draft', 'published', 'archived');
CREATE TYPE boxoffice.performance_status AS ENUM ('scheduled', 'cancelled');
CREATE TYPE boxoffice.reservation_status AS ENUM ('hold', 'confirmed', 'cancelled', 'released', 'expired');

-- The rule of liveness, the one place that says it: until when a reservation
-- in this state holds its seats. A hold until its expiry, a sale for ever, an
-- ended reservation not at all (NULL). A new kind of hold changes this alone.
CREATE FUNCTION boxoffice._live_until(status boxoffice.reservation_status, expires_at timestamptz)
RETURNS timestamptz LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE status WHEN 'confirmed' THEN 'infinity'::timestamptz WHEN 'hold' THEN expires_at END;

-- Keeps updated_at honest on the catalog tables.
CREATE FUNCTION boxoffice._touch_updated_at() RETURNS trigger
LANGUAGE plpgsql SET search_path = boxoffice, pg_temp AS $$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END $$;

CREATE TABLE boxoffice.venues (
  id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name             text NOT NULL CHECK (btrim(name) <> ''),
  address          text NOT NULL DEFAULT '',
  sections         text[] NOT NULL CHECK (cardinality(sections) BETWEEN 1 AND 100),
  rows_per_section int NOT NULL CHECK (rows_per_section BETWEEN 1 AND 200),
  seats_per_row    int NOT NULL CHECK (seats_per_row BETWEEN 1 AND 500),
  capacity         int GENERATED ALWAYS AS (cardinality(sections) * rows_per_section * seats_per_row) STORED,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  deleted_at       timestamptz
);

CREATE TABLE boxoffice.concerts (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  title        text NOT NULL CHECK (btrim(title) <> ''),
  artist       text NOT NULL CHECK (btrim(artist) <> ''),
  description  text NOT NULL DEFAULT '',
  poster_url   text,
  status       boxoffice.concert_status NOT NULL DEFAULT 'draft',
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now(),
  published_at timestamptz,
  deleted_at   timestamptz,
  CHECK (status = 'draft' OR published_at IS NOT NULL)
);
-- Buyers only ever list published, live concerts.
CREATE INDEX concerts_published ON boxoffice.concerts (id) WHERE status = 'published' AND deleted_at IS NULL;

-- A price tier is a label and a price, assigned to the seats whose number in
-- their row lies in [first_seat, last_seat], in the given sections (NULL: all).
CREATE TABLE boxoffice.price_tiers (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  concert_id bigint NOT NULL REFERENCES boxoffice.concerts,
  label      text NOT NULL CHECK (btrim(label) <> ''),
  price      bigint NOT NULL CHECK (price >= 0),
  first_seat int NOT NULL CHECK (first_seat >= 1),
  last_seat  int NOT NULL,
  sections   text[],
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (concert_id, label),
  CHECK (last_seat >= first_seat)
);

CREATE TABLE boxoffice.performances (
  id                     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  concert_id             bigint NOT NULL REFERENCES boxoffice.concerts,
  venue_id               bigint NOT NULL REFERENCES boxoffice.venues,
  starts_at              timestamptz NOT NULL,
  ends_at                timestamptz NOT NULL,
  sales_opens_at         timestamptz NOT NULL,
  sales_closes_at        timestamptz NOT NULL,
  status                 boxoffice.performance_status NOT NULL DEFAULT 'scheduled',
  hold_lifetime          interval NOT NULL DEFAULT '5 minutes'
                           CHECK (hold_lifetime BETWEEN interval '1 second' AND interval '1 hour'),
  max_seats_per_hold     int NOT NULL DEFAULT 4 CHECK (max_seats_per_hold BETWEEN 1 AND 100),
  max_seats_per_customer int NOT NULL DEFAULT 4 CHECK (max_seats_per_customer BETWEEN 1 AND 1000),
  created_at             timestamptz NOT NULL DEFAULT now(),
  updated_at             timestamptz NOT NULL DEFAULT now(),
  deleted_at             timestamptz,
  CHECK (ends_at > starts_at),
  CHECK (sales_closes_at > sales_opens_at),
  CHECK (sales_closes_at <= ends_at)
);
CREATE INDEX performances_concert ON boxoffice.performances (concert_id, starts_at) WHERE deleted_at IS NULL;

-- The inventory: one row per seat of a performance, materialised from the
-- venue layout and the tier rules when the performance is created. The price
-- is fixed at that moment. Nothing about a seat's state is stored here.
CREATE TABLE boxoffice.seats (
  id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  performance_id bigint NOT NULL REFERENCES boxoffice.performances,
  section        text NOT NULL,
  row_number     int NOT NULL CHECK (row_number >= 1),
  seat_number    int NOT NULL CHECK (seat_number >= 1),
  tier_id        bigint NOT NULL REFERENCES boxoffice.price_tiers,
  price          bigint NOT NULL CHECK (price >= 0),
  UNIQUE (performance_id, section, row_number, seat_number)
);

CREATE TABLE boxoffice.users (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  email         text NOT NULL CHECK (email ~ '^[^@[:space:]]+@[^@[:space:]]+[.][^@[:space:]]+$'),
  name          text NOT NULL CHECK (btrim(name) <> ''),
  password_hash text NOT NULL,
  is_admin      boolean NOT NULL DEFAULT false,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  deleted_at    timestamptz
);
CREATE UNIQUE INDEX users_email ON boxoffice.users (lower(email)) WHERE deleted_at IS NULL;

-- A reservation starts as a hold and ends confirmed, cancelled, released or
-- expired. Its seats are fixed when it is created (seat_ids). A hold belongs to
-- its user, if any, and to whoever presents the hold token (kept as a hash).
-- A guest's hold also carries a hash of the guest key that identifies the
-- client (its address over HTTP), so one client cannot hold a whole house.
-- No foreign key on performance_id: its check would lock the performance row
-- (FOR KEY SHARE) on every hold, one row every buyer of the on-sale would
-- write. Performances are never deleted; check_invariants() reports strays.
CREATE TABLE boxoffice.reservations (
  id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  performance_id     bigint NOT NULL,
  user_id            bigint REFERENCES boxoffice.users,
  status             boxoffice.reservation_status NOT NULL DEFAULT 'hold',
  seat_ids           bigint[] NOT NULL CHECK (cardinality(seat_ids) >= 1),
  total_amount       bigint NOT NULL CHECK (total_amount >= 0),
  hold_token_hash    bytea NOT NULL,
  expires_at         timestamptz NOT NULL,
  reservation_number text,
  buyer_name         text,
  buyer_phone        text,
  guest_pin_hash     text,
  created_at         timestamptz NOT NULL DEFAULT now(),
  confirmed_at       timestamptz,
  ended_at           timestamptz,
  guest_key_hash     bytea,
  -- until when this reservation holds its seats: the rule above, derived
  live_until         timestamptz GENERATED ALWAYS AS (boxoffice._live_until(status, expires_at)) STORED,
  CONSTRAINT expires_after_creation CHECK (expires_at > created_at),
  -- a sale is decided with one clock reading, before the hold runs out
  CONSTRAINT confirmed_before_expiry CHECK (confirmed_at <= expires_at),
  CONSTRAINT confirmed_has_number_and_buyer
    CHECK ((status = 'confirmed') <= (reservation_number IS NOT NULL AND confirmed_at IS NOT NULL AND buyer_name IS NOT NULL)),
  CONSTRAINT ended_has_ended_at CHECK ((status IN ('cancelled', 'released', 'expired')) = (ended_at IS NOT NULL)),
  -- a guest's confirmed reservation can always be found again by phone + PIN
  CONSTRAINT guest_can_look_up
    CHECK (user_id IS NOT NULL OR confirmed_at IS NULL OR (buyer_phone IS NOT NULL AND guest_pin_hash IS NOT NULL))
);
-- Only confirmed reservations have a number, so holds add nothing to this index.
CREATE UNIQUE INDEX reservations_number ON boxoffice.reservations (reservation_number) WHERE reservation_number IS NOT NULL;
-- The sweeper walks live reservations in the order their claims end (the
-- sales, at infinity, it never reaches).
CREATE INDEX reservations_live ON boxoffice.reservations (live_until) WHERE live_until IS NOT NULL;
-- The per-customer limit counts a user's live reservations for one performance.
CREATE INDEX reservations_live_by_user ON boxoffice.reservations (performance_id, user_id)
  WHERE live_until IS NOT NULL AND user_id IS NOT NULL;
-- ... and a guest client's live holds.
CREATE INDEX reservations_live_by_guest ON boxoffice.reservations (performance_id, guest_key_hash)
  WHERE status = 'hold' AND guest_key_hash IS NOT NULL;
CREATE INDEX reservations_by_user ON boxoffice.reservations (user_id, id) WHERE user_id IS NOT NULL;
CREATE INDEX reservations_by_phone ON boxoffice.reservations (buyer_phone) WHERE buyer_phone IS NOT NULL;

-- One row per seat that is claimed by a live (or not yet swept) reservation:
-- how long it holds the seat is its reservation's live_until, read through
-- the join. The primary key is the double-booking guard. Claims are derived from the
-- reservations (claims.sql): the engine writes both in one statement, and any
-- other write to a reservation brings its claims along; nobody writes claims
-- by hand, and pg_dump keeps only the reservations. The claims carry no
-- foreign keys on purpose: checking one locks the referenced seat and
-- reservation rows (FOR KEY SHARE, a tuple write) on every hold, the very row
-- locks this design avoids. check_invariants() reports a claim whose seat or
-- reservation is missing or belongs to another performance.
CREATE TABLE boxoffice.seat_claims (
  seat_id        bigint PRIMARY KEY,
  performance_id bigint NOT NULL,
  reservation_id bigint NOT NULL
);
CREATE INDEX seat_claims_reservation ON boxoffice.seat_claims (reservation_id);

-- Keys boxoffice keeps for itself, each made on its first use ('guest_pin'
-- salts the hashes of guests' PINs, accounts.sql). pg_dump keeps them, so a
-- restored database still recognises every PIN.
CREATE TABLE boxoffice.secrets (
  name       text PRIMARY KEY,
  value      bytea NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TRIGGER touch BEFORE UPDATE ON boxoffice.venues FOR EACH ROW EXECUTE FUNCTION boxoffice._touch_updated_at();
CREATE TRIGGER touch BEFORE UPDATE ON boxoffice.concerts FOR EACH ROW EXECUTE FUNCTION boxoffice._touch_updated_at();
CREATE TRIGGER touch BEFORE UPDATE ON boxoffice.performances FOR EACH ROW EXECUTE FUNCTION boxoffice._touch_updated_at();
CREATE TRIGGER touch BEFORE UPDATE ON boxoffice.users FOR EACH ROW EXECUTE FUNCTION boxoffice._touch_updated_at();

-- What a buyer gets back for a reservation: from hold, confirm, release,
-- cancel and every read. hold_token is only ever filled in by hold().
CREATE TYPE boxoffice.booking AS (
  reservation_id     bigint,
  reservation_number text,
  status             text,
  performance_id     bigint,
  concert_title      text,
  venue_name         text,
  starts_at          timestamptz,
  seats              jsonb,
  total_amount       bigint,
  expires_at         timestamptz,
  hold_token         text,
  buyer_name         text,
  created_at         timestamptz,
  confirmed_at       timestamptz,
  ended_at           timestamptz
);

-- Every reservation as a booking. One whose claim has run out reads as
-- expired; a reservation that was sold has no expiry (the hold's is kept in
-- the table).
CREATE VIEW boxoffice._bookings AS
SELECT r.id AS reservation_id,
       r.reservation_number,
       CASE WHEN r.live_until <= statement_timestamp() THEN 'expired' ELSE r.status::text END AS status,
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
       CASE WHEN r.live_until <= statement_timestamp() THEN r.live_until ELSE r.ended_at END AS ended_at
  FROM boxoffice.reservations r
  JOIN boxoffice.performances p ON p.id = r.performance_id
  JOIN boxoffice.concerts c ON c.id = p.concert_id
  JOIN boxoffice.venues v ON v.id = p.venue_id;

-- The seats whose lock another transaction holds right now (locks.cpp).
CREATE FUNCTION boxoffice._seats_being_taken() RETURNS bigint[]
LANGUAGE c STABLE AS 'MODULE_PATHNAME', 'boxoffice_seats_being_taken';

-- Every seat with its state at this instant. A seat that another transaction
-- is taking right now (its seat lock is held, its claim not yet committed) is
-- held: a hold of it would be refused, so the map says so too.
CREATE VIEW boxoffice._seat_states AS
SELECT s.id AS seat_id, s.performance_id, s.section, s.row_number, s.seat_number, s.tier_id, s.price,
       CASE WHEN r.live_until > statement_timestamp() THEN CASE r.status WHEN 'confirmed' THEN 'sold' ELSE 'held' END
            -- an uncorrelated subquery: read once per statement, not per seat
            WHEN s.id = ANY ((SELECT boxoffice._seats_being_taken())::bigint[]) THEN 'held'
            ELSE 'available' END AS status
  FROM boxoffice.seats s
  LEFT JOIN boxoffice.seat_claims cl ON cl.seat_id = s.id
  LEFT JOIN boxoffice.reservations r ON r.id = cl.reservation_id;

-- Performances a buyer may see: live, of a published, live concert.
CREATE VIEW boxoffice._visible_performances AS
SELECT p.*,
       p.status = 'scheduled' AND statement_timestamp() >= p.sales_opens_at AND statement_timestamp() < p.sales_closes_at AS on_sale,
       c.title AS concert_title
  FROM boxoffice.performances p
  JOIN boxoffice.concerts c ON c.id = p.concert_id
 WHERE p.deleted_at IS NULL AND c.deleted_at IS NULL AND c.status = 'published';

-- ============================================================================
-- errors.sql: the catalogue of boxoffice's own SQLSTATEs (class TK, "ticket"),
-- each with the HTTP status the shim answers it with. This list is the one
-- source: PL/pgSQL raises by name (_sqlstate below), and the C++ constants
-- (extension/src/errors.hpp), the shim's status table and the README's tables
-- are generated from it at build time (scripts/error-codes.pl), so keep one
-- row per line. Applications branch on the code; people read the message,
-- detail and hint.
-- ============================================================================

CREATE VIEW boxoffice.error_codes (sqlstate, name, http_status, meaning) AS VALUES
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

-- The SQLSTATE of an error name, for PL/pgSQL's RAISE ... USING ERRCODE:
-- functions name their errors, and only the catalogue above knows the codes.
CREATE FUNCTION boxoffice._sqlstate(error_name text) RETURNS text
LANGUAGE plpgsql STABLE SET search_path = boxoffice, pg_temp AS $$
DECLARE
  code text := (SELECT e.sqlstate FROM error_codes e WHERE e.name = error_name);
BEGIN
  IF code IS NULL THEN
    RAISE EXCEPTION 'boxoffice has no error named %', error_name USING ERRCODE = 'XX000';
  END IF;
  RETURN code;
END $$;

-- ============================================================================
-- input.sql: checks of what people type in, implemented once in C++
-- (extension/src/buyer_input.cpp) and shared by the C++ engine and the SQL
-- functions: phone numbers, PINs, and names that are really there.
-- ============================================================================

CREATE FUNCTION boxoffice._normalize_phone(phone text) RETURNS text
LANGUAGE c IMMUTABLE AS 'MODULE_PATHNAME', 'boxoffice_normalize_phone';
CREATE FUNCTION boxoffice._check_pin(pin text) RETURNS void
LANGUAGE c IMMUTABLE AS 'MODULE_PATHNAME', 'boxoffice_check_pin';
-- NULL, empty, or only spaces of any kind (newlines, no-break and ideographic
-- spaces, zero-width characters): a name nobody could read.
CREATE FUNCTION boxoffice._is_blank(name text) RETURNS boolean
LANGUAGE c IMMUTABLE AS 'MODULE_PATHNAME', 'boxoffice_is_blank';

-- ============================================================================
-- identity.sql: who the customer is (README: Security, "Identity"). The SQL
-- API trusts the application to name its customer (user_id arguments). Over
-- HTTP the shim sets request.jwt.claims, for the request's transaction, to
-- the claims of the token it verified, and passes no user id at all: then
-- the claims decide, and an argument that names another user is refused
-- (insufficient_privilege). Every function that acts for a customer asks
-- here (C++: extension/src/identity.cpp).
-- ============================================================================

CREATE FUNCTION boxoffice._acting_user(user_id bigint) RETURNS bigint
LANGUAGE c STABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'boxoffice_acting_user';
COMMENT ON FUNCTION boxoffice._acting_user IS 'the user a call acts for: the verified claims'' sub when request.jwt.claims is set, else the user_id argument';

-- ============================================================================
-- catalog.sql: what admins manage. Venues, concerts, price tiers and
-- performances; creating a performance materialises its seats.
-- Every function checks its input and raises a TK error before changing
-- anything, so a failed call leaves no trace.
-- ============================================================================

CREATE FUNCTION boxoffice.create_venue(name text, address text, sections text[], rows_per_section int, seats_per_row int)
RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER SET search_path = boxoffice, pg_temp AS $$
DECLARE
  v_id bigint;
BEGIN
  IF _is_blank(name) THEN
    RAISE EXCEPTION 'venue name is required' USING ERRCODE = _sqlstate('invalid_argument'), DETAIL = 'name is empty.';
  END IF;
  IF length(name) > 200 OR length(address) > 500 THEN
    RAISE EXCEPTION 'venue name or address too long' USING ERRCODE = _sqlstate('invalid_argument'), DETAIL = 'name has at most 200 characters, address 500.';
  END IF;
  IF sections IS NULL OR cardinality(sections) NOT BETWEEN 1 AND 100
     OR EXISTS (SELECT FROM unnest(sections) s WHERE _is_blank(s))
     OR (SELECT count(DISTINCT s) FROM unnest(sections) s) <> cardinality(sections) THEN
    RAISE EXCEPTION 'invalid section list'
      USING ERRCODE = _sqlstate('invalid_argument'), DETAIL = format('sections must be 1 to 100 distinct, non-empty names; got %s.', coalesce(sections::text, 'null')),
            HINT = 'For example the four sections A, B, C and D.';
  END IF;
  IF rows_per_section IS NULL OR rows_per_section NOT BETWEEN 1 AND 200 THEN
    RAISE EXCEPTION 'invalid rows per section' USING ERRCODE = _sqlstate('invalid_argument'), DETAIL = format('rows_per_section must be between 1 and 200; got %s.', coalesce(rows_per_section::text, 'null'));
  END IF;
  IF seats_per_row IS NULL OR seats_per_row NOT BETWEEN 1 AND 500 THEN
    RAISE EXCEPTION 'invalid seats per row' USING ERRCODE = _sqlstate('invalid_argument'), DETAIL = format('seats_per_row must be between 1 and 500; got %s.', coalesce(seats_per_row::text, 'null'));
  END IF;
  INSERT INTO venues (name, address, sections, rows_per_section, seats_per_row)
  VALUES (btrim(create_venue.name), coalesce(address, ''), create_venue.sections, create_venue.rows_per_section, create_venue.seats_per_row)
  RETURNING id INTO v_id;
  RETURN v_id;
END $$;
COMMENT ON FUNCTION boxoffice.create_venue IS 'creates a venue from a compact layout: section names x rows per section x seats per row';

CREATE FUNCTION boxoffice._live_venue(venue_id bigint) RETURNS boxoffice.venues
LANGUAGE plpgsql SET search_path = boxoffice, pg_temp AS $$
DECLARE
  v venues;
BEGIN
  SELECT * INTO v FROM venues WHERE id = venue_id AND deleted_at IS NULL FOR NO KEY UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'venue not found' USING ERRCODE = _sqlstate('venue_not_found'), DETAIL = format('There is no venue with id %s.', coalesce(venue_id::text, 'null'));
  END IF;
  RETURN v;
END $$;

CREATE FUNCTION boxoffice.delete_venue(venue_id bigint) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = boxoffice, pg_temp AS $$
BEGIN
  PERFORM _live_venue(venue_id);
  IF EXISTS (SELECT FROM performances p WHERE p.venue_id = delete_venue.venue_id AND p.deleted_at IS NULL) THEN
    RAISE EXCEPTION 'venue is in use' USING ERRCODE = _sqlstate('invalid_state'),
      DETAIL = 'Performances at this venue have not been deleted.', HINT = 'Delete its performances first.';
  END IF;
  UPDATE venues SET deleted_at = now() WHERE id = venue_id;
END $$;
COMMENT ON FUNCTION boxoffice.delete_venue IS 'soft-deletes a venue that no live performance uses';

CREATE FUNCTION boxoffice.create_concert(title text, artist text, description text DEFAULT '', poster_url text DEFAULT NULL)
RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER SET search_path = boxoffice, pg_temp AS $$
DECLARE
  v_id bigint;
BEGIN
  IF _is_blank(title) OR _is_blank(artist) THEN
    RAISE EXCEPTION 'concert title and artist are required' USING ERRCODE = _sqlstate('invalid_argument'), DETAIL = 'title or artist is empty.';
  END IF;
  IF length(title) > 200 OR length(artist) > 200 OR length(description) > 10000 OR length(poster_url) > 2000 THEN
    RAISE EXCEPTION 'concert text too long' USING ERRCODE = _sqlstate('invalid_argument'),
      DETAIL = 'title and artist have at most 200 characters, description 10000, poster_url 2000.';
  END IF;
  IF poster_url IS NOT NULL AND poster_url !~ '^https?://' THEN
    RAISE EXCEPTION 'invalid poster url' USING ERRCODE = _sqlstate('invalid_argument'), DETAIL = 'poster_url must start with http:// or https://.';
  END IF;
  INSERT INTO concerts (title, artist, description, poster_url)
  VALUES (btrim(create_concert.title), btrim(create_concert.artist), coalesce(create_concert.description, ''), create_concert.poster_url)
  RETURNING id INTO v_id;
  RETURN v_id;
END $$;
COMMENT ON FUNCTION boxoffice.create_concert IS 'creates a concert in draft; buyers see it only once published';

CREATE FUNCTION boxoffice._live_concert(concert_id bigint) RETURNS boxoffice.concerts
LANGUAGE plpgsql SET search_path = boxoffice, pg_temp AS $$
DECLARE
  c concerts;
BEGIN
  SELECT * INTO c FROM concerts WHERE id = concert_id AND deleted_at IS NULL FOR NO KEY UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'concert not found' USING ERRCODE = _sqlstate('concert_not_found'), DETAIL = format('There is no concert with id %s.', coalesce(concert_id::text, 'null'));
  END IF;
  RETURN c;
END $$;

CREATE FUNCTION boxoffice.publish_concert(concert_id bigint) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = boxoffice, pg_temp AS $$
DECLARE
  c concerts := _live_concert(concert_id);
BEGIN
  IF c.status = 'published' THEN
    RETURN;
  ELSIF c.status <> 'draft' THEN
    RAISE EXCEPTION 'concert cannot be published' USING ERRCODE = _sqlstate('invalid_state'),
      DETAIL = format('The concert is %s; only a draft can be published.', c.status);
  END IF;
  UPDATE concerts SET status = 'published', published_at = now() WHERE id = concert_id;
END $$;
COMMENT ON FUNCTION boxoffice.publish_concert IS 'draft -> published: buyers can now see the concert';

CREATE FUNCTION boxoffice.archive_concert(concert_id bigint) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = boxoffice, pg_temp AS $$
DECLARE
  c concerts := _live_concert(concert_id);
BEGIN
  IF c.status = 'archived' THEN
    RETURN;
  ELSIF c.status <> 'published' THEN
    RAISE EXCEPTION 'concert cannot be archived' USING ERRCODE = _sqlstate('invalid_state'),
      DETAIL = format('The concert is %s; only a published concert can be archived.', c.status);
  END IF;
  UPDATE concerts SET status = 'archived' WHERE id = concert_id;
END $$;
COMMENT ON FUNCTION boxoffice.archive_concert IS 'published -> archived: gone from buyers'' lists, bookings stay readable';

CREATE FUNCTION boxoffice.delete_concert(concert_id bigint) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = boxoffice, pg_temp AS $$
BEGIN
  PERFORM _live_concert(concert_id);
  UPDATE performances SET deleted_at = now() WHERE performances.concert_id = delete_concert.concert_id AND deleted_at IS NULL;
  UPDATE concerts SET deleted_at = now() WHERE id = concert_id;
END $$;
COMMENT ON FUNCTION boxoffice.delete_concert IS 'soft-deletes a concert and its performances; reservations stay in history';

CREATE FUNCTION boxoffice.add_price_tier(concert_id bigint, label text, price bigint, first_seat int, last_seat int, sections text[] DEFAULT NULL)
RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER SET search_path = boxoffice, pg_temp AS $$
DECLARE
  v_id bigint;
  v_clash text;
BEGIN
  PERFORM _live_concert(concert_id);
  IF _is_blank(label) OR length(label) > 50 THEN
    RAISE EXCEPTION 'invalid tier label' USING ERRCODE = _sqlstate('invalid_argument'), DETAIL = 'A label has 1 to 50 characters.';
  END IF;
  IF price IS NULL OR price < 0 THEN
    RAISE EXCEPTION 'invalid price' USING ERRCODE = _sqlstate('invalid_argument'), DETAIL = format('price must be zero or more; got %s.', coalesce(price::text, 'null'));
  END IF;
  IF first_seat IS NULL OR last_seat IS NULL OR first_seat < 1 OR last_seat < first_seat THEN
    RAISE EXCEPTION 'invalid seat range' USING ERRCODE = _sqlstate('invalid_argument'),
      DETAIL = format('Need 1 <= first_seat <= last_seat; got %s..%s.', coalesce(first_seat::text, 'null'), coalesce(last_seat::text, 'null'));
  END IF;
  IF EXISTS (SELECT FROM price_tiers t WHERE t.concert_id = add_price_tier.concert_id AND t.label = btrim(add_price_tier.label)) THEN
    RAISE EXCEPTION 'tier label already used' USING ERRCODE = _sqlstate('invalid_argument'), DETAIL = format('The concert already has a tier %L.', btrim(label));
  END IF;
  SELECT t.label INTO v_clash FROM price_tiers t
   WHERE t.concert_id = add_price_tier.concert_id
     AND int4range(t.first_seat, t.last_seat, '[]') && int4range(add_price_tier.first_seat, add_price_tier.last_seat, '[]')
     AND (t.sections IS NULL OR add_price_tier.sections IS NULL OR t.sections && add_price_tier.sections)
   LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'tier overlaps another tier' USING ERRCODE = _sqlstate('invalid_argument'),
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

CREATE FUNCTION boxoffice.create_performance(
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
    RAISE EXCEPTION 'invalid performance time' USING ERRCODE = _sqlstate('invalid_argument'), DETAIL = 'starts_at is required and ends_at must be after it.';
  END IF;
  IF v_closes <= v_opens OR v_closes > v_ends THEN
    RAISE EXCEPTION 'invalid sales window' USING ERRCODE = _sqlstate('invalid_argument'),
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
    RAISE EXCEPTION 'seats without a price tier' USING ERRCODE = _sqlstate('invalid_argument'),
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

CREATE FUNCTION boxoffice._check_rules(hold_lifetime interval, max_seats_per_hold int, max_seats_per_customer int) RETURNS void
LANGUAGE plpgsql SET search_path = boxoffice, pg_temp AS $$
BEGIN
  IF hold_lifetime IS NOT NULL AND hold_lifetime NOT BETWEEN interval '1 second' AND interval '1 hour' THEN
    RAISE EXCEPTION 'invalid hold lifetime' USING ERRCODE = _sqlstate('invalid_argument'), DETAIL = format('hold_lifetime must be between 1 second and 1 hour; got %s.', hold_lifetime);
  END IF;
  IF max_seats_per_hold IS NOT NULL AND max_seats_per_hold NOT BETWEEN 1 AND 100 THEN
    RAISE EXCEPTION 'invalid seats per hold' USING ERRCODE = _sqlstate('invalid_argument'), DETAIL = format('max_seats_per_hold must be between 1 and 100; got %s.', max_seats_per_hold);
  END IF;
  IF max_seats_per_customer IS NOT NULL AND max_seats_per_customer NOT BETWEEN 1 AND 1000 THEN
    RAISE EXCEPTION 'invalid seats per customer' USING ERRCODE = _sqlstate('invalid_argument'), DETAIL = format('max_seats_per_customer must be between 1 and 1000; got %s.', max_seats_per_customer);
  END IF;
END $$;

CREATE FUNCTION boxoffice._live_performance(performance_id bigint) RETURNS boxoffice.performances
LANGUAGE plpgsql SET search_path = boxoffice, pg_temp AS $$
DECLARE
  p performances;
BEGIN
  SELECT * INTO p FROM performances WHERE id = performance_id AND deleted_at IS NULL FOR NO KEY UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'performance not found' USING ERRCODE = _sqlstate('performance_not_found'), DETAIL = format('There is no performance with id %s.', coalesce(performance_id::text, 'null'));
  END IF;
  RETURN p;
END $$;

CREATE FUNCTION boxoffice.set_performance_rules(performance_id bigint, hold_lifetime interval DEFAULT NULL,
                                                max_seats_per_hold int DEFAULT NULL, max_seats_per_customer int DEFAULT NULL)
RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = boxoffice, pg_temp AS $$
BEGIN
  PERFORM _live_performance(performance_id);
  PERFORM _check_rules(hold_lifetime, max_seats_per_hold, max_seats_per_customer);
  UPDATE performances p
     SET hold_lifetime = coalesce(set_performance_rules.hold_lifetime, p.hold_lifetime),
         max_seats_per_hold = coalesce(set_performance_rules.max_seats_per_hold, p.max_seats_per_hold),
         max_seats_per_customer = coalesce(set_performance_rules.max_seats_per_customer, p.max_seats_per_customer)
   WHERE p.id = performance_id;
END $$;
COMMENT ON FUNCTION boxoffice.set_performance_rules IS 'changes hold lifetime and seat limits of a performance; NULL keeps a rule; existing holds keep their expiry';

CREATE FUNCTION boxoffice.set_sales_window(performance_id bigint, sales_opens_at timestamptz, sales_closes_at timestamptz)
RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = boxoffice, pg_temp AS $$
DECLARE
  p performances := _live_performance(performance_id);
BEGIN
  IF sales_opens_at IS NULL OR sales_closes_at IS NULL OR sales_closes_at <= sales_opens_at OR sales_closes_at > p.ends_at THEN
    RAISE EXCEPTION 'invalid sales window' USING ERRCODE = _sqlstate('invalid_argument'),
      DETAIL = 'sales_opens_at must be before sales_closes_at, which must not be after the end of the performance.';
  END IF;
  UPDATE performances SET sales_opens_at = set_sales_window.sales_opens_at, sales_closes_at = set_sales_window.sales_closes_at
   WHERE id = performance_id;
END $$;
COMMENT ON FUNCTION boxoffice.set_sales_window IS 'moves the sales window of a performance';

CREATE FUNCTION boxoffice.cancel_performance(performance_id bigint) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = boxoffice, pg_temp AS $$
BEGIN
  PERFORM _live_performance(performance_id);
  UPDATE performances SET status = 'cancelled' WHERE id = performance_id;
END $$;
COMMENT ON FUNCTION boxoffice.cancel_performance IS 'stops all sales of a performance; existing reservations stay as they are';

CREATE FUNCTION boxoffice.delete_performance(performance_id bigint) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = boxoffice, pg_temp AS $$
BEGIN
  PERFORM _live_performance(performance_id);
  UPDATE performances SET deleted_at = now() WHERE id = performance_id;
END $$;
COMMENT ON FUNCTION boxoffice.delete_performance IS 'soft-deletes a performance: gone from buyers, kept in history';

-- ============================================================================
-- accounts.sql: registered users and the secrets of guests.
-- Passwords and guest PINs are stored only as bcrypt hashes (pgcrypto).
-- ============================================================================

-- The functions below are the only users of pgcrypto. They are written with
-- pgcrypto's schema spelled out, found at install time, so that they stay
-- inlinable and independent of any caller's search_path.
--
-- A guest's PIN is hashed with a salt made from the phone number and a key of
-- boxoffice's own (secrets 'guest_pin'): the same phone and PIN always give the
-- same hash, so a look-up computes one bcrypt, whether the phone has bookings
-- or not, and its answer time tells nothing.
DO $install$
DECLARE
  v_schema text := (SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'pgcrypto');
BEGIN
  EXECUTE format($f$
    CREATE FUNCTION boxoffice._hash_secret(secret text) RETURNS text
    LANGUAGE sql VOLATILE STRICT AS 'SELECT %1$s.crypt(secret, %1$s.gen_salt(''bf'', 8))'$f$, v_schema);
  EXECUTE format($f$
    CREATE FUNCTION boxoffice._secret_matches(secret text, hash text) RETURNS boolean
    LANGUAGE sql IMMUTABLE STRICT AS 'SELECT %1$s.crypt(secret, hash) = hash'$f$, v_schema);
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

CREATE FUNCTION boxoffice.register_user(email text, name text, password text) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = boxoffice, pg_temp AS $$
DECLARE
  v_id bigint;
BEGIN
  -- the same pattern as the users table's check, so that check never fires
  -- (its error would print the whole row, password hash included)
  IF coalesce(email, '') !~ '^[^@[:space:]]+@[^@[:space:]]+[.][^@[:space:]]+$' THEN
    RAISE EXCEPTION 'invalid email' USING ERRCODE = _sqlstate('invalid_argument'), DETAIL = 'The email address is not of the form name@example.com.';
  END IF;
  IF _is_blank(name) OR length(name) > 200 OR length(email) > 320 THEN
    RAISE EXCEPTION 'invalid name or email' USING ERRCODE = _sqlstate('invalid_argument'), DETAIL = 'A name has 1 to 200 characters, an email at most 320.';
  END IF;
  -- bcrypt reads at most 72 bytes: a longer password would be silently cut
  IF length(coalesce(password, '')) < 8 OR octet_length(password) > 72 THEN
    RAISE EXCEPTION 'invalid password' USING ERRCODE = _sqlstate('invalid_argument'), DETAIL = 'A password has 8 characters or more, and at most 72 bytes.';
  END IF;
  -- serialise registrations of one address (in boxoffice's own lock space) so
  -- the unique index is the only judge
  PERFORM _lock_account(lower(email));
  IF EXISTS (SELECT FROM users u WHERE lower(u.email) = lower(register_user.email) AND u.deleted_at IS NULL) THEN
    RAISE EXCEPTION 'email already registered' USING ERRCODE = _sqlstate('email_taken'),
      DETAIL = 'An account with this email exists.', HINT = 'Log in instead, or use another email.';
  END IF;
  INSERT INTO users (email, name, password_hash)
  VALUES (lower(register_user.email), btrim(register_user.name), _hash_secret(password))
  RETURNING id INTO v_id;
  RETURN v_id;
END $$;
COMMENT ON FUNCTION boxoffice.register_user IS 'registers a buyer account; the password is kept as a bcrypt hash';

CREATE FUNCTION boxoffice.verify_password(email text, password text) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = boxoffice, pg_temp AS $$
DECLARE
  u users;
BEGIN
  SELECT * INTO u FROM users WHERE lower(users.email) = lower(verify_password.email) AND deleted_at IS NULL;
  -- one bcrypt whether or not the user exists, so timing does not reveal accounts
  IF NOT coalesce(_secret_matches(coalesce(password, ''),
                                  coalesce(u.password_hash, '$2a$08$0123456789012345678901uMV0Gk5mQ5Lzs5mKX3y2BzFbp7H8S.W')), false)
     OR u.id IS NULL THEN
    RAISE EXCEPTION 'invalid credentials' USING ERRCODE = _sqlstate('invalid_credentials'),
      DETAIL = 'The email or the password is wrong.', HINT = 'Check both and try again.';
  END IF;
  RETURN u.id;
END $$;
COMMENT ON FUNCTION boxoffice.verify_password IS 'returns the user id when email and password match, else raises invalid_credentials';


-- An account as its owner (and the HTTP shim's login) sees it.
CREATE TYPE boxoffice.account AS (user_id bigint, email text, name text, role text, created_at timestamptz);

-- The account of a user, whoever asks (the functions below decide who may).
CREATE FUNCTION boxoffice._account(user_id bigint) RETURNS boxoffice.account
LANGUAGE plpgsql STABLE SET search_path = boxoffice, pg_temp AS $$
DECLARE
  a account;
BEGIN
  SELECT u.id, u.email, u.name, CASE WHEN u.is_admin THEN 'admin' ELSE 'buyer' END, u.created_at INTO a
    FROM users u WHERE u.id = _account.user_id AND u.deleted_at IS NULL;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'user not found' USING ERRCODE = _sqlstate('user_not_found'),
      DETAIL = format('There is no user %s.', coalesce(_account.user_id::text, 'null'));
  END IF;
  RETURN a;
END $$;

CREATE FUNCTION boxoffice.account(user_id bigint DEFAULT NULL) RETURNS boxoffice.account
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = boxoffice, pg_temp
RETURN _account(_acting_user(user_id));
COMMENT ON FUNCTION boxoffice.account IS 'a user''s account: email, name, and role (buyer or admin); over HTTP, the signed-in user''s';

-- Logging in: the account whose email and password match.
CREATE FUNCTION boxoffice.login(email text, password text) RETURNS boxoffice.account
LANGUAGE sql SECURITY DEFINER SET search_path = boxoffice, pg_temp
RETURN _account(verify_password(email, password));
COMMENT ON FUNCTION boxoffice.login IS 'the account whose email and password match, else raises invalid_credentials';

CREATE FUNCTION boxoffice.set_admin(user_id bigint, is_admin boolean) RETURNS boxoffice.account
LANGUAGE plpgsql SECURITY DEFINER SET search_path = boxoffice, pg_temp AS $$
BEGIN
  IF is_admin IS NULL THEN
    RAISE EXCEPTION 'role is required' USING ERRCODE = _sqlstate('invalid_argument'), DETAIL = 'Say whether the user is an admin (true) or not (false).';
  END IF;
  PERFORM _account(user_id);  -- raises user_not_found
  UPDATE users u SET is_admin = set_admin.is_admin WHERE u.id = set_admin.user_id;
  RETURN _account(user_id);
END $$;
COMMENT ON FUNCTION boxoffice.set_admin IS 'grants or revokes the admin role of a user (admin tokens may use the catalog)';

-- For the HTTP shim's admin requests: the database, not a token alone, says
-- who is an admin, so a demoted or deleted admin is refused at once.
CREATE FUNCTION boxoffice.require_admin(user_id bigint) RETURNS void
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = boxoffice, pg_temp AS $$
BEGIN
  IF NOT EXISTS (SELECT FROM users u WHERE u.id = require_admin.user_id AND u.is_admin AND u.deleted_at IS NULL) THEN
    RAISE EXCEPTION 'admin role required' USING ERRCODE = '42501',
      DETAIL = 'The user of this token is not an admin (any more).', HINT = 'Log in again.';
  END IF;
END $$;
COMMENT ON FUNCTION boxoffice.require_admin IS 'raises insufficient_privilege unless the user is a live admin; the HTTP shim calls it on every admin request';

-- ============================================================================
-- reads.sql: what buyers read. Concerts on sale with availability, the seat
-- map, and their own reservations. Seat states are computed at the instant of
-- the read, so an expired hold shows as available before any sweep.
-- ============================================================================

-- One performance as buyers see it, with seat counts at this instant.
CREATE VIEW boxoffice._performance_summaries AS
SELECT p.id AS performance_id, p.concert_id, p.starts_at,
       jsonb_build_object(
         'performance_id', p.id, 'venue', v.name, 'venue_address', v.address,
         'starts_at', p.starts_at, 'ends_at', p.ends_at,
         'sales_opens_at', p.sales_opens_at, 'sales_closes_at', p.sales_closes_at,
         'status', p.status, 'on_sale', p.on_sale,
         'max_seats_per_hold', p.max_seats_per_hold, 'max_seats_per_customer', p.max_seats_per_customer,
         'hold_lifetime_seconds', extract(epoch FROM p.hold_lifetime)::int,
         'total', n.total, 'available', n.available, 'held', n.held, 'sold', n.sold) AS summary
  FROM boxoffice._visible_performances p
  JOIN boxoffice.venues v ON v.id = p.venue_id
  CROSS JOIN LATERAL (
    SELECT count(*) AS total,
           count(*) FILTER (WHERE ss.status = 'available') AS available,
           count(*) FILTER (WHERE ss.status = 'held') AS held,
           count(*) FILTER (WHERE ss.status = 'sold') AS sold
      FROM boxoffice._seat_states ss WHERE ss.performance_id = p.id) n;

CREATE TYPE boxoffice.concert_listing AS (
  concert_id bigint, title text, artist text, description text, poster_url text, performances jsonb);

CREATE FUNCTION boxoffice.concerts() RETURNS SETOF boxoffice.concert_listing
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = boxoffice, pg_temp AS $$
  SELECT c.id, c.title, c.artist, c.description, c.poster_url,
         coalesce((SELECT jsonb_agg(ps.summary ORDER BY ps.starts_at, ps.performance_id)
                     FROM _performance_summaries ps WHERE ps.concert_id = c.id), '[]'::jsonb)
    FROM concerts c
   WHERE c.status = 'published' AND c.deleted_at IS NULL
   ORDER BY c.id
$$;
COMMENT ON FUNCTION boxoffice.concerts IS 'published concerts with their performances and seat counts (available, held, sold)';

CREATE FUNCTION boxoffice.concert(concert_id bigint) RETURNS boxoffice.concert_listing
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = boxoffice, pg_temp AS $$
DECLARE
  v concert_listing;
BEGIN
  SELECT * INTO v FROM concerts() c WHERE c.concert_id = concert.concert_id;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'concert not found' USING ERRCODE = _sqlstate('concert_not_found'),
      DETAIL = format('There is no published concert with id %s.', coalesce(concert.concert_id::text, 'null'));
  END IF;
  RETURN v;
END $$;
COMMENT ON FUNCTION boxoffice.concert IS 'one published concert with its performances and seat counts';

CREATE FUNCTION boxoffice._visible_performance(performance_id bigint) RETURNS boxoffice._visible_performances
LANGUAGE plpgsql STABLE SET search_path = boxoffice, pg_temp AS $$
DECLARE
  p _visible_performances;
BEGIN
  SELECT * INTO p FROM _visible_performances vp WHERE vp.id = performance_id;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'performance not found' USING ERRCODE = _sqlstate('performance_not_found'),
      DETAIL = format('There is no performance with id %s on sale or announced.', coalesce(performance_id::text, 'null'));
  END IF;
  RETURN p;
END $$;

CREATE FUNCTION boxoffice.performance(performance_id bigint) RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = boxoffice, pg_temp AS $$
BEGIN
  PERFORM _visible_performance(performance_id);
  RETURN (SELECT ps.summary || jsonb_build_object(
                   'concert_id', c.id, 'concert_title', c.title, 'artist', c.artist,
                   'tiers', (SELECT jsonb_agg(to_jsonb(a)) FROM availability(performance.performance_id) a))
            FROM _performance_summaries ps JOIN concerts c ON c.id = ps.concert_id
           WHERE ps.performance_id = performance.performance_id);
END $$;
COMMENT ON FUNCTION boxoffice.performance IS 'one performance as JSON: its concert, venue, times, rules, seat counts and availability per tier';

CREATE FUNCTION boxoffice.availability(performance_id bigint)
RETURNS TABLE (tier text, price bigint, total bigint, available bigint, held bigint, sold bigint)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = boxoffice, pg_temp AS $$
BEGIN
  PERFORM _visible_performance(performance_id);
  RETURN QUERY
  SELECT t.label, t.price, count(*),
         count(*) FILTER (WHERE ss.status = 'available'),
         count(*) FILTER (WHERE ss.status = 'held'),
         count(*) FILTER (WHERE ss.status = 'sold')
    FROM _seat_states ss JOIN price_tiers t ON t.id = ss.tier_id
   WHERE ss.performance_id = availability.performance_id
   GROUP BY t.id, t.label, t.price
   ORDER BY t.price DESC, t.label;
END $$;
COMMENT ON FUNCTION boxoffice.availability IS 'seat counts per price tier of a performance at this instant';

CREATE FUNCTION boxoffice.seat_map(performance_id bigint)
RETURNS TABLE (seat_id bigint, section text, row_number int, seat_number int, tier text, price bigint, status text)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = boxoffice, pg_temp AS $$
BEGIN
  PERFORM _visible_performance(performance_id);
  RETURN QUERY
  SELECT ss.seat_id, ss.section, ss.row_number, ss.seat_number, t.label, ss.price, ss.status
    FROM _seat_states ss JOIN price_tiers t ON t.id = ss.tier_id
   WHERE ss.performance_id = seat_map.performance_id
   ORDER BY ss.seat_id;
END $$;
COMMENT ON FUNCTION boxoffice.seat_map IS 'every seat of a performance with section, row, number, tier, price and status (available, held, sold)';

CREATE FUNCTION boxoffice.my_reservations(user_id bigint DEFAULT NULL) RETURNS SETOF boxoffice.booking
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = boxoffice, pg_temp AS $$
  SELECT b.* FROM _bookings b JOIN reservations r ON r.id = b.reservation_id
   WHERE r.user_id = _acting_user(my_reservations.user_id)
   ORDER BY r.id DESC
$$;
COMMENT ON FUNCTION boxoffice.my_reservations IS 'a user''s reservations, newest first';

CREATE FUNCTION boxoffice.reservation(reservation_id bigint, user_id bigint DEFAULT NULL, hold_token text DEFAULT NULL)
RETURNS boxoffice.booking
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = boxoffice, pg_temp AS $$
DECLARE
  b booking;
BEGIN
  SELECT bk.* INTO b FROM _bookings bk JOIN reservations r ON r.id = bk.reservation_id
   WHERE r.id = reservation.reservation_id
     AND (r.user_id = _acting_user(reservation.user_id) OR r.hold_token_hash = sha256(convert_to(reservation.hold_token, 'UTF8')));
  IF NOT FOUND THEN
    RAISE EXCEPTION 'reservation not found' USING ERRCODE = _sqlstate('reservation_not_found'),
      DETAIL = format('There is no reservation %s that belongs to you.', coalesce(reservation.reservation_id::text, 'null'));
  END IF;
  RETURN b;
END $$;
COMMENT ON FUNCTION boxoffice.reservation IS 'one reservation with its seats, for its user or whoever holds its token';

-- Guest look-ups are rationed per phone number: after 5 wrong PINs the phone
-- is locked for 15 minutes, right PIN or not. Each look-up is counted before
-- its PIN is checked and given back when the PIN is right. The count lives in
-- shared memory (extension/src/guest_lockout.cpp), so the error that ends a
-- failed look-up does not undo it; it starts afresh when PostgreSQL restarts.
CREATE FUNCTION boxoffice._guest_lookup_attempt(phone text) RETURNS int
LANGUAGE c VOLATILE STRICT AS 'MODULE_PATHNAME', 'boxoffice_guest_lookup_attempt';
CREATE FUNCTION boxoffice._guest_lookup_succeeded(phone text) RETURNS void
LANGUAGE c VOLATILE STRICT AS 'MODULE_PATHNAME', 'boxoffice_guest_lookup_succeeded';

CREATE FUNCTION boxoffice.guest_lookup(phone text, pin text) RETURNS SETOF boxoffice.booking
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = boxoffice, pg_temp AS $$
DECLARE
  v_phone text := _normalize_phone(phone);
  v_wait int;
  v_hash text;
BEGIN
  PERFORM _check_pin(pin);
  v_wait := _guest_lookup_attempt(v_phone);
  IF v_wait > 0 THEN
    RAISE EXCEPTION 'too many wrong pins for this phone number' USING ERRCODE = _sqlstate('guest_lookup_locked'),
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
    RAISE EXCEPTION 'no matching reservation' USING ERRCODE = _sqlstate('no_matching_reservation'),
      DETAIL = 'No reservation matches this phone number and PIN.',
      HINT = 'Check the phone number and the 4-digit PIN you chose when booking; after 5 wrong PINs the phone is locked for 15 minutes.';
  END IF;
  PERFORM _guest_lookup_succeeded(v_phone);
END $$;
COMMENT ON FUNCTION boxoffice.guest_lookup IS 'a guest''s reservations, found by phone number and 4-digit PIN; 5 wrong PINs lock the phone for 15 minutes';

-- The seat map in two parts, for caches (the shim keeps one per performance):
-- what never changes for a performance (layout, tiers, prices) and the small
-- part that does (which seats are held or sold right now).
CREATE FUNCTION boxoffice.seat_layout(performance_id bigint) RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = boxoffice, pg_temp AS $$
BEGIN
  PERFORM _visible_performance(performance_id);
  RETURN (SELECT coalesce(jsonb_agg(jsonb_build_object('seat_id', s.id, 'section', s.section, 'row_number', s.row_number,
                                                       'seat_number', s.seat_number, 'tier', t.label, 'price', s.price)
                                    ORDER BY s.id), '[]')
            FROM seats s JOIN price_tiers t ON t.id = s.tier_id WHERE s.performance_id = seat_layout.performance_id);
END $$;
COMMENT ON FUNCTION boxoffice.seat_layout IS 'the part of a seat map that never changes: every seat with section, row, number, tier and price';

CREATE FUNCTION boxoffice.seat_statuses(performance_id bigint) RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = boxoffice, pg_temp AS $$
BEGIN
  PERFORM _visible_performance(performance_id);
  RETURN (SELECT jsonb_build_object('held', coalesce(jsonb_agg(ss.seat_id ORDER BY ss.seat_id) FILTER (WHERE ss.status = 'held'), '[]'),
                                    'sold', coalesce(jsonb_agg(ss.seat_id ORDER BY ss.seat_id) FILTER (WHERE ss.status = 'sold'), '[]'))
            FROM _seat_states ss WHERE ss.performance_id = seat_statuses.performance_id AND ss.status <> 'available');
END $$;
COMMENT ON FUNCTION boxoffice.seat_statuses IS 'the part of a seat map that changes: the ids of the seats held and sold right now (every other seat is available)';

-- ============================================================================
-- engine.sql: the booking engine, in C++ (extension/src/). Holds, confirms,
-- releases, cancels and the expiry sweep. Each takes transaction-scoped
-- advisory locks in a fixed order and runs prepared plans only.
--
-- The plans are generic (planned once per backend) and every statement is a
-- key lookup. enable_seqscan = off keeps the planner from choosing a scan of a
-- table that looked empty when it was last analysed (seat_claims before an
-- on-sale), which a backend would then run on every call.
--
-- The C entry points of hold, try_hold, confirm, release and cancel carry the
-- generation of these declarations (_v4 since 0.4.0, when holds met the waiting room's gate): a library and SQL
-- declarations from different versions never run each other's code by mistake
-- (extension/src/previous_versions.cpp answers the older declarations).
-- 0.5.1 added an optional last argument, idempotency_key, to hold, try_hold
-- and cancel: the library reads it only when a declaration passes it.
-- ============================================================================

CREATE FUNCTION boxoffice.hold(performance_id bigint, seat_ids bigint[], user_id bigint DEFAULT NULL, guest_key text DEFAULT NULL,
                               idempotency_key text DEFAULT NULL)
RETURNS boxoffice.booking LANGUAGE c VOLATILE SECURITY DEFINER SET search_path = boxoffice, pg_temp SET enable_seqscan = off
AS 'MODULE_PATHNAME', 'boxoffice_hold_v4';
COMMENT ON FUNCTION boxoffice.hold IS 'holds all the given seats or none, for the performance''s hold lifetime, for a user or a guest client (guest_key); returns the booking with its secret hold token; with an idempotency key, a retry gets the same hold back';

CREATE FUNCTION boxoffice.confirm(reservation_id bigint, user_id bigint DEFAULT NULL, hold_token text DEFAULT NULL,
                                  buyer_name text DEFAULT NULL, buyer_phone text DEFAULT NULL, guest_pin text DEFAULT NULL)
RETURNS boxoffice.booking LANGUAGE c VOLATILE SECURITY DEFINER SET search_path = boxoffice, pg_temp SET enable_seqscan = off
AS 'MODULE_PATHNAME', 'boxoffice_confirm_v4';
COMMENT ON FUNCTION boxoffice.confirm IS 'turns a live hold of a performance on sale into a confirmed reservation with a reservation number; repeating it returns the same result';

CREATE FUNCTION boxoffice.release(reservation_id bigint, user_id bigint DEFAULT NULL, hold_token text DEFAULT NULL)
RETURNS boxoffice.booking LANGUAGE c VOLATILE SECURITY DEFINER SET search_path = boxoffice, pg_temp SET enable_seqscan = off
AS 'MODULE_PATHNAME', 'boxoffice_release_v4';
COMMENT ON FUNCTION boxoffice.release IS 'gives a hold''s seats back at once';

CREATE FUNCTION boxoffice.cancel(reservation_id bigint, user_id bigint DEFAULT NULL, hold_token text DEFAULT NULL,
                                 idempotency_key text DEFAULT NULL)
RETURNS boxoffice.booking LANGUAGE c VOLATILE SECURITY DEFINER SET search_path = boxoffice, pg_temp SET enable_seqscan = off
AS 'MODULE_PATHNAME', 'boxoffice_cancel_v4';
COMMENT ON FUNCTION boxoffice.cancel IS 'cancels a hold or a confirmed reservation; its seats are available at once; repeating it returns the same result; an idempotency key makes it exactly once per key';

CREATE FUNCTION boxoffice.sweep(max_holds int DEFAULT 10000, OUT expired_holds bigint, OUT freed_seats bigint, OUT batches bigint)
RETURNS record LANGUAGE c VOLATILE SECURITY DEFINER SET search_path = boxoffice, pg_temp SET enable_seqscan = off
AS 'MODULE_PATHNAME', 'boxoffice_sweep';
COMMENT ON FUNCTION boxoffice.sweep IS 'marks expired holds expired and frees their seats, in batches, skipping locked rows; pg_cron runs it every minute';

CREATE FUNCTION boxoffice.try_hold(performance_id bigint, seat_ids bigint[], user_id bigint DEFAULT NULL, guest_key text DEFAULT NULL,
                                   idempotency_key text DEFAULT NULL)
RETURNS boxoffice.booking LANGUAGE c VOLATILE SECURITY DEFINER SET search_path = boxoffice, pg_temp SET enable_seqscan = off
AS 'MODULE_PATHNAME', 'boxoffice_try_hold_v4';
COMMENT ON FUNCTION boxoffice.try_hold IS 'hold() that answers a refusal (seats taken, customer limit, not on sale) with NULL and a NOTICE that says why, instead of an error: for callers that retry at high rates (no error, no subtransaction, nothing in the server log); bad input still raises';

-- ============================================================================
-- claims.sql: the seat claims follow the reservations. A live reservation
-- (hold or confirmed) claims every seat it lists; an ended one claims none.
-- The engine writes a reservation and its claims in one statement. Any other
-- write to a reservation (a DBA's UPDATE, a restore's COPY) brings its claims
-- along through the trigger below, and a seat that another live reservation
-- claims refuses it with unique_violation: no write by any role can leave one
-- seat in two live reservations. Nobody writes seat_claims by hand.
-- (extension/src/claims.cpp)
-- ============================================================================

CREATE FUNCTION boxoffice._claims_follow_reservation() RETURNS trigger
LANGUAGE c AS 'MODULE_PATHNAME', 'boxoffice_claims_follow_reservation_v3';
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

-- ============================================================================
-- waiting_room.sql: the on-sale waiting room (README: "The waiting room").
--
-- A performance with a queue lets at most max_active logged-in users shop at
-- once. Everyone else waits in line, first come first served, except that
-- those who arrive in the pre-queue (before sales open) are shuffled once,
-- when sales open, by a seed whose hash was published before anyone arrived.
--
-- Why it holds under load:
--   * entering is one read and one INSERT (enter_queue.cpp; the unique key
--     (performance_id, user_id) makes a second entry impossible); nobody
--     updates a shared row to enter;
--   * places in line (line) are given in batches, in arrival order, by the
--     one transaction that advances the line (_advance_queue); it runs under
--     a try-lock, so callers never wait for it, and at most every 100 ms;
--   * a poll reads three rows by primary key (the entry, its queue, its
--     performance: _queue_standings), in C++ without SQL: the position is
--     line - admitted_through, O(1) in the number of people waiting; callers
--     only ask for the line to move when it is due (_queue_due), and then
--     under a try-lock;
--   * a slot is taken while an entry is active and its active_until has not
--     passed (the rule of _entry_state): an active stay that ran out frees
--     its slot that instant, before anyone tidies it up.
-- The gate is a trigger on reservations: with the queue on, a hold for a
-- user without an active entry is refused whoever writes it, and a hold
-- extends the stay to the hold's expiry; a sale marks the entry used.
-- ============================================================================

CREATE TYPE boxoffice.queue_entry_state AS ENUM ('waiting', 'active', 'used', 'left', 'expired');

CREATE TABLE boxoffice.queues (
  performance_id        bigint PRIMARY KEY REFERENCES boxoffice.performances,
  enabled               boolean NOT NULL DEFAULT true,
  max_active            int NOT NULL DEFAULT 100 CHECK (max_active BETWEEN 1 AND 100000),
  admissions_per_minute int CHECK (admissions_per_minute BETWEEN 1 AND 1000000),
  active_stay           interval NOT NULL DEFAULT '2 minutes'
                          CHECK (active_stay BETWEEN interval '10 seconds' AND interval '1 hour'),
  prequeue_lead         interval NOT NULL DEFAULT '30 minutes'
                          CHECK (prequeue_lead BETWEEN interval '0' AND interval '7 days'),
  -- the shuffle of the pre-queue: its seed is secret until sales open; its
  -- hash is public from the start, so the seed cannot be chosen afterwards
  seed                  bytea NOT NULL,
  seed_commitment       bytea NOT NULL,
  -- kept by _advance_queue alone
  opened_at             timestamptz,              -- when the pre-queue was shuffled
  numbered_through      bigint NOT NULL DEFAULT 0, -- the last place in line given
  admitted_through      bigint NOT NULL DEFAULT 0, -- the place of the last one admitted
  sold_out              boolean NOT NULL DEFAULT false,
  admitted_last_minute  int NOT NULL DEFAULT 0,
  advanced_at           timestamptz,
  created_at            timestamptz NOT NULL DEFAULT now(),
  updated_at            timestamptz NOT NULL DEFAULT now(),
  -- kept by _advance_queue: the newest entry given a place (0.4.2)
  last_numbered_entry   bigint NOT NULL DEFAULT 0,
  CHECK (seed_commitment = sha256(seed))
);

-- No foreign key to queues: its check would lock the queue row on every
-- entry, the one row the whole crowd shares.
CREATE TABLE boxoffice.queue_entries (
  id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  performance_id bigint NOT NULL,
  user_id        bigint NOT NULL REFERENCES boxoffice.users,
  state          boxoffice.queue_entry_state NOT NULL DEFAULT 'waiting',
  prequeue       boolean NOT NULL,   -- arrived before the shuffle: its place is drawn
  line           bigint,             -- place in line; NULL until given
  entered_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
  admitted_at    timestamptz,
  active_until   timestamptz,
  ended_at       timestamptz,
  -- the secret half of the entry's token (_queue_token): random, so a token
  -- is checked by comparing, not by hashing on every poll
  token_secret   bytea NOT NULL DEFAULT uuid_send(gen_random_uuid()) || uuid_send(gen_random_uuid()),
  UNIQUE (performance_id, user_id),
  UNIQUE (performance_id, line),
  CONSTRAINT admitted_has_stay CHECK ((admitted_at IS NULL) = (active_until IS NULL)),
  CONSTRAINT active_was_admitted CHECK (state <> 'active' OR (admitted_at IS NOT NULL AND line IS NOT NULL)),
  CONSTRAINT ended_has_ended_at CHECK ((state IN ('used', 'left', 'expired')) = (ended_at IS NOT NULL))
);
-- The unique key (performance_id, line) is also how the line is read: the
-- next to admit are the waiting past admitted_through, the arrivals without
-- a place are its NULL lines. (Entering maintains no other index for it.)
CREATE INDEX queue_entries_active ON boxoffice.queue_entries (performance_id, active_until) WHERE state = 'active';
CREATE INDEX queue_entries_admitted ON boxoffice.queue_entries (performance_id, admitted_at) WHERE admitted_at IS NOT NULL;

CREATE TRIGGER touch BEFORE UPDATE ON boxoffice.queues FOR EACH ROW EXECUTE FUNCTION boxoffice._touch_updated_at();

-- The rules of a turn live in one place, extension/src/queue_ticket.cpp:
-- what an entry is at time t (active until its stay ends, then expired;
-- waiting, or sold_out when nothing is left to sell), when a line is due to
-- move (at most every boxoffice.queue_pause; tests make it 0), what a token
-- is (q<entry id>.<its random secret in hex>) and what a ticket says.
CREATE FUNCTION boxoffice._entry_state(state boxoffice.queue_entry_state, active_until timestamptz, sold_out boolean, t timestamptz)
RETURNS text LANGUAGE c STABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'boxoffice_entry_state';
CREATE FUNCTION boxoffice._queue_due(advanced_at timestamptz, t timestamptz) RETURNS boolean
LANGUAGE c STABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'boxoffice_queue_due';
CREATE FUNCTION boxoffice._queue_token(entry_id bigint, token_secret bytea) RETURNS text
LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE AS 'MODULE_PATHNAME', 'boxoffice_queue_token';
-- the entry id a token names; NULL when it is not of a token's form
CREATE FUNCTION boxoffice._queue_entry_id(token text) RETURNS bigint
LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE AS 'MODULE_PATHNAME', 'boxoffice_queue_entry_id';

-- What a buyer gets back from enter_queue, queue_status and leave_queue.
CREATE TYPE boxoffice.queue_ticket AS (
  token                  text,
  performance_id         bigint,
  state                  text,
  "position"             bigint,
  estimated_wait_seconds int,
  active_until           timestamptz,
  poll_after_seconds     int
);

-- Moves the line of one queue: shuffles the pre-queue when sales open, gives
-- places to new arrivals, admits the next in line into free slots, and notes
-- whether anything is left to sell. One transaction at a time does it (a
-- try-lock: the others go on without waiting), when it is due (_queue_due)
-- unless a slot was just freed (force).
CREATE FUNCTION boxoffice._advance_queue(performance_id bigint, force boolean DEFAULT false) RETURNS void
LANGUAGE plpgsql SET search_path = boxoffice, pg_temp AS $$
DECLARE
  q queues;
  p performances;
  v_now timestamptz;
  v_free int;
  v_last bigint;
BEGIN
  -- advisory key space 1004 (objsubid 2): the queue's admitter; 1005: its pre-queue gate
  IF NOT pg_try_advisory_xact_lock(1004, _advance_queue.performance_id::int) THEN
    RETURN;
  END IF;
  SELECT * INTO q FROM queues WHERE queues.performance_id = _advance_queue.performance_id;
  v_now := clock_timestamp();
  IF NOT FOUND OR NOT q.enabled OR (NOT force AND NOT _queue_due(q.advanced_at, v_now)) THEN
    RETURN;
  END IF;
  SELECT * INTO p FROM performances WHERE id = q.performance_id;
  IF v_now < p.sales_opens_at THEN
    RETURN;
  END IF;

  IF q.opened_at IS NULL THEN
    -- wait for pre-queue arrivals still in flight; later ones are not pre-queue
    PERFORM pg_advisory_xact_lock(1005, q.performance_id::int);
    UPDATE queue_entries e SET line = d.line
      FROM (SELECT x.id, row_number() OVER (ORDER BY sha256(q.seed || int8send(x.id))) AS line
              FROM queue_entries x WHERE x.performance_id = q.performance_id AND x.prequeue) d
     WHERE e.id = d.id;
    SELECT count(*), coalesce(max(x.id), 0) INTO q.numbered_through, q.last_numbered_entry
      FROM queue_entries x WHERE x.performance_id = q.performance_id AND x.prequeue;
    q.opened_at := v_now;
  END IF;

  -- places for those who came after the shuffle, in the order they entered
  WITH arrivals AS (
    SELECT x.id, q.numbered_through + row_number() OVER (ORDER BY x.id) AS line
      FROM queue_entries x WHERE x.performance_id = q.performance_id AND x.state = 'waiting' AND x.line IS NULL),
  numbered AS (
    UPDATE queue_entries e SET line = a.line FROM arrivals a WHERE e.id = a.id RETURNING e.id, e.line)
  SELECT coalesce(max(line), q.numbered_through), greatest(q.last_numbered_entry, coalesce(max(id), 0))
    INTO q.numbered_through, q.last_numbered_entry FROM numbered;

  -- nothing left to sell: every seat is sold (a hold may still expire)
  q.sold_out := NOT EXISTS (
    SELECT FROM seats s WHERE s.performance_id = q.performance_id
       AND NOT EXISTS (SELECT FROM seat_claims cl JOIN reservations r ON r.id = cl.reservation_id
                        WHERE cl.seat_id = s.id AND r.status = 'confirmed'));

  -- stays that ran out end here. The UPDATE waits for a hold extending one of
  -- them right now and sees its new end: a stay is either extended or freed,
  -- never both (counting alone would free a slot a hold is keeping).
  UPDATE queue_entries x SET state = 'expired', ended_at = x.active_until
   WHERE x.performance_id = q.performance_id AND x.state = 'active' AND x.active_until <= v_now;

  IF NOT q.sold_out AND p.status = 'scheduled' AND v_now < p.sales_closes_at THEN
    v_free := q.max_active - (SELECT count(*) FROM queue_entries x
                               WHERE x.performance_id = q.performance_id AND x.state = 'active' AND x.active_until > v_now);
    IF q.admissions_per_minute IS NOT NULL THEN
      v_free := least(v_free, q.admissions_per_minute - (SELECT count(*) FROM queue_entries x
                                                          WHERE x.performance_id = q.performance_id
                                                            AND x.admitted_at > v_now - interval '1 minute'));
    END IF;
    IF v_free > 0 THEN
      v_now := clock_timestamp();  -- the moment of admission: after the slots were seen free
      WITH next AS (
        SELECT x.id FROM queue_entries x
         WHERE x.performance_id = q.performance_id AND x.state = 'waiting' AND x.line > q.admitted_through
         ORDER BY x.line LIMIT v_free FOR UPDATE),
      admitted AS (
        UPDATE queue_entries e SET state = 'active', admitted_at = v_now, active_until = v_now + q.active_stay
          FROM next WHERE e.id = next.id AND e.state = 'waiting' RETURNING e.line)
      SELECT max(line) INTO v_last FROM admitted;
      q.admitted_through := greatest(q.admitted_through, coalesce(v_last, 0));
    END IF;
  END IF;

  UPDATE queues SET opened_at = q.opened_at, numbered_through = q.numbered_through, admitted_through = q.admitted_through,
                    last_numbered_entry = q.last_numbered_entry, sold_out = q.sold_out, advanced_at = v_now,
                    admitted_last_minute = (SELECT count(*) FROM queue_entries x
                                             WHERE x.performance_id = q.performance_id
                                               AND x.admitted_at > v_now - interval '1 minute')
   WHERE queues.performance_id = q.performance_id;
END $$;

-- Where an entry stands: the entry with what its ticket is computed from
-- (its queue, its performance's opening), one read by primary keys.
CREATE VIEW boxoffice._queue_standings AS
SELECT e.id AS entry_id, e.performance_id, e.user_id, e.state, e.prequeue, e.line, e.active_until, e.token_secret,
       q.sold_out, q.numbered_through, q.admitted_through, q.last_numbered_entry, q.admitted_last_minute,
       q.max_active, q.admissions_per_minute, q.active_stay, q.advanced_at, p.sales_opens_at
  FROM boxoffice.queue_entries e
  JOIN boxoffice.queues q ON q.performance_id = e.performance_id
  JOIN boxoffice.performances p ON p.id = e.performance_id;

-- The entry a token names, if it is the caller's; one error for unknown,
-- malformed and foreign tokens, so a token tells nothing about others.
-- (The helpers of the buyer's calls pin no search_path of their own: they
-- run inside the API functions', and a setting would cost every poll.)
CREATE FUNCTION boxoffice._entry_of(token text, user_id bigint) RETURNS boxoffice._queue_standings
LANGUAGE plpgsql STABLE AS $$
DECLARE
  s boxoffice._queue_standings;
BEGIN
  SELECT * INTO s FROM boxoffice._queue_standings x
   WHERE x.entry_id = boxoffice._queue_entry_id(token) AND boxoffice._queue_token(x.entry_id, x.token_secret) = token
     AND x.user_id = boxoffice._acting_user(_entry_of.user_id);
  IF NOT FOUND THEN
    RAISE EXCEPTION 'queue entry not found' USING ERRCODE = boxoffice._sqlstate('queue_entry_not_found'),
      DETAIL = 'No entry of yours in a waiting room has this token.', HINT = 'Enter the queue of the performance to get your token.';
  END IF;
  RETURN s;
END $$;

-- An entry as its owner sees it at time t: state, place, estimated wait
-- (from the admissions of the last minute, or before any from the slots'
-- turnover), and when to ask again (queue_ticket.cpp).
CREATE FUNCTION boxoffice._queue_ticket(s boxoffice._queue_standings, t timestamptz) RETURNS boxoffice.queue_ticket
LANGUAGE c STABLE STRICT AS 'MODULE_PATHNAME', 'boxoffice_queue_ticket';

-- Everyone arriving at an on-sale enters at once: enter_queue.cpp checks the
-- performance, its queue, the user and an entry already there in one read,
-- inserts, and moves the line only when it is due. (enable_seqscan off, as
-- for the engine: its plans are made once, maybe while the tables are empty.)
CREATE FUNCTION boxoffice.enter_queue(performance_id bigint, user_id bigint DEFAULT NULL) RETURNS boxoffice.queue_ticket
LANGUAGE c VOLATILE SECURITY DEFINER SET search_path = boxoffice, pg_temp SET enable_seqscan = off
AS 'MODULE_PATHNAME', 'boxoffice_enter_queue';
COMMENT ON FUNCTION boxoffice.enter_queue IS 'enters the waiting room of a performance (logged-in users; entering again returns the same entry and token)';

-- Everyone waiting polls: queue_status.cpp reads the entry, its queue and its
-- performance by primary key without SQL, and moves the line when it is due.
-- The one SECURITY DEFINER function without SET search_path (0.5.2): setting
-- and resetting it cost a tenth of a poll. Its C++ names every table by
-- schema, and the SQL it runs sees search_path = boxoffice, pg_temp
-- (PinnedSearchPath, spi.hpp); pgTAP 02_privileges and pg_regress security
-- allow this function alone, and waiting_room checks a hostile search_path.
CREATE FUNCTION boxoffice.queue_status(token text, user_id bigint DEFAULT NULL) RETURNS boxoffice.queue_ticket
LANGUAGE c VOLATILE SECURITY DEFINER AS 'MODULE_PATHNAME', 'boxoffice_queue_status';
COMMENT ON FUNCTION boxoffice.queue_status IS 'where a queue entry stands: waiting (position, estimated wait), active (until), used, left, expired or sold_out; polling moves the line';

CREATE FUNCTION boxoffice.leave_queue(token text, user_id bigint DEFAULT NULL) RETURNS boxoffice.queue_ticket
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = boxoffice, pg_temp AS $$
DECLARE
  s _queue_standings := _entry_of(token, user_id);
BEGIN
  UPDATE queue_entries x SET state = 'left', ended_at = clock_timestamp()
   WHERE x.id = s.entry_id AND (x.state = 'waiting' OR (x.state = 'active' AND x.active_until > clock_timestamp()));
  IF FOUND THEN
    PERFORM _advance_queue(s.performance_id, force => true);  -- the freed slot goes to the next in line now
  END IF;
  SELECT * INTO s FROM _queue_standings x WHERE x.entry_id = s.entry_id;
  RETURN _queue_ticket(s, clock_timestamp());
END $$;
COMMENT ON FUNCTION boxoffice.leave_queue IS 'leaves the waiting room; an active slot goes to the next in line at once; leaving again changes nothing';

-- The settings of a queue, as set_queue and queue_settings return them.
CREATE FUNCTION boxoffice._queue_settings(performance_id bigint) RETURNS jsonb
LANGUAGE sql STABLE SET search_path = boxoffice, pg_temp AS $$
  SELECT jsonb_build_object('performance_id', q.performance_id, 'enabled', q.enabled, 'max_active', q.max_active,
                            'admissions_per_minute', q.admissions_per_minute,
                            'active_stay_seconds', extract(epoch FROM q.active_stay)::int,
                            'prequeue_lead_seconds', extract(epoch FROM q.prequeue_lead)::int,
                            'prequeue_opens_at', p.sales_opens_at - q.prequeue_lead, 'sales_opens_at', p.sales_opens_at,
                            'seed_commitment', encode(q.seed_commitment, 'hex'), 'opened_at', q.opened_at)
    FROM queues q JOIN performances p ON p.id = q.performance_id WHERE q.performance_id = _queue_settings.performance_id
$$;

CREATE FUNCTION boxoffice.set_queue(performance_id bigint, enabled boolean DEFAULT NULL, max_active int DEFAULT NULL,
                                    admissions_per_minute int DEFAULT NULL, active_stay interval DEFAULT NULL,
                                    prequeue_lead interval DEFAULT NULL)
RETURNS jsonb LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = boxoffice, pg_temp AS $$
DECLARE
  v_seed bytea := gen_random_uuid()::text::bytea || int8send((random() * 9e18)::bigint);
BEGIN
  PERFORM _live_performance(performance_id);
  IF max_active IS NOT NULL AND max_active NOT BETWEEN 1 AND 100000 THEN
    RAISE EXCEPTION 'invalid max active' USING ERRCODE = _sqlstate('invalid_argument'), DETAIL = format('max_active must be between 1 and 100000; got %s.', max_active);
  END IF;
  IF admissions_per_minute IS NOT NULL AND admissions_per_minute NOT BETWEEN 0 AND 1000000 THEN
    RAISE EXCEPTION 'invalid admissions per minute' USING ERRCODE = _sqlstate('invalid_argument'),
      DETAIL = format('admissions_per_minute must be between 1 and 1000000, or 0 for no limit; got %s.', admissions_per_minute);
  END IF;
  IF active_stay IS NOT NULL AND active_stay NOT BETWEEN interval '10 seconds' AND interval '1 hour' THEN
    RAISE EXCEPTION 'invalid active stay' USING ERRCODE = _sqlstate('invalid_argument'), DETAIL = format('active_stay must be between 10 seconds and 1 hour; got %s.', active_stay);
  END IF;
  IF prequeue_lead IS NOT NULL AND prequeue_lead NOT BETWEEN interval '0' AND interval '7 days' THEN
    RAISE EXCEPTION 'invalid pre-queue lead' USING ERRCODE = _sqlstate('invalid_argument'), DETAIL = format('prequeue_lead must be between 0 and 7 days; got %s.', prequeue_lead);
  END IF;
  -- the seed is drawn once, when the queue is made, and never changes
  v_seed := sha256(_secret('queue_seed') || v_seed || int8send(performance_id));
  INSERT INTO queues AS q (performance_id, enabled, max_active, admissions_per_minute, active_stay, prequeue_lead, seed, seed_commitment)
  VALUES (set_queue.performance_id, coalesce(set_queue.enabled, true), coalesce(set_queue.max_active, 100),
          nullif(set_queue.admissions_per_minute, 0), coalesce(set_queue.active_stay, interval '2 minutes'),
          coalesce(set_queue.prequeue_lead, interval '30 minutes'), v_seed, sha256(v_seed))
  ON CONFLICT ON CONSTRAINT queues_pkey DO UPDATE
     SET enabled = coalesce(set_queue.enabled, q.enabled), max_active = coalesce(set_queue.max_active, q.max_active),
         admissions_per_minute = CASE WHEN set_queue.admissions_per_minute IS NULL THEN q.admissions_per_minute
                                      ELSE nullif(set_queue.admissions_per_minute, 0) END,
         active_stay = coalesce(set_queue.active_stay, q.active_stay), prequeue_lead = coalesce(set_queue.prequeue_lead, q.prequeue_lead);
  PERFORM _advance_queue(performance_id, force => true);  -- a larger limit admits at once
  RETURN _queue_settings(performance_id);
END $$;
COMMENT ON FUNCTION boxoffice.set_queue IS 'creates or changes the waiting room of a performance; NULL keeps a setting; admissions_per_minute 0 removes the rate limit';

CREATE FUNCTION boxoffice.queue_settings(performance_id bigint) RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = boxoffice, pg_temp AS $$
BEGIN
  PERFORM _live_performance(performance_id);
  RETURN coalesce(_queue_settings(performance_id), jsonb_build_object('performance_id', performance_id, 'enabled', false));
END $$;
COMMENT ON FUNCTION boxoffice.queue_settings IS 'the waiting room settings of a performance (enabled false when it has none)';

-- What anyone may know about a queue: its settings, its size, and the draw:
-- the seed's hash from the start, the seed itself once sales open.
CREATE FUNCTION boxoffice.queue_info(performance_id bigint) RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = boxoffice, pg_temp AS $$
DECLARE
  p _visible_performances := _visible_performance(performance_id);
BEGIN
  RETURN (SELECT coalesce(_queue_settings(p.id), jsonb_build_object('performance_id', p.id, 'enabled', false))
                 || jsonb_build_object('seed', CASE WHEN q.opened_at IS NOT NULL THEN encode(q.seed, 'hex') END,
                                       'waiting', o.waiting, 'active', o.active)
            FROM (SELECT 1) one
            LEFT JOIN queues q ON q.performance_id = p.id
            LEFT JOIN queue_overview o ON o.performance_id = p.id);
END $$;
COMMENT ON FUNCTION boxoffice.queue_info IS 'a waiting room as anyone may see it: settings, people waiting and active, the seed commitment and (once sales open) the seed';

-- The pre-queue's draw, once sales opened: each pre-queue entry and the place
-- it drew. Anyone can recompute it from the seed (README: "Checking the draw").
CREATE FUNCTION boxoffice.queue_draw(performance_id bigint) RETURNS TABLE (entry_id bigint, line bigint)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = boxoffice, pg_temp AS $$
BEGIN
  PERFORM _visible_performance(performance_id);
  RETURN QUERY
  SELECT e.id, e.line FROM queue_entries e JOIN queues q ON q.performance_id = e.performance_id
   WHERE e.performance_id = queue_draw.performance_id AND e.prequeue AND q.opened_at IS NOT NULL
   ORDER BY e.line;
END $$;
COMMENT ON FUNCTION boxoffice.queue_draw IS 'the places the pre-queue drew at opening (entry id, place); recompute them from the revealed seed';

-- One row per queue, for DBAs.
CREATE VIEW boxoffice.queue_overview AS
SELECT q.performance_id, q.enabled, q.max_active, q.admissions_per_minute,
       n.waiting, n.active, n.admitted_last_minute,
       make_interval(secs => ceil(n.waiting / CASE WHEN n.admitted_last_minute > 0 THEN n.admitted_last_minute / 60.0
                                                   ELSE q.max_active / extract(epoch FROM q.active_stay) END)) AS wait_at_back,
       q.sold_out, q.opened_at
  FROM queues q
 CROSS JOIN LATERAL (
   SELECT count(*) FILTER (WHERE _entry_state(e.state, e.active_until, false, statement_timestamp()) = 'waiting') AS waiting,
          count(*) FILTER (WHERE _entry_state(e.state, e.active_until, false, statement_timestamp()) = 'active') AS active,
          count(*) FILTER (WHERE e.admitted_at > statement_timestamp() - interval '1 minute') AS admitted_last_minute
     FROM queue_entries e WHERE e.performance_id = q.performance_id) n;
COMMENT ON VIEW boxoffice.queue_overview IS 'each waiting room: people waiting and active, admitted in the last minute, the estimated wait at the back';

-- The gate. A hold of a performance whose queue is on needs the user's
-- active entry, and extends its stay until the hold ends. A restore (pg_dump's
-- scripts run with row_security off) brings back rows, not new holds.
CREATE FUNCTION boxoffice._queue_gate() RETURNS trigger
LANGUAGE plpgsql SET search_path = boxoffice, pg_temp AS $$
BEGIN
  IF NOT EXISTS (SELECT FROM queues q WHERE q.performance_id = NEW.performance_id AND q.enabled)
     OR current_setting('row_security') = 'off' THEN
    RETURN NEW;
  END IF;
  UPDATE queue_entries e SET active_until = greatest(e.active_until, NEW.expires_at)
   WHERE e.performance_id = NEW.performance_id AND e.user_id = NEW.user_id
     AND e.state = 'active' AND e.active_until > clock_timestamp();
  IF NOT FOUND THEN
    RAISE EXCEPTION 'it is not your turn to buy yet' USING ERRCODE = _sqlstate('queue_turn_required'),
      DETAIL = format('Performance %s sells through its waiting room: holding seats needs your active turn.', NEW.performance_id),
      HINT = CASE WHEN NEW.user_id IS NULL THEN 'Log in and enter the queue.' ELSE 'Enter the queue and wait until your entry is active.' END;
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER queue_gate BEFORE INSERT ON boxoffice.reservations
  FOR EACH ROW WHEN (NEW.status = 'hold') EXECUTE FUNCTION boxoffice._queue_gate();

-- A sale uses the buyer's turn: the slot is free for the next in line.
CREATE FUNCTION boxoffice._queue_turn_used() RETURNS trigger
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
CREATE TRIGGER queue_turn_used AFTER UPDATE OF status ON boxoffice.reservations
  FOR EACH ROW WHEN (NEW.status = 'confirmed' AND OLD.status = 'hold' AND NEW.user_id IS NOT NULL)
  EXECUTE FUNCTION boxoffice._queue_turn_used();

-- The queue's history, for check_invariants(): no one admitted while someone
-- ahead still waited (each entry's turn: when admitted, or when it left
-- waiting), and never more active at once than the limit.
CREATE VIEW boxoffice._queue_faults AS
SELECT 'queue_admitted_out_of_order' AS violation, 'queue entry ' || t.id AS object,
       format('admitted at place %s while someone ahead was still waiting (performance %s)', t.line, t.performance_id) AS detail
  FROM (SELECT e.id, e.line, e.performance_id, e.admitted_at,
               max(coalesce(e.admitted_at, CASE WHEN e.state = 'left' THEN e.ended_at END, 'infinity'))
                 OVER (PARTITION BY e.performance_id ORDER BY e.line ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS latest_ahead
          FROM queue_entries e WHERE e.line IS NOT NULL) t
 WHERE t.admitted_at IS NOT NULL AND t.latest_ahead > t.admitted_at
UNION ALL
SELECT 'queue_over_limit', 'performance ' || c.performance_id,
       format('%s active at %s, the limit is %s', c.active, c.at, q.max_active)
  FROM (SELECT performance_id, at, sum(delta) OVER (PARTITION BY performance_id ORDER BY at, delta) AS active
          FROM (SELECT e.performance_id, e.admitted_at AS at, 1 AS delta FROM queue_entries e WHERE e.admitted_at IS NOT NULL
                UNION ALL
                SELECT e.performance_id, least(e.active_until, coalesce(e.ended_at, 'infinity')), -1
                  FROM queue_entries e WHERE e.admitted_at IS NOT NULL) ev) c
  JOIN queues q ON q.performance_id = c.performance_id
 WHERE c.active > q.max_active;

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

-- ============================================================================
-- operations.sql: for DBAs. The invariant checker and the pg_cron schedule.
-- ============================================================================

-- One row per violation; no rows means the books balance. Cheap enough to run
-- after every test and benchmark, and safe to run on a live system.
CREATE FUNCTION boxoffice.check_invariants()
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

-- Schedules sweep() every minute with pg_cron, the hourly purge of old
-- idempotency keys, and a daily purge of these jobs' run history
-- (cron.job_run_details grows forever otherwise).
-- Called at CREATE EXTENSION when pg_cron is there; DBAs may call it later.
-- Scheduling twice changes nothing (pg_cron keeps one job per name and user).
CREATE FUNCTION boxoffice.schedule_sweep() RETURNS text
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

CREATE FUNCTION boxoffice.unschedule_sweep() RETURNS text
LANGUAGE plpgsql SET search_path = boxoffice, pg_temp AS $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_extension WHERE extname = 'pg_cron') THEN
    RETURN 'pg_cron is not installed in this database';
  END IF;
  PERFORM cron.unschedule(jobid) FROM cron.job WHERE jobname IN ('boxoffice-sweep', 'boxoffice-purge-idempotency-keys', 'boxoffice-purge-cron-history');
  RETURN 'unscheduled';
END $$;
COMMENT ON FUNCTION boxoffice.unschedule_sweep IS 'removes the pg_cron jobs of boxoffice';

-- DROP EXTENSION boxoffice (or DROP SCHEMA boxoffice CASCADE) takes the jobs
-- with it: this event trigger unschedules them just before the drop, in the
-- same transaction (extension/src/cron_jobs.cpp).
CREATE FUNCTION boxoffice._unschedule_before_drop() RETURNS event_trigger
LANGUAGE c AS 'MODULE_PATHNAME', 'boxoffice_unschedule_before_drop';
CREATE EVENT TRIGGER boxoffice_unschedule_before_drop ON ddl_command_start
  WHEN TAG IN ('DROP EXTENSION', 'DROP SCHEMA') EXECUTE FUNCTION boxoffice._unschedule_before_drop();

-- A restore (pg_restore, or psql with pg_dump's script) brings pg_cron's job
-- rows back by itself, and scheduling here as well would collide with them.
-- pg_dump's scripts, and only they in practice, run with row_security = off.
SELECT boxoffice.schedule_sweep() WHERE current_setting('row_security') <> 'off';

-- ============================================================================
-- backup.sql: what pg_dump keeps. The rows of an extension's tables are
-- dumped only when the extension registers them. Every table is registered
-- with its identity sequence (so ids continue after a restore), except
-- seat_claims: the claims are rebuilt from the reservations as they are
-- restored (claims.sql). pg_cron's jobs are kept by pg_cron itself (its
-- cron.job table is registered the same way), so a restore does not schedule
-- them again (operations.sql).
-- ============================================================================

DO $register$
DECLARE
  t text;
BEGIN
  -- one call per statement: each call rewrites the extension's catalog row
  FOREACH t IN ARRAY ARRAY['venues', 'concerts', 'price_tiers', 'performances', 'seats', 'users', 'reservations', 'queue_entries', 'payments', 'ledger_entries', 'reconciliation_runs'] LOOP
    PERFORM pg_catalog.pg_extension_config_dump(format('boxoffice.%I', t)::regclass, '');
    PERFORM pg_catalog.pg_extension_config_dump(pg_catalog.pg_get_serial_sequence(format('boxoffice.%I', t), 'id')::regclass, '');
  END LOOP;
  PERFORM pg_catalog.pg_extension_config_dump('boxoffice.secrets', '');
  PERFORM pg_catalog.pg_extension_config_dump('boxoffice.queues', '');
  PERFORM pg_catalog.pg_extension_config_dump('boxoffice.payment_terms', '');
  PERFORM pg_catalog.pg_extension_config_dump('boxoffice.wallets', '');
  PERFORM pg_catalog.pg_extension_config_dump('boxoffice.idempotency_keys', '');
END $register$;

-- ============================================================================
-- security.sql: who may do what. Four roles, cluster-wide (roles belong to
-- the cluster, not to a database, and DROP EXTENSION leaves them):
--   boxoffice_owner  owns every table, view, type and function of boxoffice,
--                    so the SECURITY DEFINER functions run as a role that is
--                    not a superuser and cannot log in
--   boxoffice_app    the buyer API only (applications log in with a role that
--                    is a member of it and nothing else)
--   boxoffice_admin  the catalog and operations functions, plus the buyer API
--   boxoffice_payments  settles card-like payments with what the gateway said
--                    (the shim's gateway client and its reconciliation); no
--                    buyer may, or a buyer could declare a payment approved
-- Nobody but the owner touches the tables: every API function is SECURITY
-- DEFINER with a pinned search_path (queue_status pins it in C++ around its
-- SQL, see waiting_room.sql), and PUBLIC can execute nothing.
-- ============================================================================

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
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'boxoffice_payments') THEN
    CREATE ROLE boxoffice_payments NOLOGIN;
  END IF;
END $roles$;

REVOKE ALL ON ALL TABLES IN SCHEMA boxoffice FROM PUBLIC;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA boxoffice FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA boxoffice FROM PUBLIC;
REVOKE ALL ON SCHEMA boxoffice FROM PUBLIC;
GRANT USAGE ON SCHEMA boxoffice TO boxoffice_owner, boxoffice_app, boxoffice_admin, boxoffice_payments;

-- The buyer API.
GRANT EXECUTE ON FUNCTION
  boxoffice.concerts(), boxoffice.concert(bigint), boxoffice.performance(bigint), boxoffice.availability(bigint),
  boxoffice.seat_map(bigint),
  boxoffice.hold(bigint, bigint[], bigint, text, text), boxoffice.try_hold(bigint, bigint[], bigint, text, text),
  boxoffice.confirm(bigint, bigint, text, text, text, text),
  boxoffice.release(bigint, bigint, text), boxoffice.cancel(bigint, bigint, text, text),
  boxoffice.reservation(bigint, bigint, text), boxoffice.my_reservations(bigint), boxoffice.guest_lookup(text, text),
  boxoffice.register_user(text, text, text), boxoffice.verify_password(text, text), boxoffice.account(bigint),
  boxoffice.login(text, text),
  boxoffice.seat_layout(bigint), boxoffice.seat_statuses(bigint),
  boxoffice.enter_queue(bigint, bigint), boxoffice.queue_status(text, bigint), boxoffice.leave_queue(text, bigint),
  boxoffice.queue_info(bigint), boxoffice.queue_draw(bigint),
  boxoffice.charge_points(bigint, text, bigint), boxoffice.wallet(bigint), boxoffice.wallet_history(bigint, bigint, int),
  boxoffice.pay_with_points(bigint, text, bigint), boxoffice.payments_of(bigint, bigint),
  boxoffice.start_card_payment(bigint, text, text, bigint), boxoffice.begin_card_confirm(bigint, text, bigint),
  boxoffice.card_payment_outcome(bigint, bigint)
TO boxoffice_app;
GRANT SELECT ON boxoffice.error_codes TO boxoffice_app, boxoffice_admin;

-- The catalog and operations.
GRANT boxoffice_app TO boxoffice_admin;
GRANT EXECUTE ON FUNCTION
  boxoffice.create_venue(text, text, text[], int, int), boxoffice.delete_venue(bigint),
  boxoffice.create_concert(text, text, text, text), boxoffice.publish_concert(bigint),
  boxoffice.archive_concert(bigint), boxoffice.delete_concert(bigint),
  boxoffice.add_price_tier(bigint, text, bigint, int, int, text[]),
  boxoffice.create_performance(bigint, bigint, timestamptz, timestamptz, timestamptz, timestamptz, interval, int, int),
  boxoffice.set_performance_rules(bigint, interval, int, int), boxoffice.set_sales_window(bigint, timestamptz, timestamptz),
  boxoffice.cancel_performance(bigint), boxoffice.delete_performance(bigint),
  boxoffice.check_invariants(), boxoffice.sweep(int), boxoffice.set_admin(bigint, boolean),
  boxoffice.require_admin(bigint),
  boxoffice.set_queue(bigint, boolean, int, int, interval, interval), boxoffice.queue_settings(bigint),
  boxoffice.set_payment_terms(bigint, boolean, interval), boxoffice.payment_terms(bigint), boxoffice.purge_idempotency_keys()
TO boxoffice_admin;
GRANT SELECT ON boxoffice.queue_overview, boxoffice.sales, boxoffice.refunds, boxoffice.pending_payments,
  boxoffice.last_reconciliations TO boxoffice_admin;

-- Settling card-like payments.
GRANT EXECUTE ON FUNCTION
  boxoffice.settle_card_payment(text, boolean, bigint, text, text), boxoffice.settle_card_refund(text),
  boxoffice.card_payments_to_settle(interval, int),
  boxoffice.record_reconciliation(timestamptz, int, int, int, int, int, int, text)
TO boxoffice_payments;

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
