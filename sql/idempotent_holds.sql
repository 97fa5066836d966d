-- Idempotency keys on holds and cancellations (0.5.1): a retry whose answer
-- was lost gets the first answer back, a guest's hold with its token; the key
-- with other arguments is refused; a refusal keeps nothing; keys are scoped
-- to the customer (a user, a guest hold's token, a guest client).
\set SHOW_CONTEXT never
SET client_min_messages = warning;

INSERT INTO t.fixtures SELECT 'key_hall', boxoffice.create_venue('Key Hall', 'Seoul', ARRAY['A'], 1, 8);
INSERT INTO t.fixtures SELECT 'key_show', boxoffice.create_concert('Key Show', 'IU');
SELECT boxoffice.add_price_tier(t.id('key_show'), 'R', 1000, 1, 8) > 0 AS tier;
SELECT boxoffice.publish_concert(t.id('key_show'));
INSERT INTO t.fixtures SELECT 'key_perf', boxoffice.create_performance(t.id('key_show'), t.id('key_hall'), now() + interval '10 days',
                                                                       sales_opens_at => now() - interval '1 minute');
INSERT INTO t.fixtures SELECT 'key_seat' || row_number() OVER (ORDER BY id), id FROM boxoffice.seats WHERE performance_id = t.id('key_perf');
INSERT INTO t.fixtures SELECT 'key_user', boxoffice.register_user('keys@example.com', 'Key Holder', 'password-keys');
CREATE TEMP TABLE answers (label text PRIMARY KEY, b boxoffice.booking);

-- a guest's hold with a key, and its retry: the same hold, the same token, one reservation
INSERT INTO answers SELECT 'guest first', b FROM boxoffice.hold(t.id('key_perf'), ARRAY[t.id('key_seat1'), t.id('key_seat2')], guest_key => '198.51.100.7',
                                                               idempotency_key => 'guest-hold-0001-aaaa') b;
INSERT INTO answers SELECT 'guest retry', b FROM boxoffice.hold(t.id('key_perf'), ARRAY[t.id('key_seat2'), t.id('key_seat1')], guest_key => '198.51.100.7',
                                                               idempotency_key => 'guest-hold-0001-aaaa') b;
SELECT (SELECT b FROM answers WHERE label = 'guest first') = (SELECT b FROM answers WHERE label = 'guest retry') AS same_answer,
       (SELECT (b).hold_token IS NOT NULL FROM answers WHERE label = 'guest retry') AS token_returned,
       (SELECT count(*) FROM boxoffice.reservations WHERE performance_id = t.id('key_perf')) AS reservations,
       (SELECT (b).status FROM answers WHERE label = 'guest retry') AS status;
-- try_hold shares the key: the same call, the same answer
SELECT reservation_id = (SELECT (b).reservation_id FROM answers WHERE label = 'guest first') AS try_hold_same
  FROM boxoffice.try_hold(t.id('key_perf'), ARRAY[t.id('key_seat1'), t.id('key_seat2')], guest_key => '198.51.100.7',
                          idempotency_key => 'guest-hold-0001-aaaa');
-- the key with other seats: refused, nothing held
SELECT boxoffice.hold(t.id('key_perf'), ARRAY[t.id('key_seat3')], guest_key => '198.51.100.7', idempotency_key => 'guest-hold-0001-aaaa');
\echo :LAST_ERROR_SQLSTATE
-- a guest's key must be long: behind one address, the key is all that tells guests apart
SELECT boxoffice.hold(t.id('key_perf'), ARRAY[t.id('key_seat3')], guest_key => '198.51.100.7', idempotency_key => 'short-key');
\echo :LAST_ERROR_SQLSTATE
SELECT boxoffice.hold(t.id('key_perf'), ARRAY[t.id('key_seat3')], guest_key => '198.51.100.7', idempotency_key => 'not ascii ' || repeat('é', 10));
\echo :LAST_ERROR_SQLSTATE
-- another guest client with the same key: a key of its own, another hold
SELECT reservation_id <> (SELECT (b).reservation_id FROM answers WHERE label = 'guest first') AS another_hold, status
  FROM boxoffice.hold(t.id('key_perf'), ARRAY[t.id('key_seat3')], guest_key => '203.0.113.9', idempotency_key => 'guest-hold-0001-aaaa');

-- a refusal keeps nothing: its retry tries again (and holds once the seat is free)
SELECT reservation_id FROM boxoffice.try_hold(t.id('key_perf'), ARRAY[t.id('key_seat3')], t.id('key_user'), idempotency_key => 'u-1');
SELECT count(*) AS kept_for_refusal FROM boxoffice.idempotency_keys WHERE key = 'u-1';
SELECT boxoffice.hold(t.id('key_perf'), ARRAY[t.id('key_seat3')], t.id('key_user'), idempotency_key => 'u-1');
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS kept_for_error FROM boxoffice.idempotency_keys WHERE key = 'u-1';
-- a user's key: short keys are fine, the scope is the user
INSERT INTO answers SELECT 'user hold', b FROM boxoffice.hold(t.id('key_perf'), ARRAY[t.id('key_seat4')], t.id('key_user'), idempotency_key => 'u-1') b;
SELECT reservation_id = (SELECT (b).reservation_id FROM answers WHERE label = 'user hold') AS user_retry_same, hold_token IS NOT NULL AS token
  FROM boxoffice.hold(t.id('key_perf'), ARRAY[t.id('key_seat4')], t.id('key_user'), idempotency_key => 'u-1');

-- cancelling with a key: exactly once; the key names one call
INSERT INTO answers SELECT 'user cancel', b FROM boxoffice.cancel((SELECT (b).reservation_id FROM answers WHERE label = 'user hold'), t.id('key_user'),
                                                                 idempotency_key => 'u-2') b;
SELECT (b).status, (b).ended_at IS NOT NULL AS ended FROM answers WHERE label = 'user cancel';
SELECT (SELECT b FROM answers WHERE label = 'user cancel') = b AS same_answer
  FROM boxoffice.cancel((SELECT (b).reservation_id FROM answers WHERE label = 'user hold'), t.id('key_user'), idempotency_key => 'u-2') b;
SELECT boxoffice.cancel((SELECT (b).reservation_id FROM answers WHERE label = 'guest first'), t.id('key_user'), idempotency_key => 'u-2');
\echo :LAST_ERROR_SQLSTATE
SELECT boxoffice.cancel((SELECT (b).reservation_id FROM answers WHERE label = 'user hold'), t.id('key_user'), idempotency_key => 'u-1');
\echo :LAST_ERROR_SQLSTATE
-- another customer's reservation: not found, and nothing kept under the key
SELECT boxoffice.cancel((SELECT (b).reservation_id FROM answers WHERE label = 'guest first'), t.id('key_user'), idempotency_key => 'u-3');
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS kept_for_not_found FROM boxoffice.idempotency_keys WHERE key = 'u-3';
-- a guest cancels with its hold token: the scope is the token's holder
SELECT status FROM boxoffice.cancel((SELECT (b).reservation_id FROM answers WHERE label = 'guest first'),
                                    hold_token => (SELECT (b).hold_token FROM answers WHERE label = 'guest first'), idempotency_key => 'g-1');
SELECT status FROM boxoffice.cancel((SELECT (b).reservation_id FROM answers WHERE label = 'guest first'),
                                    hold_token => (SELECT (b).hold_token FROM answers WHERE label = 'guest first'), idempotency_key => 'g-1');
SELECT call, arguments ? 'reservation_id' AS names_reservation, left(scope, 5) AS scope_kind,
       scope NOT LIKE '%' || (SELECT (b).hold_token FROM answers WHERE label = 'guest first') || '%' AS token_not_in_scope
  FROM boxoffice.idempotency_keys WHERE key = 'g-1';
-- the guest's hold replays its first answer even now it is cancelled (answers are kept as they were)
SELECT status, hold_token IS NOT NULL AS token
  FROM boxoffice.hold(t.id('key_perf'), ARRAY[t.id('key_seat1'), t.id('key_seat2')], guest_key => '198.51.100.7', idempotency_key => 'guest-hold-0001-aaaa');

-- what is kept: a user's hold keeps no token; a guest's keeps it (for its retry) until the hold expires,
-- and a guest client's scope does not name its address
SELECT call, left(scope, 5) AS scope_kind, answer ? 'hold_token' AS keeps_token, scope NOT LIKE '%198.51.100%' AS address_hidden
  FROM boxoffice.idempotency_keys WHERE call = 'hold' ORDER BY scope_kind, keeps_token;
UPDATE boxoffice.idempotency_keys SET answer = jsonb_set(answer, '{expires_at}', to_jsonb(now() - interval '1 second'))
 WHERE key = 'guest-hold-0001-aaaa' AND scope = boxoffice._customer_scope(NULL, '198.51.100.7', NULL);
SELECT expired_holds >= 0 AS swept FROM boxoffice.sweep();
SELECT count(*) FILTER (WHERE answer ? 'hold_token') AS tokens_kept_for_live_holds FROM boxoffice.idempotency_keys WHERE call = 'hold';
SELECT status, hold_token IS NULL AS token_forgotten
  FROM boxoffice.hold(t.id('key_perf'), ARRAY[t.id('key_seat1'), t.id('key_seat2')], guest_key => '198.51.100.7', idempotency_key => 'guest-hold-0001-aaaa');

-- the kept keys, by call and scope kind
SELECT call, left(scope, 5) AS scope_kind, count(*) FROM boxoffice.idempotency_keys
 WHERE call IN ('hold', 'cancel') GROUP BY 1, 2 ORDER BY 1, 2;
SELECT count(*) AS violations FROM boxoffice.check_invariants();
