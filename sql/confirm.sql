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
SELECT status FROM boxoffice.seat_map(t.id('p1')) WHERE seat_id = ANY (t.seats('p1', 'A-1-1', 'A-1-2')) ORDER BY seat_id;

-- a guest confirms with the hold token and name, phone, PIN
SELECT (h).reservation_id AS guest_res, (h).hold_token AS guest_token
  FROM (SELECT boxoffice.hold(t.id('p1'), t.seats('p1', 'D-4-19', 'D-4-20')) AS h) x \gset
SELECT boxoffice.confirm(:guest_res, hold_token => :'guest_token');
\echo :LAST_ERROR_SQLSTATE
SELECT boxoffice.confirm(:guest_res, hold_token => :'guest_token', buyer_name => 'Guest Choi', buyer_phone => '010-1234', guest_pin => '1234');
\echo :LAST_ERROR_SQLSTATE
SELECT boxoffice.confirm(:guest_res, hold_token => :'guest_token', buyer_name => 'Guest Choi', buyer_phone => '010-1234-5678', guest_pin => '12a4');
\echo :LAST_ERROR_SQLSTATE
SELECT boxoffice.confirm(:guest_res, hold_token => :'guest_token', buyer_name => '  ', buyer_phone => '010-1234-5678', guest_pin => '1234');
\echo :LAST_ERROR_SQLSTATE
SELECT status FROM boxoffice.reservations WHERE id = :guest_res;
SELECT (c).status, (c).buyer_name, (c).total_amount
  FROM (SELECT boxoffice.confirm(:guest_res, hold_token => :'guest_token', buyer_name => 'Guest Choi',
                                 buyer_phone => '010-1234-5678', guest_pin => '1234') AS c) x;
SELECT buyer_phone, guest_pin_hash LIKE '$2a$%' AS pin_hashed FROM boxoffice.reservations WHERE id = :guest_res;

-- the guest limit counts confirmed seats per phone number: 2 bought, 3 more is too many
SELECT (h).reservation_id AS guest_res2, (h).hold_token AS guest_token2
  FROM (SELECT boxoffice.hold(t.id('p1'), t.seats('p1', 'D-3-1', 'D-3-2', 'D-3-3')) AS h) x \gset
SELECT boxoffice.confirm(:guest_res2, hold_token => :'guest_token2', buyer_name => 'Guest Choi',
                         buyer_phone => '01012345678', guest_pin => '9999');
\echo :LAST_ERROR_SQLSTATE
SELECT (boxoffice.release(:guest_res2, hold_token => :'guest_token2')).status;

-- a released or cancelled reservation cannot be confirmed
SELECT boxoffice.confirm(:guest_res2, hold_token => :'guest_token2', buyer_name => 'Guest Choi',
                         buyer_phone => '01099998888', guest_pin => '9999');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM boxoffice.check_invariants();
