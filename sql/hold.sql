-- hold(): all seats or none, every refusal with its own SQLSTATE, and a
-- refused hold changes nothing.
\set SHOW_CONTEXT never
SET client_min_messages = warning;
CREATE FUNCTION t.held(perf text) RETURNS bigint LANGUAGE sql AS $$
  SELECT count(*) FROM boxoffice.seat_map(t.id(perf)) WHERE status <> 'available' $$;
CREATE FUNCTION t.reservations() RETURNS bigint LANGUAGE sql AS $$ SELECT count(*) FROM boxoffice.reservations $$;

-- a user holds two seats
SELECT (h).status, (h).performance_id = t.id('p1') AS right_performance, (h).total_amount,
       jsonb_array_length((h).seats) AS seats, ((h).seats -> 0) - 'seat_id' AS first_seat,
       (h).expires_at > now() AS expires_later, (h).expires_at <= now() + interval '5 minutes 1 second' AS within_lifetime,
       length((h).hold_token) AS token_length, (h).reservation_number IS NULL AS no_number_yet,
       (h).concert_title, (h).venue_name
  FROM (SELECT boxoffice.hold(t.id('p1'), fixture.seats(t.id('p1'), 'A-1-1', 'A-1-2'), t.id('alice')) AS h) x;
SELECT t.held('p1') AS held_seats;
SELECT status FROM boxoffice.seat_map(t.id('p1')) WHERE seat_id = ANY (fixture.seats(t.id('p1'), 'A-1-1', 'A-1-2', 'A-1-3')) ORDER BY seat_id;
-- the token is stored only as a hash
SELECT octet_length(hold_token_hash) AS sha256_bytes FROM boxoffice.reservations;

-- a guest holds seats; the token is the only key
SELECT (boxoffice.hold(t.id('p1'), fixture.seats(t.id('p1'), 'B-2-10'), guest_key => 'client-1')).hold_token AS guest_token \gset
SELECT length(:'guest_token') AS token_length, t.held('p1') AS held_seats;

-- refusals: each with its own code, and nothing changes
SELECT t.reservations() AS before \gset
SELECT boxoffice.hold(t.id('p1'), fixture.seats(t.id('p1'), 'A-1-2', 'A-1-3'), guest_key => 'client-1');  -- A-1-2 is taken: all or nothing
\echo :LAST_ERROR_SQLSTATE
SELECT status FROM boxoffice.seat_map(t.id('p1')) WHERE seat_id = (fixture.seats(t.id('p1'), 'A-1-3'))[1];
SELECT boxoffice.hold(t.id('p1'), fixture.seats(t.id('p1'), 'B-2-10', 'A-1-1'), t.id('bob'));  -- both taken: both named
\echo :LAST_ERROR_SQLSTATE
SELECT boxoffice.hold(999999, ARRAY[1], guest_key => 'client-1');
\echo :LAST_ERROR_SQLSTATE
SELECT boxoffice.hold(NULL, ARRAY[1], guest_key => 'client-1');
\echo :LAST_ERROR_SQLSTATE
SELECT boxoffice.hold(t.id('p_draft'), fixture.seats(t.id('p_draft'), 'A-1-1'), guest_key => 'client-1');  -- concert not published: invisible
\echo :LAST_ERROR_SQLSTATE
SELECT boxoffice.hold(t.id('p_gone'), fixture.seats(t.id('p_gone'), 'A-1-1'), guest_key => 'client-1');  -- deleted
\echo :LAST_ERROR_SQLSTATE
SELECT boxoffice.hold(t.id('p_later'), fixture.seats(t.id('p_later'), 'A-1-1'), guest_key => 'client-1');  -- sales not open yet
\echo :LAST_ERROR_SQLSTATE
SELECT boxoffice.hold(t.id('p_cancelled'), fixture.seats(t.id('p_cancelled'), 'A-1-1'), guest_key => 'client-1');
\echo :LAST_ERROR_SQLSTATE
-- bad input is refused before anything else, whoever asks
SELECT boxoffice.hold(t.id('p1'), ARRAY[]::bigint[]);
\echo :LAST_ERROR_SQLSTATE
SELECT boxoffice.hold(t.id('p1'), NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT boxoffice.hold(t.id('p1'), ARRAY[(fixture.seats(t.id('p1'), 'C-1-1'))[1], NULL]);
\echo :LAST_ERROR_SQLSTATE
SELECT boxoffice.hold(t.id('p1'), ARRAY[[1, 2], [3, 4]]::bigint[]);
\echo :LAST_ERROR_SQLSTATE
SELECT boxoffice.hold(t.id('p1'), fixture.seats(t.id('p1'), 'C-1-1', 'C-1-2', 'C-1-1'));
\echo :LAST_ERROR_SQLSTATE
SELECT boxoffice.hold(t.id('p1'), fixture.seats(t.id('p1'), 'C-1-1', 'C-1-2', 'C-1-3', 'C-1-4', 'C-1-5'), guest_key => 'client-1');
\echo :LAST_ERROR_SQLSTATE
SELECT boxoffice.hold(t.id('p1'), fixture.seats(t.id('p2'), 'C-1-1') || fixture.seats(t.id('p1'), 'C-1-2'), guest_key => 'client-1');  -- a seat of another performance
\echo :LAST_ERROR_SQLSTATE
SELECT boxoffice.hold(t.id('p1'), ARRAY[-5]::bigint[], guest_key => 'client-1');
\echo :LAST_ERROR_SQLSTATE
SELECT boxoffice.hold(t.id('p1'), fixture.seats(t.id('p1'), 'C-1-1'), 999999);  -- unknown user
\echo :LAST_ERROR_SQLSTATE
SELECT boxoffice.hold(t.id('p1'), fixture.seats(t.id('p1'), 'C-1-1'));  -- a guest names its client
\echo :LAST_ERROR_SQLSTATE
SELECT boxoffice.hold(t.id('p1'), fixture.seats(t.id('p1'), 'C-1-1'), guest_key => '');
\echo :LAST_ERROR_SQLSTATE
-- per-customer limit: alice holds 2, may take 2 more, not 3
SELECT boxoffice.hold(t.id('p1'), fixture.seats(t.id('p1'), 'C-1-1', 'C-1-2', 'C-1-3'), t.id('alice'));
\echo :LAST_ERROR_SQLSTATE
SELECT t.reservations() - :before AS new_reservations, t.held('p1') AS held_seats;

SELECT (boxoffice.hold(t.id('p1'), fixture.seats(t.id('p1'), 'C-1-1', 'C-1-2'), t.id('alice'))).status;
SELECT boxoffice.hold(t.id('p1'), fixture.seats(t.id('p1'), 'C-1-3'), t.id('alice'));
\echo :LAST_ERROR_SQLSTATE
-- the limit is per performance
SELECT (boxoffice.hold(t.id('p2'), fixture.seats(t.id('p2'), 'C-1-1'), t.id('alice'))).status;
-- the limit per hold is per performance too (p2 allows 2)
SELECT boxoffice.hold(t.id('p2'), fixture.seats(t.id('p2'), 'D-1-1', 'D-1-2', 'D-1-3'), t.id('bob'));
\echo :LAST_ERROR_SQLSTATE
SELECT t.held('p1') AS held_p1, t.held('p2') AS held_p2;
SELECT * FROM boxoffice.check_invariants();
-- a deleted performance is gone for buyers
SELECT boxoffice.hold(t.id('p_tmp'), fixture.seats(t.id('p_tmp'), 'A-1-1'), guest_key => 'client-1');
\echo :LAST_ERROR_SQLSTATE

-- one guest client may hold at most the performance's limit per customer at
-- once (4 on p1), in as many holds as it likes; another client is not affected
SELECT (h).reservation_id AS bot_res, (h).hold_token AS bot_token
  FROM (SELECT boxoffice.hold(t.id('p1'), fixture.seats(t.id('p1'), 'D-2-1', 'D-2-2'), guest_key => 'bot') AS h) x \gset
SELECT (boxoffice.hold(t.id('p1'), fixture.seats(t.id('p1'), 'D-2-3', 'D-2-4'), guest_key => 'bot')).status AS second_hold;
SELECT boxoffice.hold(t.id('p1'), fixture.seats(t.id('p1'), 'D-2-5'), guest_key => 'bot');
\echo :LAST_ERROR_SQLSTATE
SELECT (boxoffice.hold(t.id('p1'), fixture.seats(t.id('p1'), 'D-2-5'), guest_key => 'another client')).status AS another_client;
-- a released hold gives the client its seats back
SELECT (boxoffice.release(:bot_res, hold_token => :'bot_token')).status;
SELECT (boxoffice.hold(t.id('p1'), fixture.seats(t.id('p1'), 'D-2-6', 'D-2-7'), guest_key => 'bot')).status AS after_release;
-- a user's limit is the user's: a key given with a user id is not kept
SELECT (boxoffice.hold(t.id('p1'), fixture.seats(t.id('p1'), 'D-2-8'), t.id('bob'), guest_key => 'bot')).status AS user_with_a_key;
SELECT count(*) AS user_holds_with_a_key FROM boxoffice.reservations WHERE user_id IS NOT NULL AND guest_key_hash IS NOT NULL;
SELECT * FROM boxoffice.check_invariants();
