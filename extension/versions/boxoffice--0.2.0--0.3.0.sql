\echo Use "ALTER EXTENSION boxoffice UPDATE TO '0.3.0'" to load this file. \quit

-- ============================================================================
-- boxoffice 0.2.0 -> 0.3.0: one rule, one place (CHANGELOG.md). How long a
-- reservation holds its seats is one derived column, reservations.live_until;
-- the error catalogue carries each code's HTTP status and is the one source
-- of the codes; over HTTP the customer comes from the verified claims. Every
-- row stays; the result equals a fresh install of 0.3.0 (test/upgrade/run.sh
-- proves it). Frozen once released: never edit it.
-- ============================================================================

-- errors.sql: the catalogue gains each code's HTTP status -----------------------
DROP VIEW boxoffice.error_codes;
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
  ('TK023', 'guest_key_required',       422, 'a guest hold (no user_id) without a guest_key');

COMMENT ON VIEW boxoffice.error_codes IS 'every SQLSTATE that boxoffice raises on purpose, with its name, the HTTP status the shim answers and its meaning';


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

-- schema.sql: the rule of liveness, derived once --------------------------------
CREATE FUNCTION boxoffice._live_until(status boxoffice.reservation_status, expires_at timestamptz)
RETURNS timestamptz LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE status WHEN 'confirmed' THEN 'infinity'::timestamptz WHEN 'hold' THEN expires_at END;

ALTER TABLE boxoffice.reservations
  ADD COLUMN live_until timestamptz GENERATED ALWAYS AS (boxoffice._live_until(status, expires_at)) STORED;
DROP INDEX boxoffice.reservations_expiring;
CREATE INDEX reservations_live ON boxoffice.reservations (live_until) WHERE live_until IS NOT NULL;
DROP INDEX boxoffice.reservations_live_by_user;
CREATE INDEX reservations_live_by_user ON boxoffice.reservations (performance_id, user_id)
  WHERE live_until IS NOT NULL AND user_id IS NOT NULL;

-- The claims lose their copy of the expiry. They are derived data, so the
-- table is made anew (a dropped column would stay behind in the catalogue)
-- and its rows are derived again from the reservations.
DROP VIEW boxoffice._performance_summaries;
DROP VIEW boxoffice._seat_states;
DROP TABLE boxoffice.seat_claims;
CREATE TABLE boxoffice.seat_claims (
  seat_id        bigint PRIMARY KEY,
  performance_id bigint NOT NULL,
  reservation_id bigint NOT NULL
);
CREATE INDEX seat_claims_reservation ON boxoffice.seat_claims (reservation_id);
INSERT INTO boxoffice.seat_claims (seat_id, performance_id, reservation_id)
SELECT DISTINCT unnest(r.seat_ids), r.performance_id, r.id FROM boxoffice.reservations r WHERE r.live_until IS NOT NULL;
CREATE TRIGGER derived_only BEFORE INSERT OR UPDATE OR DELETE
  ON boxoffice.seat_claims FOR EACH ROW EXECUTE FUNCTION boxoffice._claims_are_derived();
CREATE TRIGGER derived_only_truncate BEFORE TRUNCATE
  ON boxoffice.seat_claims FOR EACH STATEMENT EXECUTE FUNCTION boxoffice._claims_are_derived();
ALTER TABLE boxoffice.seat_claims ENABLE ALWAYS TRIGGER derived_only, ENABLE ALWAYS TRIGGER derived_only_truncate;

CREATE OR REPLACE VIEW boxoffice._bookings AS
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

CREATE VIEW boxoffice._seat_states AS
SELECT s.id AS seat_id, s.performance_id, s.section, s.row_number, s.seat_number, s.tier_id, s.price,
       CASE WHEN r.live_until > statement_timestamp() THEN CASE r.status WHEN 'confirmed' THEN 'sold' ELSE 'held' END
            -- an uncorrelated subquery: read once per statement, not per seat
            WHEN s.id = ANY ((SELECT boxoffice._seats_being_taken())::bigint[]) THEN 'held'
            ELSE 'available' END AS status
  FROM boxoffice.seats s
  LEFT JOIN boxoffice.seat_claims cl ON cl.seat_id = s.id
  LEFT JOIN boxoffice.reservations r ON r.id = cl.reservation_id;

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

-- claims.sql: the trigger of this version's claims (the older one keeps a
-- pending database's books: extension/src/claims.cpp)
CREATE OR REPLACE FUNCTION boxoffice._claims_follow_reservation() RETURNS trigger
LANGUAGE c AS 'MODULE_PATHNAME', 'boxoffice_claims_follow_reservation_v3';

-- identity.sql: the customer of an HTTP request comes from its verified claims --
CREATE FUNCTION boxoffice._acting_user(user_id bigint) RETURNS bigint
LANGUAGE c STABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'boxoffice_acting_user';
COMMENT ON FUNCTION boxoffice._acting_user IS 'the user a call acts for: the verified claims'' sub when request.jwt.claims is set, else the user_id argument';

-- Every function that names its errors, reads live_until or asks who acts ------
CREATE OR REPLACE FUNCTION boxoffice.create_venue(name text, address text, sections text[], rows_per_section int, seats_per_row int)
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

CREATE OR REPLACE FUNCTION boxoffice._live_venue(venue_id bigint) RETURNS boxoffice.venues
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

CREATE OR REPLACE FUNCTION boxoffice.delete_venue(venue_id bigint) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = boxoffice, pg_temp AS $$
BEGIN
  PERFORM _live_venue(venue_id);
  IF EXISTS (SELECT FROM performances p WHERE p.venue_id = delete_venue.venue_id AND p.deleted_at IS NULL) THEN
    RAISE EXCEPTION 'venue is in use' USING ERRCODE = _sqlstate('invalid_state'),
      DETAIL = 'Performances at this venue have not been deleted.', HINT = 'Delete its performances first.';
  END IF;
  UPDATE venues SET deleted_at = now() WHERE id = venue_id;
END $$;

CREATE OR REPLACE FUNCTION boxoffice.create_concert(title text, artist text, description text DEFAULT '', poster_url text DEFAULT NULL)
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

CREATE OR REPLACE FUNCTION boxoffice._live_concert(concert_id bigint) RETURNS boxoffice.concerts
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

CREATE OR REPLACE FUNCTION boxoffice.publish_concert(concert_id bigint) RETURNS void
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

CREATE OR REPLACE FUNCTION boxoffice.archive_concert(concert_id bigint) RETURNS void
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

CREATE OR REPLACE FUNCTION boxoffice.add_price_tier(concert_id bigint, label text, price bigint, first_seat int, last_seat int, sections text[] DEFAULT NULL)
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

CREATE OR REPLACE FUNCTION boxoffice._check_rules(hold_lifetime interval, max_seats_per_hold int, max_seats_per_customer int) RETURNS void
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

CREATE OR REPLACE FUNCTION boxoffice._live_performance(performance_id bigint) RETURNS boxoffice.performances
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

CREATE OR REPLACE FUNCTION boxoffice.set_sales_window(performance_id bigint, sales_opens_at timestamptz, sales_closes_at timestamptz)
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

CREATE OR REPLACE FUNCTION boxoffice.register_user(email text, name text, password text) RETURNS bigint
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

CREATE OR REPLACE FUNCTION boxoffice.verify_password(email text, password text) RETURNS bigint
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

CREATE OR REPLACE FUNCTION boxoffice._account(user_id bigint) RETURNS boxoffice.account
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

CREATE OR REPLACE FUNCTION boxoffice.account(user_id bigint DEFAULT NULL) RETURNS boxoffice.account
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = boxoffice, pg_temp
RETURN _account(_acting_user(user_id));

COMMENT ON FUNCTION boxoffice.account IS 'a user''s account: email, name, and role (buyer or admin); over HTTP, the signed-in user''s';

CREATE OR REPLACE FUNCTION boxoffice.login(email text, password text) RETURNS boxoffice.account
LANGUAGE sql SECURITY DEFINER SET search_path = boxoffice, pg_temp
RETURN _account(verify_password(email, password));

COMMENT ON FUNCTION boxoffice.login IS 'the account whose email and password match, else raises invalid_credentials';

CREATE OR REPLACE FUNCTION boxoffice.set_admin(user_id bigint, is_admin boolean) RETURNS boxoffice.account
LANGUAGE plpgsql SECURITY DEFINER SET search_path = boxoffice, pg_temp AS $$
BEGIN
  IF is_admin IS NULL THEN
    RAISE EXCEPTION 'role is required' USING ERRCODE = _sqlstate('invalid_argument'), DETAIL = 'Say whether the user is an admin (true) or not (false).';
  END IF;
  PERFORM _account(user_id);  -- raises user_not_found
  UPDATE users u SET is_admin = set_admin.is_admin WHERE u.id = set_admin.user_id;
  RETURN _account(user_id);
END $$;

CREATE OR REPLACE FUNCTION boxoffice.concert(concert_id bigint) RETURNS boxoffice.concert_listing
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

CREATE OR REPLACE FUNCTION boxoffice._visible_performance(performance_id bigint) RETURNS boxoffice._visible_performances
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

CREATE OR REPLACE FUNCTION boxoffice.my_reservations(user_id bigint DEFAULT NULL) RETURNS SETOF boxoffice.booking
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = boxoffice, pg_temp AS $$
  SELECT b.* FROM _bookings b JOIN reservations r ON r.id = b.reservation_id
   WHERE r.user_id = _acting_user(my_reservations.user_id)
   ORDER BY r.id DESC
$$;

CREATE OR REPLACE FUNCTION boxoffice.reservation(reservation_id bigint, user_id bigint DEFAULT NULL, hold_token text DEFAULT NULL)
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

CREATE OR REPLACE FUNCTION boxoffice.hold(performance_id bigint, seat_ids bigint[], user_id bigint DEFAULT NULL, guest_key text DEFAULT NULL)
RETURNS boxoffice.booking LANGUAGE c VOLATILE SECURITY DEFINER SET search_path = boxoffice, pg_temp SET enable_seqscan = off
AS 'MODULE_PATHNAME', 'boxoffice_hold_v3';

CREATE OR REPLACE FUNCTION boxoffice.confirm(reservation_id bigint, user_id bigint DEFAULT NULL, hold_token text DEFAULT NULL,
                                  buyer_name text DEFAULT NULL, buyer_phone text DEFAULT NULL, guest_pin text DEFAULT NULL)
RETURNS boxoffice.booking LANGUAGE c VOLATILE SECURITY DEFINER SET search_path = boxoffice, pg_temp SET enable_seqscan = off
AS 'MODULE_PATHNAME', 'boxoffice_confirm_v3';

CREATE OR REPLACE FUNCTION boxoffice.release(reservation_id bigint, user_id bigint DEFAULT NULL, hold_token text DEFAULT NULL)
RETURNS boxoffice.booking LANGUAGE c VOLATILE SECURITY DEFINER SET search_path = boxoffice, pg_temp SET enable_seqscan = off
AS 'MODULE_PATHNAME', 'boxoffice_release_v3';

CREATE OR REPLACE FUNCTION boxoffice.cancel(reservation_id bigint, user_id bigint DEFAULT NULL, hold_token text DEFAULT NULL)
RETURNS boxoffice.booking LANGUAGE c VOLATILE SECURITY DEFINER SET search_path = boxoffice, pg_temp SET enable_seqscan = off
AS 'MODULE_PATHNAME', 'boxoffice_cancel_v3';

CREATE OR REPLACE FUNCTION boxoffice.try_hold(performance_id bigint, seat_ids bigint[], user_id bigint DEFAULT NULL, guest_key text DEFAULT NULL)
RETURNS boxoffice.booking LANGUAGE c VOLATILE SECURITY DEFINER SET search_path = boxoffice, pg_temp SET enable_seqscan = off
AS 'MODULE_PATHNAME', 'boxoffice_try_hold_v3';

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
$$;

-- security.sql: what is new is as closed as the rest, then granted
REVOKE ALL ON FUNCTION boxoffice._sqlstate(text), boxoffice._live_until(boxoffice.reservation_status, timestamptz),
  boxoffice._acting_user(bigint), boxoffice._account(bigint), boxoffice.login(text, text) FROM PUBLIC;
REVOKE ALL ON boxoffice.error_codes, boxoffice.seat_claims, boxoffice._seat_states, boxoffice._performance_summaries FROM PUBLIC;
GRANT SELECT ON boxoffice.error_codes TO boxoffice_app, boxoffice_admin;
GRANT EXECUTE ON FUNCTION boxoffice.login(text, text) TO boxoffice_app;

SELECT boxoffice._give_objects_to_owner();
