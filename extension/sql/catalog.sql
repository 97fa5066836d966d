
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
