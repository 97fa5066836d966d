-- Each rule defined once: the error catalogue is the only source of the TK
-- codes, liveness is reservations.live_until alone, and over HTTP the
-- customer is the one the verified claims name.
BEGIN;
SELECT plan(19);

-- the catalogue
SELECT is((SELECT count(*)::int FROM boxoffice.error_codes WHERE sqlstate !~ '^TK[0-9]{3}$' OR name !~ '^[a-z_]+$'
             OR http_status NOT BETWEEN 400 AND 499 OR meaning = ''), 0, 'every catalogued code is TKnnn, named, a 4xx');
SELECT is((SELECT count(DISTINCT sqlstate)::int FROM boxoffice.error_codes), (SELECT count(*)::int FROM boxoffice.error_codes),
          'no code is listed twice');
SELECT is((SELECT count(*)::int FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
            WHERE n.nspname = 'boxoffice' AND p.prosrc ~ '''TK[0-9]{3}'''), 0,
          'no function spells a TK code: they raise by name');
SELECT is((SELECT array_agg(DISTINCT m[1] ORDER BY m[1])
             FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace,
                  regexp_matches(p.prosrc, '_sqlstate\(''([a-z_]+)''\)', 'g') m
            WHERE n.nspname = 'boxoffice' AND m[1] NOT IN (SELECT name FROM boxoffice.error_codes)), NULL,
          'every error a function names is in the catalogue');
SELECT is(boxoffice._sqlstate('seats_unavailable'), 'TK003', '_sqlstate gives the code of a name');
SELECT throws_ok($$ SELECT boxoffice._sqlstate('no_such_error') $$, 'XX000', 'boxoffice has no error named no_such_error',
                 'an unknown name is our bug, not the caller''s');

-- the rule of liveness
SELECT is(boxoffice._live_until('hold', '2030-01-01 00:00+00'), '2030-01-01 00:00+00'::timestamptz, 'a hold holds its seats until it expires');
SELECT is(boxoffice._live_until('confirmed', '2030-01-01 00:00+00'), 'infinity'::timestamptz, 'a sale for ever');
SELECT is((SELECT count(*)::int FROM unnest(ARRAY['cancelled', 'released', 'expired']::boxoffice.reservation_status[]) s
            WHERE boxoffice._live_until(s, now()) IS NOT NULL), 0, 'an ended reservation not at all');
SELECT is((SELECT attgenerated FROM pg_attribute WHERE attrelid = 'boxoffice.reservations'::regclass AND attname = 'live_until'),
          's', 'reservations.live_until is derived, never written');
SELECT hasnt_column('boxoffice', 'seat_claims', 'live_until', 'a claim keeps no copy of it');

-- identity
CREATE TEMP TABLE who AS SELECT boxoffice.register_user('who-a@example.com', 'Who A', 'password-a') AS a,
                                boxoffice.register_user('who-b@example.com', 'Who B', 'password-b') AS b;
SELECT is(boxoffice._acting_user((SELECT b FROM who)), (SELECT b FROM who), 'without claims, the SQL API names its customer');
SELECT set_config('request.jwt.claims', json_build_object('sub', (SELECT a FROM who)::text)::text, true);
SELECT is(boxoffice._acting_user(NULL), (SELECT a FROM who), 'with claims, the customer is their sub');
SELECT is((boxoffice.account()).email, 'who-a@example.com', 'account() is the signed-in user''s');
SELECT is(boxoffice._acting_user((SELECT a FROM who)), (SELECT a FROM who), 'naming that same user is fine');
SELECT throws_ok(format('SELECT boxoffice.account(%s)', (SELECT b FROM who)), '42501', 'user_id is not the user of this request',
                 'a request cannot act for another user');
SELECT throws_ok(format('SELECT boxoffice.my_reservations(%s)', (SELECT b FROM who)), '42501', 'user_id is not the user of this request',
                 'nor read another user''s reservations');
SELECT set_config('request.jwt.claims', '{}', true);
SELECT is(boxoffice._acting_user(NULL), NULL, 'claims without sub: a guest');
SELECT throws_ok(format('SELECT boxoffice.account(%s)', (SELECT a FROM who)), '42501', 'user_id is not the user of this request',
                 'and a guest request names no user');

SELECT * FROM finish();
ROLLBACK;
