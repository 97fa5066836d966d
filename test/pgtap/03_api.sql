-- The buyer API end to end: signatures, one path per outcome, and that a
-- refused call changes nothing.
BEGIN;
SELECT plan(50);

-- signatures (pgmq shape: one verb per function, the object first)
SELECT has_function('boxoffice', 'hold', ARRAY['bigint', 'bigint[]', 'bigint', 'text', 'text']);
SELECT function_returns('boxoffice', 'hold', ARRAY['bigint', 'bigint[]', 'bigint', 'text', 'text'], 'boxoffice.booking');
SELECT function_lang_is('boxoffice', 'hold', ARRAY['bigint', 'bigint[]', 'bigint', 'text', 'text'], 'c');
SELECT is_definer('boxoffice', 'hold', ARRAY['bigint', 'bigint[]', 'bigint', 'text', 'text']);
SELECT has_function('boxoffice', 'confirm', ARRAY['bigint', 'bigint', 'text', 'text', 'text', 'text']);
SELECT function_lang_is('boxoffice', 'confirm', ARRAY['bigint', 'bigint', 'text', 'text', 'text', 'text'], 'c');
SELECT has_function('boxoffice', 'release', ARRAY['bigint', 'bigint', 'text']);
SELECT has_function('boxoffice', 'cancel', ARRAY['bigint', 'bigint', 'text', 'text']);
SELECT function_lang_is('boxoffice', 'sweep', ARRAY['integer'], 'c');
SELECT has_function('boxoffice', 'seat_map', ARRAY['bigint']);
SELECT has_function('boxoffice', 'guest_lookup', ARRAY['text', 'text']);
SELECT has_function('boxoffice', 'check_invariants', ARRAY[]::text[]);

-- fixtures: 1 section x 1 row x 6 seats
CREATE TEMP TABLE f AS
SELECT boxoffice.create_venue('TAP Hall', 'Seoul', ARRAY['A'], 1, 6) AS venue,
       boxoffice.create_concert('TAP Show', 'TAP') AS concert,
       boxoffice.register_user('tap-a@example.com', 'Tap A', 'password-a') AS ua,
       boxoffice.register_user('tap-b@example.com', 'Tap B', 'password-b') AS ub;
SELECT boxoffice.add_price_tier(concert, 'FRONT', 1000, 1, 3), boxoffice.add_price_tier(concert, 'BACK', 500, 4, 6) FROM f;
ALTER TABLE f ADD perf bigint;
UPDATE f SET perf = boxoffice.create_performance(concert, venue, now() + interval '30 days', max_seats_per_hold => 3);
SELECT boxoffice.publish_concert(concert) FROM f;
-- fixture.seats, the seat helper every SQL suite shares (rolled back with the rest)
\ir ../fixtures/seats.sql

SELECT is((SELECT count(*)::int FROM boxoffice.seat_map((SELECT perf FROM f))), 6, 'the performance has its 6 seats');
SELECT results_eq($$ SELECT tier, price, total::int FROM boxoffice.availability((SELECT perf FROM f)) $$,
                  $$ VALUES ('FRONT', 1000::bigint, 3), ('BACK', 500::bigint, 3) $$, 'availability per tier');

-- hold: success, then each refusal with its code
SELECT lives_ok($$ CREATE TEMP TABLE h1 AS SELECT * FROM boxoffice.hold((SELECT perf FROM f), fixture.seats((SELECT perf FROM f), 'A-1-1', 'A-1-2'), (SELECT ua FROM f)) $$,
                'user A holds seats 1 and 2');
SELECT is((SELECT status FROM h1), 'hold', 'the hold is live');
SELECT is((SELECT total_amount FROM h1), 2000::bigint, 'total is the sum of the seat prices');
SELECT ok((SELECT expires_at > now() + interval '4 minutes' FROM h1), 'it expires in about 5 minutes');
SELECT matches((SELECT hold_token FROM h1), '^[0-9a-f]{32}$', 'a 128-bit hold token is returned');
SELECT is((SELECT to_jsonb(h1) - 'hold_token' FROM h1),
          (SELECT to_jsonb(b) - 'hold_token' FROM boxoffice.reservation((SELECT reservation_id FROM h1), (SELECT ua FROM f)) b),
          'hold builds the same booking that reservation() reads from the view, token aside');
SELECT throws_ok($$ SELECT boxoffice.hold((SELECT perf FROM f), fixture.seats((SELECT perf FROM f), 'A-1-2', 'A-1-3'), (SELECT ub FROM f)) $$,
                 'TK003', 'some of the seats you selected were just taken', 'a taken seat refuses the whole hold');
SELECT is((SELECT status FROM boxoffice.seat_map((SELECT perf FROM f)) WHERE seat_id = (fixture.seats((SELECT perf FROM f), 'A-1-3'))[1]), 'available',
          'and the free seat of the refused hold stays free');
SELECT throws_ok($$ SELECT boxoffice.hold(-1, ARRAY[1], guest_key => 'tap') $$, 'TK001', 'performance not found');
SELECT throws_ok($$ SELECT boxoffice.hold((SELECT perf FROM f), '{}', guest_key => 'tap') $$, 'TK005', 'no seats requested');
SELECT throws_ok($$ SELECT boxoffice.hold((SELECT perf FROM f), fixture.seats((SELECT perf FROM f), 'A-1-3') || fixture.seats((SELECT perf FROM f), 'A-1-3'), guest_key => 'tap') $$, 'TK006', 'duplicate seats requested');
SELECT throws_ok($$ SELECT boxoffice.hold((SELECT perf FROM f), fixture.seats((SELECT perf FROM f), 'A-1-3', 'A-1-4', 'A-1-5', 'A-1-6'), guest_key => 'tap') $$, 'TK007', 'too many seats requested');
SELECT throws_ok($$ SELECT boxoffice.hold((SELECT perf FROM f), ARRAY[-1]::bigint[], guest_key => 'tap') $$, 'TK004', 'seats not in this performance');
SELECT throws_ok($$ SELECT boxoffice.hold((SELECT perf FROM f), fixture.seats((SELECT perf FROM f), 'A-1-3', 'A-1-4', 'A-1-5'), (SELECT ua FROM f)) $$,
                 'TK008', 'seat limit per customer reached');
SELECT throws_ok($$ SELECT boxoffice.hold((SELECT perf FROM f), fixture.seats((SELECT perf FROM f), 'A-1-3'), -7) $$, 'TK020', 'user not found');

-- ownership: B gets the same error as for a reservation that does not exist
SELECT throws_ok(format('SELECT boxoffice.confirm(%s, %s)', (SELECT reservation_id FROM h1), (SELECT ub FROM f)),
                 'TK009', 'reservation not found', 'B cannot confirm A''s hold');
SELECT throws_ok(format('SELECT boxoffice.cancel(%s, %s)', (SELECT reservation_id FROM h1), (SELECT ub FROM f)),
                 'TK009', 'reservation not found', 'B cannot cancel A''s hold');
SELECT throws_ok(format('SELECT boxoffice.reservation(%s, %s)', (SELECT reservation_id FROM h1), (SELECT ub FROM f)),
                 'TK009', 'reservation not found', 'B cannot read A''s hold');

-- confirm and cancel, idempotent
SELECT is((boxoffice.confirm((SELECT reservation_id FROM h1), (SELECT ua FROM f))).status, 'confirmed', 'A confirms');
SELECT is((boxoffice.confirm((SELECT reservation_id FROM h1), (SELECT ua FROM f))).reservation_number,
          (SELECT reservation_number FROM boxoffice.reservations WHERE id = (SELECT reservation_id FROM h1)), 'a second confirm returns the same number');
SELECT throws_ok(format('SELECT boxoffice.release(%s, %s)', (SELECT reservation_id FROM h1), (SELECT ua FROM f)),
                 'TK011', 'reservation is confirmed', 'a confirmed reservation is cancelled, not released');
SELECT lives_ok($$ CREATE TEMP TABLE c1 AS SELECT * FROM boxoffice.cancel((SELECT reservation_id FROM h1), hold_token => (SELECT hold_token FROM h1)) $$,
                'the token also cancels');
SELECT is((SELECT status FROM c1), 'cancelled', 'the reservation is cancelled');
SELECT is((SELECT to_jsonb(c1) FROM c1),
          (SELECT to_jsonb(b) FROM boxoffice.reservation((SELECT reservation_id FROM h1), (SELECT ua FROM f)) b),
          'cancel builds the same booking that reservation() reads from the view');
SELECT is((boxoffice.cancel((SELECT reservation_id FROM h1), (SELECT ua FROM f))).status, 'cancelled', 'a second cancel succeeds');
SELECT lives_ok($$ CREATE TEMP TABLE r1 AS SELECT * FROM boxoffice.release(
                     (boxoffice.hold((SELECT perf FROM f), fixture.seats((SELECT perf FROM f), 'A-1-3', 'A-1-4'), (SELECT ub FROM f))).reservation_id, (SELECT ub FROM f)) $$,
                'B holds seats 3 and 4 and releases them');
SELECT is((SELECT to_jsonb(r1) FROM r1),
          (SELECT to_jsonb(b) FROM boxoffice.reservation((SELECT reservation_id FROM r1), (SELECT ub FROM f)) b),
          'release builds the same booking that reservation() reads from the view');
SELECT is((SELECT count(*)::int FROM boxoffice.seat_map((SELECT perf FROM f)) WHERE status = 'available'), 6, 'all seats are free again');

-- guests
SELECT lives_ok($$ CREATE TEMP TABLE g AS SELECT * FROM boxoffice.hold((SELECT perf FROM f), fixture.seats((SELECT perf FROM f), 'A-1-5', 'A-1-6'), guest_key => 'tap') $$, 'a guest holds');
SELECT throws_ok($$ SELECT boxoffice.confirm((SELECT reservation_id FROM g), hold_token => (SELECT hold_token FROM g)) $$,
                 'TK021', 'buyer details required');
SELECT throws_ok($$ SELECT boxoffice.confirm((SELECT reservation_id FROM g), hold_token => (SELECT hold_token FROM g),
                   buyer_name => 'G', buyer_phone => '02-123', guest_pin => '1234') $$, 'TK013', 'invalid phone number');
SELECT throws_ok($$ SELECT boxoffice.confirm((SELECT reservation_id FROM g), hold_token => (SELECT hold_token FROM g),
                   buyer_name => 'G', buyer_phone => '010-5555-6666', guest_pin => '12') $$, 'TK014', 'invalid pin');
SELECT is((boxoffice.confirm((SELECT reservation_id FROM g), hold_token => (SELECT hold_token FROM g),
                             buyer_name => 'G', buyer_phone => '010-5555-6666', guest_pin => '0000')).status, 'confirmed', 'the guest confirms');
SELECT is((SELECT count(*)::int FROM boxoffice.guest_lookup('01055556666', '0000')), 1, 'and finds it again by phone and PIN');
SELECT throws_ok($$ SELECT boxoffice.guest_lookup('01055556666', '1111') $$, 'TK012', 'no matching reservation');

SELECT is_empty($$ SELECT * FROM boxoffice.check_invariants() $$, 'no invariant is violated');

SELECT * FROM finish();
ROLLBACK;
