
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
