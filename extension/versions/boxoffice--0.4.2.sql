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
  ('TK028', 'queue_not_enabled',        409, 'entering the queue of a performance that sells without one');

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
-- ============================================================================

CREATE FUNCTION boxoffice.hold(performance_id bigint, seat_ids bigint[], user_id bigint DEFAULT NULL, guest_key text DEFAULT NULL)
RETURNS boxoffice.booking LANGUAGE c VOLATILE SECURITY DEFINER SET search_path = boxoffice, pg_temp SET enable_seqscan = off
AS 'MODULE_PATHNAME', 'boxoffice_hold_v4';
COMMENT ON FUNCTION boxoffice.hold IS 'holds all the given seats or none, for the performance''s hold lifetime, for a user or a guest client (guest_key); returns the booking with its secret hold token';

CREATE FUNCTION boxoffice.confirm(reservation_id bigint, user_id bigint DEFAULT NULL, hold_token text DEFAULT NULL,
                                  buyer_name text DEFAULT NULL, buyer_phone text DEFAULT NULL, guest_pin text DEFAULT NULL)
RETURNS boxoffice.booking LANGUAGE c VOLATILE SECURITY DEFINER SET search_path = boxoffice, pg_temp SET enable_seqscan = off
AS 'MODULE_PATHNAME', 'boxoffice_confirm_v4';
COMMENT ON FUNCTION boxoffice.confirm IS 'turns a live hold of a performance on sale into a confirmed reservation with a reservation number; repeating it returns the same result';

CREATE FUNCTION boxoffice.release(reservation_id bigint, user_id bigint DEFAULT NULL, hold_token text DEFAULT NULL)
RETURNS boxoffice.booking LANGUAGE c VOLATILE SECURITY DEFINER SET search_path = boxoffice, pg_temp SET enable_seqscan = off
AS 'MODULE_PATHNAME', 'boxoffice_release_v4';
COMMENT ON FUNCTION boxoffice.release IS 'gives a hold''s seats back at once';

CREATE FUNCTION boxoffice.cancel(reservation_id bigint, user_id bigint DEFAULT NULL, hold_token text DEFAULT NULL)
RETURNS boxoffice.booking LANGUAGE c VOLATILE SECURITY DEFINER SET search_path = boxoffice, pg_temp SET enable_seqscan = off
AS 'MODULE_PATHNAME', 'boxoffice_cancel_v4';
COMMENT ON FUNCTION boxoffice.cancel IS 'cancels a hold or a confirmed reservation; its seats are available at once; repeating it returns the same result';

CREATE FUNCTION boxoffice.sweep(max_holds int DEFAULT 10000, OUT expired_holds bigint, OUT freed_seats bigint, OUT batches bigint)
RETURNS record LANGUAGE c VOLATILE SECURITY DEFINER SET search_path = boxoffice, pg_temp SET enable_seqscan = off
AS 'MODULE_PATHNAME', 'boxoffice_sweep';
COMMENT ON FUNCTION boxoffice.sweep IS 'marks expired holds expired and frees their seats, in batches, skipping locked rows; pg_cron runs it every minute';

CREATE FUNCTION boxoffice.try_hold(performance_id bigint, seat_ids bigint[], user_id bigint DEFAULT NULL, guest_key text DEFAULT NULL)
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
CREATE FUNCTION boxoffice.queue_status(token text, user_id bigint DEFAULT NULL) RETURNS boxoffice.queue_ticket
LANGUAGE c VOLATILE SECURITY DEFINER SET search_path = boxoffice, pg_temp AS 'MODULE_PATHNAME', 'boxoffice_queue_status';
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
  UPDATE queue_entries e SET state = 'used', ended_at = clock_timestamp()
   WHERE e.performance_id = NEW.performance_id AND e.user_id = NEW.user_id AND e.state = 'active';
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
$$;
COMMENT ON FUNCTION boxoffice.check_invariants IS 'one row per violated invariant (double claims, seat state vs reservation, totals vs prices, counts); empty when all is well';

-- Schedules sweep() every minute with pg_cron, plus a daily purge of this
-- job's run history (cron.job_run_details grows forever otherwise).
-- Called at CREATE EXTENSION when pg_cron is there; DBAs may call it later.
-- Scheduling twice changes nothing (pg_cron keeps one job per name and user).
CREATE FUNCTION boxoffice.schedule_sweep() RETURNS text
LANGUAGE plpgsql SET search_path = boxoffice, pg_temp AS $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_extension WHERE extname = 'pg_cron') THEN
    RETURN 'pg_cron is not installed in this database: run boxoffice.sweep() yourself, or CREATE EXTENSION pg_cron and call boxoffice.schedule_sweep()';
  END IF;
  PERFORM cron.schedule('boxoffice-sweep', '* * * * *', 'SELECT boxoffice.sweep()');
  PERFORM cron.schedule('boxoffice-purge-cron-history', '17 3 * * *',
    $purge$DELETE FROM cron.job_run_details
            WHERE end_time < now() - interval '7 days'
              AND jobid IN (SELECT jobid FROM cron.job WHERE jobname LIKE 'boxoffice-%')$purge$);
  RETURN 'scheduled: boxoffice-sweep every minute, boxoffice-purge-cron-history daily';
END $$;
COMMENT ON FUNCTION boxoffice.schedule_sweep IS 'schedules sweep() every minute with pg_cron (if installed) and a daily purge of its run history';

CREATE FUNCTION boxoffice.unschedule_sweep() RETURNS text
LANGUAGE plpgsql SET search_path = boxoffice, pg_temp AS $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_extension WHERE extname = 'pg_cron') THEN
    RETURN 'pg_cron is not installed in this database';
  END IF;
  PERFORM cron.unschedule(jobid) FROM cron.job WHERE jobname IN ('boxoffice-sweep', 'boxoffice-purge-cron-history');
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
  FOREACH t IN ARRAY ARRAY['venues', 'concerts', 'price_tiers', 'performances', 'seats', 'users', 'reservations', 'queue_entries'] LOOP
    PERFORM pg_catalog.pg_extension_config_dump(format('boxoffice.%I', t)::regclass, '');
    PERFORM pg_catalog.pg_extension_config_dump(pg_catalog.pg_get_serial_sequence(format('boxoffice.%I', t), 'id')::regclass, '');
  END LOOP;
  PERFORM pg_catalog.pg_extension_config_dump('boxoffice.secrets', '');
  PERFORM pg_catalog.pg_extension_config_dump('boxoffice.queues', '');
END $register$;

-- ============================================================================
-- security.sql: who may do what. Three roles, cluster-wide (roles belong to
-- the cluster, not to a database, and DROP EXTENSION leaves them):
--   boxoffice_owner  owns every table, view, type and function of boxoffice,
--                    so the SECURITY DEFINER functions run as a role that is
--                    not a superuser and cannot log in
--   boxoffice_app    the buyer API only (applications log in with a role that
--                    is a member of it and nothing else)
--   boxoffice_admin  the catalog and operations functions, plus the buyer API
-- Nobody but the owner touches the tables: every API function is SECURITY
-- DEFINER with a pinned search_path, and PUBLIC can execute nothing.
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
END $roles$;

REVOKE ALL ON ALL TABLES IN SCHEMA boxoffice FROM PUBLIC;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA boxoffice FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA boxoffice FROM PUBLIC;
REVOKE ALL ON SCHEMA boxoffice FROM PUBLIC;
GRANT USAGE ON SCHEMA boxoffice TO boxoffice_owner, boxoffice_app, boxoffice_admin;

-- The buyer API.
GRANT EXECUTE ON FUNCTION
  boxoffice.concerts(), boxoffice.concert(bigint), boxoffice.performance(bigint), boxoffice.availability(bigint),
  boxoffice.seat_map(bigint),
  boxoffice.hold(bigint, bigint[], bigint, text), boxoffice.try_hold(bigint, bigint[], bigint, text),
  boxoffice.confirm(bigint, bigint, text, text, text, text),
  boxoffice.release(bigint, bigint, text), boxoffice.cancel(bigint, bigint, text),
  boxoffice.reservation(bigint, bigint, text), boxoffice.my_reservations(bigint), boxoffice.guest_lookup(text, text),
  boxoffice.register_user(text, text, text), boxoffice.verify_password(text, text), boxoffice.account(bigint),
  boxoffice.login(text, text),
  boxoffice.seat_layout(bigint), boxoffice.seat_statuses(bigint),
  boxoffice.enter_queue(bigint, bigint), boxoffice.queue_status(text, bigint), boxoffice.leave_queue(text, bigint),
  boxoffice.queue_info(bigint), boxoffice.queue_draw(bigint)
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
  boxoffice.set_queue(bigint, boolean, int, int, interval, interval), boxoffice.queue_settings(bigint)
TO boxoffice_admin;
GRANT SELECT ON boxoffice.queue_overview TO boxoffice_admin;

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
