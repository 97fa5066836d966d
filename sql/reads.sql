-- Buyers' reads: concerts with availability, seat map, own reservations,
-- guest lookup.
\set SHOW_CONTEXT never
SET client_min_messages = warning;

SELECT concert_id = t.id('show') AS is_show, title, artist, poster_url, jsonb_array_length(performances) AS performances
  FROM boxoffice.concerts();
-- each performance with seat counts; cancelled ones are listed, not on sale
SELECT p ->> 'venue' AS venue, (p ->> 'on_sale')::boolean AS on_sale, p ->> 'status' AS status,
       (p ->> 'total')::int AS total, (p ->> 'available')::int + (p ->> 'held')::int + (p ->> 'sold')::int AS adds_up,
       p ->> 'max_seats_per_hold' AS per_hold, p ->> 'hold_lifetime_seconds' AS hold_seconds
  FROM boxoffice.concert(t.id('show')) c, jsonb_array_elements(c.performances) p
 ORDER BY p ->> 'starts_at';
SELECT boxoffice.concert(t.id('partial'));  -- a draft is not shown
\echo :LAST_ERROR_SQLSTATE
SELECT boxoffice.concert(999999);
\echo :LAST_ERROR_SQLSTATE

-- availability per tier at this instant (p1: alice bought A-1-1..2 and holds C-1-1..2, all SPECIAL;
-- a guest holds B-2-10, ADVANCED, and bought D-4-19..20, REGULAR)
SELECT * FROM boxoffice.availability(t.id('p1'));
SELECT boxoffice.availability(t.id('p_draft'));
\echo :LAST_ERROR_SQLSTATE

-- the seat map: every seat, with tier, price and status
SELECT count(*) AS seats, count(DISTINCT seat_id) AS distinct_seats FROM boxoffice.seat_map(t.id('p1'));
SELECT section, row_number, seat_number, tier, price, status FROM boxoffice.seat_map(t.id('p1'))
 WHERE (section, row_number) IN (('A', 1), ('D', 4)) AND seat_number IN (1, 2, 3, 4, 8, 16, 19, 20)
 ORDER BY section, row_number, seat_number;
SELECT status, count(*) FROM boxoffice.seat_map(t.id('p1')) GROUP BY status ORDER BY status;
SELECT boxoffice.seat_map(999999);
\echo :LAST_ERROR_SQLSTATE
-- the same map in two parts, for caches: the layout is the map without the
-- statuses, and the statuses name exactly the seats the map calls held and sold
SELECT boxoffice.seat_layout(t.id('p1')) = (SELECT jsonb_agg(to_jsonb(s) - 'status' ORDER BY s.seat_id)
                                             FROM boxoffice.seat_map(t.id('p1')) s) AS layout_is_the_map;
SELECT boxoffice.seat_statuses(t.id('p1')) = (SELECT jsonb_build_object(
         'held', (SELECT jsonb_agg(seat_id ORDER BY seat_id) FROM boxoffice.seat_map(t.id('p1')) WHERE status = 'held'),
         'sold', (SELECT jsonb_agg(seat_id ORDER BY seat_id) FROM boxoffice.seat_map(t.id('p1')) WHERE status = 'sold')))
       AS statuses_are_the_map;
SELECT boxoffice.seat_layout(999999);
\echo :LAST_ERROR_SQLSTATE
SELECT boxoffice.seat_statuses(t.id('p_draft'));
\echo :LAST_ERROR_SQLSTATE

-- my reservations: newest first, only mine
SELECT status, total_amount, jsonb_array_length(seats) AS seats, reservation_number IS NOT NULL AS has_number
  FROM boxoffice.my_reservations(t.id('alice'));
SELECT count(*) AS carol_sees FROM boxoffice.my_reservations(t.id('carol'));
SELECT count(*) AS nobody_sees FROM boxoffice.my_reservations(999999);

-- one reservation: for its owner only
SELECT id AS alice_res FROM boxoffice.reservations WHERE user_id = t.id('alice') AND status = 'confirmed' \gset
SELECT status, concert_title, venue_name, seats -> 0 ->> 'tier' AS tier, buyer_name
  FROM boxoffice.reservation(:alice_res, t.id('alice'));
SELECT boxoffice.reservation(:alice_res, t.id('bob'));
\echo :LAST_ERROR_SQLSTATE
SELECT boxoffice.reservation(:alice_res);
\echo :LAST_ERROR_SQLSTATE

-- guest lookup by phone + PIN
SELECT status, buyer_name, total_amount, jsonb_array_length(seats) AS seats
  FROM boxoffice.guest_lookup('010-1234-5678', '1234');
SELECT count(*) FROM boxoffice.guest_lookup('01012345678', '1234');  -- any formatting of the same number
SELECT boxoffice.guest_lookup('010-1234-5678', '4321');
\echo :LAST_ERROR_SQLSTATE
SELECT boxoffice.guest_lookup('010-9999-9999', '1234');
\echo :LAST_ERROR_SQLSTATE
SELECT boxoffice.guest_lookup('12345', '1234');
\echo :LAST_ERROR_SQLSTATE
SELECT boxoffice.guest_lookup('010-1234-5678', '12345');
\echo :LAST_ERROR_SQLSTATE
-- a user's reservation is never found by guest lookup, even with the same phone
SELECT count(*) FROM boxoffice.guest_lookup('01011112222', '1234');
\echo :LAST_ERROR_SQLSTATE

-- 5 wrong PINs lock a phone number for 15 minutes, right PIN or not; each
-- look-up here is its own transaction, so the count outlives the error
SELECT boxoffice.guest_lookup('010-7777-0001', '0000');
SELECT boxoffice.guest_lookup('010-7777-0001', '0001');
SELECT boxoffice.guest_lookup('010-7777-0001', '0002');
SELECT boxoffice.guest_lookup('010-7777-0001', '0003');
SELECT boxoffice.guest_lookup('010-7777-0001', '0004');
\echo :LAST_ERROR_SQLSTATE
\set VERBOSITY terse
SELECT boxoffice.guest_lookup('010-7777-0001', '0005');
\set VERBOSITY default
\echo :LAST_ERROR_SQLSTATE
SELECT boxoffice._guest_lookup_attempt('01077770001') BETWEEN 890 AND 900 AS locked_for_15_minutes;
-- other phone numbers are not affected; a right PIN is answered, and its
-- attempt is given back (the wrong ones still count)
SELECT boxoffice.guest_lookup('010-1234-5678', '0000');
SELECT count(*) AS found FROM boxoffice.guest_lookup('010-1234-5678', '1234');

-- the answer time does not tell whether a phone number has bookings: one
-- bcrypt either way (0.1.0 spent one per booking of the phone, 0.03 ms on a
-- phone without any)
SELECT (h).reservation_id AS timed_res, (h).hold_token AS timed_token
  FROM (SELECT boxoffice.hold(t.id('p2'), fixture.seats(t.id('p2'), 'A-2-1'), guest_key => 'timed') AS h) x \gset
SELECT (boxoffice.confirm(:timed_res, hold_token => :'timed_token', buyer_name => 'Timed Guest',
                          buyer_phone => '010-6666-0001', guest_pin => '1111')).status;
CREATE TEMP TABLE lookup_times (has_bookings boolean, ms float8);
DO $$
DECLARE
  t0 timestamptz;
  phone text;
BEGIN
  FOR i IN 1..4 LOOP
    FOREACH phone IN ARRAY ARRAY['010-6666-0001', '010-7777-0002'] LOOP
      t0 := clock_timestamp();
      BEGIN
        PERFORM boxoffice.guest_lookup(phone, '9' || i || '99');
      EXCEPTION WHEN SQLSTATE 'TK012' THEN NULL;
      END;
      INSERT INTO lookup_times VALUES (phone = '010-6666-0001', 1000 * extract(epoch FROM clock_timestamp() - t0));
    END LOOP;
  END LOOP;
END $$;
SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) FILTER (WHERE has_bookings)
     / percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) FILTER (WHERE NOT has_bookings) BETWEEN 0.33 AND 3 AS same_answer_time
  FROM lookup_times;
-- a right PIN does not wipe the wrong ones out (a guesser could book for the
-- phone himself and reset the count with his own PIN): 4 wrong, 1 right,
-- 1 wrong, and the phone is locked
SELECT count(*) AS found FROM boxoffice.guest_lookup('010-6666-0001', '1111');
SELECT boxoffice.guest_lookup('010-6666-0001', '9599');
\set VERBOSITY terse
SELECT boxoffice.guest_lookup('010-6666-0001', '1111');
\set VERBOSITY default
\echo :LAST_ERROR_SQLSTATE

SELECT sqlstate, name FROM boxoffice.error_codes ORDER BY sqlstate;

-- one performance as JSON, for an HTTP client
SELECT p ->> 'concert_title' AS concert, p ->> 'venue' AS venue, (p ->> 'total')::int AS total,
       (p ->> 'on_sale')::boolean AS on_sale, jsonb_array_length(p -> 'tiers') AS tiers,
       p -> 'tiers' -> 0 ->> 'tier' AS top_tier
  FROM boxoffice.performance(t.id('p1')) p;
SELECT boxoffice.performance(t.id('p_draft'));
\echo :LAST_ERROR_SQLSTATE
