-- Input limits that protect the server: checked before any lock is taken or
-- anything is written.
\set SHOW_CONTEXT never
SET client_min_messages = warning;

-- no hold takes more than 100 seats, whatever the performance allows:
-- refused before one advisory lock per seat could fill the lock table
SELECT boxoffice.hold(t.id('p1'), ARRAY(SELECT generate_series(1000000, 1010000))::bigint[]);
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS advisory_locks FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid();

-- names have bounded lengths
SELECT (h).reservation_id AS res, (h).hold_token AS tok
  FROM (SELECT boxoffice.hold(t.id('p2'), fixture.seats(t.id('p2'), 'A-3-1'), guest_key => 'limits') AS h) x \gset
SELECT boxoffice.confirm(:res, hold_token => :'tok', buyer_name => repeat('x', 201), buyer_phone => '01012341234', guest_pin => '1234');
\echo :LAST_ERROR_SQLSTATE
SELECT (boxoffice.release(:res, hold_token => :'tok')).status;
SELECT boxoffice.hold(t.id('p2'), fixture.seats(t.id('p2'), 'A-3-2'), guest_key => repeat('k', 201));
\echo :LAST_ERROR_SQLSTATE
SELECT boxoffice.create_concert(repeat('t', 201), 'artist');
\echo :LAST_ERROR_SQLSTATE
SELECT boxoffice.register_user('long@example.com', 'Long', repeat('가', 30));  -- 90 bytes: bcrypt would cut it
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM boxoffice.check_invariants();
