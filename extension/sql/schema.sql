
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
