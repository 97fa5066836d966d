-- confirm(): owner only, buyer details, reservation number, idempotent,
-- guests need name, phone and PIN.
\set SHOW_CONTEXT never
SET client_min_messages = warning;
SELECT id AS alice_res FROM boxoffice.reservations
 WHERE user_id = t.id('alice') AND performance_id = t.id('p1') ORDER BY id LIMIT 1 \gset

-- someone else cannot confirm it: same error as for a reservation that does not exist
SELECT boxoffice.confirm(:alice_res, t.id('bob'));
\echo :LAST_ERROR_SQLSTATE
SELECT boxoffice.confirm(:alice_res, hold_token => 'not-the-token');
\echo :LAST_ERROR_SQLSTATE
SELECT boxoffice.confirm(:alice_res);
\echo :LAST_ERROR_SQLSTATE
SELECT boxoffice.confirm(999999, t.id('alice'));
\echo :LAST_ERROR_SQLSTATE
SELECT status FROM boxoffice.reservations WHERE id = :alice_res;

-- the user confirms; the buyer name defaults to the account's name
SELECT (c).status, (c).reservation_number ~ '^BX-[0-9A-Z]{4}-[0-9A-Z]{4}$' AS number_format,
       (c).buyer_name, (c).confirmed_at IS NOT NULL AS confirmed_at_set, (c).hold_token IS NULL AS token_not_returned
  FROM (SELECT boxoffice.confirm(:alice_res, t.id('alice'), buyer_phone => '010-1111-2222') AS c) x;
SELECT (boxoffice.confirm(:alice_res, t.id('alice'))).reservation_number AS first_number \gset
-- repeating it returns the same result and changes nothing
SELECT (c).status, (c).reservation_number = :'first_number' AS same_number, (c).buyer_name
  FROM (SELECT boxoffice.confirm(:alice_res, t.id('alice'), buyer_name => 'Someone Else') AS c) x;
SELECT buyer_phone FROM boxoffice.reservations WHERE id = :alice_res;
SELECT status FROM boxoffice.seat_map(t.id('p1')) WHERE seat_id = ANY (fixture.seats(t.id('p1'), 'A-1-1', 'A-1-2')) ORDER BY seat_id;

-- a guest confirms with the hold token and name, phone, PIN
SELECT (h).reservation_id AS guest_res, (h).hold_token AS guest_token
  FROM (SELECT boxoffice.hold(t.id('p1'), fixture.seats(t.id('p1'), 'D-4-19', 'D-4-20'), guest_key => 'guest-choi') AS h) x \gset
SELECT boxoffice.confirm(:guest_res, hold_token => :'guest_token');
\echo :LAST_ERROR_SQLSTATE
SELECT boxoffice.confirm(:guest_res, hold_token => :'guest_token', buyer_name => 'Guest Choi', buyer_phone => '010-1234', guest_pin => '1234');
\echo :LAST_ERROR_SQLSTATE
SELECT boxoffice.confirm(:guest_res, hold_token => :'guest_token', buyer_name => 'Guest Choi', buyer_phone => '010-1234-5678', guest_pin => '12a4');
\echo :LAST_ERROR_SQLSTATE
SELECT boxoffice.confirm(:guest_res, hold_token => :'guest_token', buyer_name => '  ', buyer_phone => '010-1234-5678', guest_pin => '1234');
\echo :LAST_ERROR_SQLSTATE
-- a name of only invisible characters is no name: newline, no-break space,
-- ideographic space, zero-width space, Hangul filler, and a mix of them
\set VERBOSITY terse
SELECT boxoffice.confirm(:guest_res, hold_token => :'guest_token', buyer_name => E'\n', buyer_phone => '010-1234-5678', guest_pin => '1234');
SELECT boxoffice.confirm(:guest_res, hold_token => :'guest_token', buyer_name => U&'\00A0', buyer_phone => '010-1234-5678', guest_pin => '1234');
SELECT boxoffice.confirm(:guest_res, hold_token => :'guest_token', buyer_name => U&'\3000', buyer_phone => '010-1234-5678', guest_pin => '1234');
SELECT boxoffice.confirm(:guest_res, hold_token => :'guest_token', buyer_name => U&'\200B', buyer_phone => '010-1234-5678', guest_pin => '1234');
SELECT boxoffice.confirm(:guest_res, hold_token => :'guest_token', buyer_name => U&'\3164', buyer_phone => '010-1234-5678', guest_pin => '1234');
SELECT boxoffice.confirm(:guest_res, hold_token => :'guest_token', buyer_name => U&' \00A0\200B\3000\FEFF\0009', buyer_phone => '010-1234-5678', guest_pin => '1234');
\set VERBOSITY default
SELECT status FROM boxoffice.reservations WHERE id = :guest_res;
SELECT (c).status, (c).buyer_name, (c).total_amount
  FROM (SELECT boxoffice.confirm(:guest_res, hold_token => :'guest_token', buyer_name => 'Guest Choi',
                                 buyer_phone => '010-1234-5678', guest_pin => '1234') AS c) x;
SELECT buyer_phone, guest_pin_hash LIKE '$2a$%' AS pin_hashed FROM boxoffice.reservations WHERE id = :guest_res;

-- the guest limit counts confirmed seats per phone number: 2 bought, 3 more is too many
SELECT (h).reservation_id AS guest_res2, (h).hold_token AS guest_token2
  FROM (SELECT boxoffice.hold(t.id('p1'), fixture.seats(t.id('p1'), 'D-3-1', 'D-3-2', 'D-3-3'), guest_key => 'guest-choi-2') AS h) x \gset
SELECT boxoffice.confirm(:guest_res2, hold_token => :'guest_token2', buyer_name => 'Guest Choi',
                         buyer_phone => '01012345678', guest_pin => '9999');
\echo :LAST_ERROR_SQLSTATE
SELECT (boxoffice.release(:guest_res2, hold_token => :'guest_token2')).status;

-- a released or cancelled reservation cannot be confirmed
SELECT boxoffice.confirm(:guest_res2, hold_token => :'guest_token2', buyer_name => 'Guest Choi',
                         buyer_phone => '01099998888', guest_pin => '9999');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM boxoffice.check_invariants();

-- a sale needs a performance on sale, as a new hold does: once sales stop
-- (cancelled, deleted, concert deleted), an existing hold cannot be confirmed
SELECT boxoffice.create_concert('Stopped Show', 'T') AS stopped \gset
SELECT boxoffice.add_price_tier(:stopped, 'ALL', 1000, 1, 20) > 0 AS tier;
SELECT boxoffice.create_performance(:stopped, t.id('kspo'), make_timestamptz(2030, 9, 1, 19, 0, 0, 'Asia/Seoul')) AS stopped_cancel \gset
SELECT boxoffice.create_performance(:stopped, t.id('kspo'), make_timestamptz(2030, 9, 2, 19, 0, 0, 'Asia/Seoul')) AS stopped_delete \gset
SELECT boxoffice.publish_concert(:stopped);
SELECT id AS cancel_seat FROM boxoffice.seats WHERE performance_id = :stopped_cancel ORDER BY id LIMIT 1 \gset
SELECT id AS delete_seat FROM boxoffice.seats WHERE performance_id = :stopped_delete ORDER BY id LIMIT 1 \gset
SELECT (boxoffice.hold(:stopped_cancel, ARRAY[:cancel_seat]::bigint[], t.id('carol'))).reservation_id AS r_cancel \gset
SELECT (boxoffice.hold(:stopped_delete, ARRAY[:delete_seat]::bigint[], t.id('carol'))).reservation_id AS r_delete \gset
SELECT boxoffice.cancel_performance(:stopped_cancel);
SELECT boxoffice.confirm(:r_cancel, t.id('carol'));
\echo :LAST_ERROR_SQLSTATE
SELECT boxoffice.delete_performance(:stopped_delete);
SELECT boxoffice.confirm(:r_delete, t.id('carol'));
\echo :LAST_ERROR_SQLSTATE
SELECT status FROM boxoffice.reservations WHERE id IN (:r_cancel, :r_delete) ORDER BY id;
-- ... and the hold can still be given back
SELECT (boxoffice.release(:r_cancel, t.id('carol'))).status, (boxoffice.release(:r_delete, t.id('carol'))).status;
SELECT boxoffice.create_performance(:stopped, t.id('kspo'), make_timestamptz(2030, 9, 3, 19, 0, 0, 'Asia/Seoul')) AS stopped_concert \gset
SELECT id AS concert_seat FROM boxoffice.seats WHERE performance_id = :stopped_concert ORDER BY id LIMIT 1 \gset
SELECT (boxoffice.hold(:stopped_concert, ARRAY[:concert_seat]::bigint[], t.id('carol'))).reservation_id AS r_concert \gset
SELECT boxoffice.delete_concert(:stopped);
SELECT boxoffice.confirm(:r_concert, t.id('carol'));
\echo :LAST_ERROR_SQLSTATE

-- a sale is dated with the clock reading that decided it: never after the expiry
SELECT count(*) AS confirmed_after_expiry FROM boxoffice.reservations WHERE confirmed_at > expires_at;
-- and a confirmed booking shows no expiry (the hold's stays in the table)
SELECT (boxoffice.reservation(:alice_res, t.id('alice'))).expires_at IS NULL AS sold_has_no_expiry;
SELECT * FROM boxoffice.check_invariants();
