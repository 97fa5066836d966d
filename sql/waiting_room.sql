-- The waiting room: settings, entering, every state of an entry, the gate on
-- holds, the shuffle of the pre-queue and its recomputation, sold out, and
-- every error. Positions and waits are printed; times only as comparisons.
\set SHOW_CONTEXT never
SET client_min_messages = warning;
SET boxoffice.queue_pause = 0;  -- the line moves at every call, not at most every 100 ms

INSERT INTO t.fixtures SELECT 'wr_hall', boxoffice.create_venue('Queue Hall', 'Seoul', ARRAY['A'], 1, 4);
INSERT INTO t.fixtures SELECT 'wr_show', boxoffice.create_concert('Queue Show', 'NewJeans');
SELECT boxoffice.add_price_tier(t.id('wr_show'), 'R', 1000, 1, 4) > 0 AS tier;
SELECT boxoffice.publish_concert(t.id('wr_show'));
-- on sale now, and one whose sales open in an hour
INSERT INTO t.fixtures SELECT 'wr_now', boxoffice.create_performance(t.id('wr_show'), t.id('wr_hall'), now() + interval '10 days',
                                                                     sales_opens_at => now() - interval '1 minute');
INSERT INTO t.fixtures SELECT 'wr_later', boxoffice.create_performance(t.id('wr_show'), t.id('wr_hall'), now() + interval '11 days',
                                                                       sales_opens_at => now() + interval '1 hour');
INSERT INTO t.fixtures SELECT 'wr_u' || n, boxoffice.register_user('wr' || n || '@example.com', 'Fan ' || n, 'password' || n)
  FROM generate_series(1, 6) n;

-- settings: none yet, then a queue of two slots
SELECT boxoffice.queue_settings(t.id('wr_now')) ->> 'enabled' AS enabled_before;
SELECT s - 'prequeue_opens_at' - 'sales_opens_at' - 'seed_commitment' - 'opened_at' - 'performance_id' AS settings,
       length(s ->> 'seed_commitment') AS commitment_hex_length
  FROM boxoffice.set_queue(t.id('wr_now'), max_active => 2) s;
SELECT boxoffice.set_queue(t.id('wr_now'), max_active => 0);
\echo :LAST_ERROR_SQLSTATE
SELECT boxoffice.set_queue(t.id('wr_now'), active_stay => interval '1 second');
\echo :LAST_ERROR_SQLSTATE
SELECT boxoffice.set_queue(-1);
\echo :LAST_ERROR_SQLSTATE

-- entering: three users for two slots
CREATE TEMP TABLE tickets AS
SELECT n, (boxoffice.enter_queue(t.id('wr_now'), t.id('wr_u' || n))).* FROM generate_series(1, 3) n;
SELECT n, state, position, estimated_wait_seconds, active_until > now() AS active_until_later, poll_after_seconds,
       token ~ '^q[0-9]+[.][0-9a-f]{64}$' AS token_shape
  FROM tickets ORDER BY n;
-- entering again returns the same entry and token
SELECT e.token = t3.token AS same_token, e.state, e.position
  FROM boxoffice.enter_queue(t.id('wr_now'), t.id('wr_u3')) e, tickets t3 WHERE t3.n = 3;
SELECT count(*) AS entries FROM boxoffice.queue_entries WHERE performance_id = t.id('wr_now');

-- the gate: no hold without an active turn, for users and guests alike
SELECT boxoffice.hold(t.id('wr_now'), fixture.seats(t.id('wr_now'), 'A-1-1'), t.id('wr_u3'));
\echo :LAST_ERROR_SQLSTATE
SELECT boxoffice.try_hold(t.id('wr_now'), fixture.seats(t.id('wr_now'), 'A-1-1'), guest_key => 'guest');
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS reservations FROM boxoffice.reservations WHERE performance_id = t.id('wr_now');
-- an active user holds; the hold extends the turn until it ends
SELECT (boxoffice.hold(t.id('wr_now'), fixture.seats(t.id('wr_now'), 'A-1-1', 'A-1-2'), t.id('wr_u1'))).status AS held;
SELECT e.active_until = r.expires_at AS stay_extended_to_hold
  FROM boxoffice.queue_entries e JOIN boxoffice.reservations r ON r.user_id = e.user_id AND r.performance_id = e.performance_id
 WHERE e.user_id = t.id('wr_u1') AND e.performance_id = t.id('wr_now');

-- status: by token, for its owner only; others get the same error as for nonsense
SELECT state, position FROM boxoffice.queue_status((SELECT token FROM tickets WHERE n = 3), t.id('wr_u3'));
SELECT boxoffice.queue_status((SELECT token FROM tickets WHERE n = 3), t.id('wr_u2'));
\echo :LAST_ERROR_SQLSTATE
SELECT boxoffice.queue_status('q1.' || repeat('0', 64), t.id('wr_u3'));
\echo :LAST_ERROR_SQLSTATE
SELECT boxoffice.queue_status('nonsense', t.id('wr_u3'));
\echo :LAST_ERROR_SQLSTATE
-- an id too long for bigint, a token without its secret, and none at all: the same error
SELECT boxoffice.queue_status('q99999999999999999999.' || repeat('0', 64), t.id('wr_u3'));
\echo :LAST_ERROR_SQLSTATE
SELECT boxoffice.queue_status((SELECT split_part(token, '.', 1) || '.' FROM tickets WHERE n = 3), t.id('wr_u3'));
\echo :LAST_ERROR_SQLSTATE
SELECT boxoffice.queue_status(NULL, t.id('wr_u3'));
\echo :LAST_ERROR_SQLSTATE

-- a purchase uses the turn and frees the slot; the next poll admits user 3
SELECT (boxoffice.confirm(r.id, t.id('wr_u1'))).status FROM boxoffice.reservations r
 WHERE r.user_id = t.id('wr_u1') AND r.performance_id = t.id('wr_now');
SELECT state, position, active_until IS NULL AS no_end FROM boxoffice.queue_status((SELECT token FROM tickets WHERE n = 1), t.id('wr_u1'));
SELECT state, position, active_until > now() AS active FROM boxoffice.queue_status((SELECT token FROM tickets WHERE n = 3), t.id('wr_u3'));

-- leaving frees a slot at once (user 4 is admitted by the leave); leaving again changes nothing
SELECT state, position FROM boxoffice.enter_queue(t.id('wr_now'), t.id('wr_u4'));
SELECT state FROM boxoffice.leave_queue((SELECT token FROM tickets WHERE n = 2), t.id('wr_u2'));
SELECT state FROM boxoffice.leave_queue((SELECT token FROM tickets WHERE n = 2), t.id('wr_u2'));
SELECT state FROM boxoffice.queue_status((SELECT token FROM boxoffice.enter_queue(t.id('wr_now'), t.id('wr_u4'))), t.id('wr_u4'));
SELECT boxoffice.hold(t.id('wr_now'), fixture.seats(t.id('wr_now'), 'A-1-3'), t.id('wr_u2'));
\echo :LAST_ERROR_SQLSTATE

-- an active stay that ran out is expired that instant, and its slot is free
UPDATE boxoffice.queue_entries SET active_until = admitted_at  -- its stay ran out
 WHERE user_id = t.id('wr_u4') AND performance_id = t.id('wr_now');
SELECT state, active_until FROM boxoffice.enter_queue(t.id('wr_now'), t.id('wr_u4'));
SELECT waiting, active, wait_at_back IS NOT NULL AS has_wait FROM boxoffice.queue_overview WHERE performance_id = t.id('wr_now');

-- sold out: user 3 buys the last two seats; user 5 waits and is told SOLD_OUT
SELECT (boxoffice.confirm((boxoffice.hold(t.id('wr_now'), fixture.seats(t.id('wr_now'), 'A-1-3', 'A-1-4'), t.id('wr_u3'))).reservation_id,
                          t.id('wr_u3'))).status;
SELECT state AS u6 FROM boxoffice.enter_queue(t.id('wr_now'), t.id('wr_u6'));
SELECT state, position, poll_after_seconds FROM boxoffice.enter_queue(t.id('wr_now'), t.id('wr_u5'));
-- seats come back (a cancellation): admission resumes
SELECT (boxoffice.cancel(r.id, t.id('wr_u3'))).status FROM boxoffice.reservations r
 WHERE r.user_id = t.id('wr_u3') AND r.status = 'confirmed';
SELECT state FROM boxoffice.queue_status((SELECT token FROM boxoffice.enter_queue(t.id('wr_now'), t.id('wr_u6'))), t.id('wr_u6'));
SELECT state, position FROM boxoffice.queue_status((SELECT token FROM boxoffice.enter_queue(t.id('wr_now'), t.id('wr_u5'))), t.id('wr_u5'));

-- errors of entering
SELECT boxoffice.enter_queue(t.id('wr_now'));
\echo :LAST_ERROR_SQLSTATE
SELECT boxoffice.enter_queue(-1, t.id('wr_u1'));
\echo :LAST_ERROR_SQLSTATE
SELECT boxoffice.enter_queue(t.id('wr_later'), t.id('wr_u1'));
\echo :LAST_ERROR_SQLSTATE
SELECT boxoffice.enter_queue(t.id('p1'), t.id('wr_u1'));
\echo :LAST_ERROR_SQLSTATE
-- the pre-queue of wr_later opens 30 minutes before its sales by default
SELECT boxoffice.set_queue(t.id('wr_later'), max_active => 2) ->> 'prequeue_lead_seconds' AS lead;
\set VERBOSITY sqlstate
-- (its detail says when, a wall-clock time)
SELECT boxoffice.enter_queue(t.id('wr_later'), t.id('wr_u1'));
\set VERBOSITY default
\echo :LAST_ERROR_SQLSTATE

-- the pre-queue: arrivals wait without a place; at opening they are shuffled
-- by the seed, which is then revealed and recomputes the same order
SELECT boxoffice.set_queue(t.id('wr_later'), prequeue_lead => interval '2 hours') IS NOT NULL AS prequeue_open;
SELECT n, state, position, estimated_wait_seconds > 3000 AS waits_for_opening, poll_after_seconds
  FROM generate_series(1, 6) n, boxoffice.enter_queue(t.id('wr_later'), t.id('wr_u' || n)) ORDER BY n;
SELECT i ->> 'seed' IS NULL AS seed_secret_before_opening FROM boxoffice.queue_info(t.id('wr_later')) i;
SELECT boxoffice.set_sales_window(t.id('wr_later'), now() - interval '1 second', now() + interval '10 days');
SELECT count(*) FILTER (WHERE state = 'active') AS active, count(*) FILTER (WHERE state = 'waiting') AS waiting
  FROM generate_series(1, 6) n, boxoffice.queue_status((boxoffice.enter_queue(t.id('wr_later'), t.id('wr_u' || n))).token, t.id('wr_u' || n));
SELECT i ->> 'seed' IS NOT NULL AS seed_revealed, encode(sha256(decode(i ->> 'seed', 'hex')), 'hex') = i ->> 'seed_commitment' AS seed_matches_commitment
  FROM boxoffice.queue_info(t.id('wr_later')) i;
-- the documented recomputation (README: "Checking the draw")
SELECT count(*) AS entries_drawn,
       bool_and(d.line = r.line) AS recomputed_order_is_the_same
  FROM boxoffice.queue_draw(t.id('wr_later')) d
  JOIN (SELECT e.id, row_number() OVER (ORDER BY sha256(decode(boxoffice.queue_info(t.id('wr_later')) ->> 'seed', 'hex') || int8send(e.id))) AS line
          FROM boxoffice.queue_entries e WHERE e.performance_id = t.id('wr_later') AND e.prequeue) r ON r.id = d.entry_id;
-- the draw of a performance nobody may see is an error, not an empty draw
SELECT * FROM boxoffice.queue_draw(-1);
\echo :LAST_ERROR_SQLSTATE
-- admission went by the drawn places
SELECT bool_and((e.state = 'active') = (e.line <= 2)) AS admitted_the_first_two_places
  FROM boxoffice.queue_entries e WHERE e.performance_id = t.id('wr_later');

-- queue_status sets no search_path (the one SECURITY DEFINER function that
-- does not: setting it on every poll is costly). Its C++ names its tables by
-- schema, and the SQL it runs sees boxoffice's path, not the caller's: a
-- caller whose path puts its own = for text before pg_catalog's hijacks
-- nothing, neither moving the line (queue_pause 0) nor refusing a token whose
-- secret is wrong (_entry_of compares tokens with =). Within the caller's
-- transaction, the caller's path is back after each call. (The tokens are
-- read first: the test's own t.id would take the hostile = too.)
CREATE TEMP TABLE hostile_polls AS
SELECT n, t.id('wr_u' || n) AS user_id, (boxoffice.enter_queue(t.id('wr_later'), t.id('wr_u' || n))).token, NULL::text AS state
  FROM generate_series(1, 6) n;
CREATE SCHEMA hostile;
CREATE FUNCTION hostile.text_eq(a text, b text) RETURNS boolean LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'hijacked'; END $$;
CREATE OPERATOR hostile.= (LEFTARG = text, RIGHTARG = text, FUNCTION = hostile.text_eq);
CREATE FUNCTION hostile._advance_queue(bigint, boolean DEFAULT false) RETURNS void LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'hijacked'; END $$;
BEGIN;
SET LOCAL search_path = hostile, pg_catalog;
UPDATE hostile_polls h SET state = (boxoffice.queue_status(h.token, h.user_id)).state;
SELECT current_setting('search_path') AS after_the_polls;
COMMIT;
SET search_path = hostile, pg_catalog;
SELECT boxoffice.queue_status(split_part(h.token, '.', 1) || '.' || repeat('0', 64), h.user_id) FROM hostile_polls h WHERE h.n OPERATOR(pg_catalog.=) 3;
\echo :LAST_ERROR_SQLSTATE
-- what the pin prevents: _entry_of run on the caller's path takes its =
SELECT boxoffice._entry_of(split_part(h.token, '.', 1) || '.' || repeat('0', 64), h.user_id) FROM hostile_polls h WHERE h.n OPERATOR(pg_catalog.=) 3;
RESET search_path;
SELECT count(*) FILTER (WHERE state = 'active') AS active, count(*) FILTER (WHERE state = 'waiting') AS waiting FROM hostile_polls;
DROP SCHEMA hostile CASCADE;

-- the queue can be switched off: holds pass again, entering is refused
SELECT boxoffice.set_queue(t.id('wr_later'), enabled => false) ->> 'enabled' AS enabled;
SELECT (boxoffice.hold(t.id('wr_later'), fixture.seats(t.id('wr_later'), 'A-1-1'), t.id('wr_u6'))).status;
SELECT boxoffice.enter_queue(t.id('wr_later'), t.id('wr_u6'));
\echo :LAST_ERROR_SQLSTATE

SELECT * FROM boxoffice.check_invariants();
