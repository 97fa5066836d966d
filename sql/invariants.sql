-- Double booking is impossible by construction, whoever writes: a seat has at
-- most one claim (a primary key), and the claims follow the reservations
-- (claims.sql). And check_invariants() reports any state that disagrees with
-- itself.
\set SHOW_CONTEXT never
SET client_min_messages = warning;
SELECT * FROM boxoffice.check_invariants();

-- fixtures: alice held seat D-1-10 of p2 and cancelled; bob now holds it;
-- a guest holds D-1-11
SELECT (h).reservation_id AS alice_res FROM (SELECT boxoffice.hold(t.id('p2'), fixture.seats(t.id('p2'), 'D-1-10'), t.id('alice')) AS h) x \gset
SELECT (boxoffice.cancel(:alice_res, t.id('alice'))).status AS alice;
SELECT (h).reservation_id AS bob_res FROM (SELECT boxoffice.hold(t.id('p2'), fixture.seats(t.id('p2'), 'D-1-10'), t.id('bob')) AS h) x \gset
SELECT (h).reservation_id AS guest_res FROM (SELECT boxoffice.hold(t.id('p2'), fixture.seats(t.id('p2'), 'D-1-11'), guest_key => 'invariants') AS h) x \gset

-- every way in by hand is refused, for a superuser too:
-- 1. a status change that would bring back a reservation whose seat was resold
\set VERBOSITY terse
UPDATE boxoffice.reservations SET status = 'confirmed', ended_at = NULL, confirmed_at = created_at,
       reservation_number = 'BX-HAND-MADE', buyer_name = 'By Hand'
 WHERE id = :alice_res;
\echo :LAST_ERROR_SQLSTATE
UPDATE boxoffice.reservations SET status = 'hold', ended_at = NULL WHERE id = :alice_res;
-- 2. a seat list change onto another reservation's seat
UPDATE boxoffice.reservations SET seat_ids = seat_ids || fixture.seats(t.id('p2'), 'D-1-10') WHERE id = :guest_res;
-- 3-6. any write to the claims themselves: they follow their reservations
INSERT INTO boxoffice.seat_claims (seat_id, performance_id, reservation_id)
VALUES ((fixture.seats(t.id('p2'), 'D-1-12'))[1], t.id('p2'), :alice_res);
\echo :LAST_ERROR_SQLSTATE
UPDATE boxoffice.seat_claims SET reservation_id = :alice_res WHERE reservation_id = :bob_res;
DELETE FROM boxoffice.seat_claims WHERE reservation_id = :bob_res;
TRUNCATE boxoffice.seat_claims;
-- a new live reservation on a claimed seat
INSERT INTO boxoffice.reservations (performance_id, user_id, seat_ids, total_amount, hold_token_hash, expires_at)
SELECT t.id('p2'), t.id('alice'), fixture.seats(t.id('p2'), 'D-1-11'), 1, '\x00', now() + interval '1 minute';
-- the owner role, and replication mode, change nothing
SET ROLE boxoffice_owner;
UPDATE boxoffice.reservations SET status = 'hold', ended_at = NULL WHERE id = :alice_res;
DELETE FROM boxoffice.seat_claims WHERE reservation_id = :bob_res;
RESET ROLE;
SET session_replication_role = replica;
UPDATE boxoffice.reservations SET status = 'hold', ended_at = NULL WHERE id = :alice_res;
DELETE FROM boxoffice.seat_claims WHERE reservation_id = :bob_res;
RESET session_replication_role;
-- a sale dated after its hold's expiry
UPDATE boxoffice.reservations SET confirmed_at = expires_at + interval '1 millisecond' WHERE status = 'confirmed';
\set VERBOSITY default
SELECT r.id = :bob_res AS bob_still_holds, count(*) AS claims FROM boxoffice.seat_claims c
  JOIN boxoffice.reservations r ON r.id = c.reservation_id WHERE c.seat_id = (fixture.seats(t.id('p2'), 'D-1-10'))[1] GROUP BY 1;

-- writes that keep the books are let through, and the claims follow them:
-- a hold ended by hand frees its seat; a moved expiry moves how long its claim holds
UPDATE boxoffice.reservations SET status = 'released', ended_at = now() WHERE id = :guest_res;
SELECT status FROM boxoffice.seat_map(t.id('p2')) WHERE seat_id = (fixture.seats(t.id('p2'), 'D-1-11'))[1];
UPDATE boxoffice.reservations SET expires_at = expires_at + interval '1 minute' WHERE id = :bob_res;
SELECT r.live_until = r.expires_at AS claim_moved_with_expiry FROM boxoffice.seat_claims c
  JOIN boxoffice.reservations r ON r.id = c.reservation_id WHERE r.id = :bob_res;
-- a reservation written by hand claims its seats (as a restore does)
INSERT INTO boxoffice.reservations (performance_id, user_id, seat_ids, total_amount, hold_token_hash, expires_at)
SELECT t.id('p2'), t.id('alice'), fixture.seats(t.id('p2'), 'D-1-11'), s.price, '\x00', now() + interval '1 minute'
  FROM boxoffice.seats s WHERE s.id = (fixture.seats(t.id('p2'), 'D-1-11'))[1]
RETURNING cardinality(seat_ids) AS seats;
SELECT status FROM boxoffice.seat_map(t.id('p2')) WHERE seat_id = (fixture.seats(t.id('p2'), 'D-1-11'))[1];
DELETE FROM boxoffice.reservations WHERE user_id = t.id('alice') AND seat_ids = fixture.seats(t.id('p2'), 'D-1-11');
SELECT count(*) AS claims_of_the_deleted FROM boxoffice.seat_claims WHERE seat_id = (fixture.seats(t.id('p2'), 'D-1-11'))[1];
-- an insert that is skipped claims nothing; a new id takes the claims along
INSERT INTO boxoffice.reservations (performance_id, user_id, status, seat_ids, total_amount, hold_token_hash, expires_at,
                                    reservation_number, buyer_name, confirmed_at)
SELECT r.performance_id, r.user_id, 'confirmed', fixture.seats(t.id('p2'), 'D-1-12'), 1, '\x00', r.expires_at,
       r.reservation_number, 'Copy', r.confirmed_at
  FROM boxoffice.reservations r WHERE r.status = 'confirmed' ORDER BY r.id LIMIT 1
    ON CONFLICT (reservation_number) WHERE reservation_number IS NOT NULL DO NOTHING;
SELECT count(*) AS claims_of_the_skipped FROM boxoffice.seat_claims WHERE seat_id = (fixture.seats(t.id('p2'), 'D-1-12'))[1];
UPDATE boxoffice.reservations SET id = DEFAULT WHERE id = :bob_res RETURNING id AS bob_res \gset
SELECT count(*) AS claims_moved_with_the_id FROM boxoffice.seat_claims WHERE reservation_id = :bob_res;
SELECT * FROM boxoffice.check_invariants();

-- state that disagrees with itself is reported, one row per violation. Only
-- a superuser who switches the triggers off can make it.
SELECT c.seat_id AS sold_seat, r.performance_id AS perf FROM boxoffice.seat_claims c
  JOIN boxoffice.reservations r ON r.id = c.reservation_id WHERE r.status = 'confirmed' ORDER BY c.seat_id LIMIT 1 \gset
BEGIN;
ALTER TABLE boxoffice.seat_claims DISABLE TRIGGER derived_only;
ALTER TABLE boxoffice.reservations DISABLE TRIGGER claims_follow;
-- claims carry no foreign keys (they would lock seat rows on every hold), so a
-- claim on a seat of another performance, or of nothing, is reported instead
INSERT INTO boxoffice.seat_claims (seat_id, performance_id, reservation_id)
SELECT s.id, :perf, :bob_res FROM boxoffice.seats s WHERE s.performance_id <> :perf ORDER BY s.id LIMIT 1;
INSERT INTO boxoffice.seat_claims (seat_id, performance_id, reservation_id) VALUES (-1, :perf, :bob_res);
INSERT INTO boxoffice.seat_claims (seat_id, performance_id, reservation_id)
SELECT s.id, :perf, -1 FROM boxoffice.seats s WHERE s.performance_id = :perf
   AND NOT EXISTS (SELECT FROM boxoffice.seat_claims c WHERE c.seat_id = s.id) ORDER BY s.id LIMIT 1;
SELECT violation, detail FROM boxoffice.check_invariants() ORDER BY detail;
ROLLBACK;
BEGIN;
ALTER TABLE boxoffice.seat_claims DISABLE TRIGGER derived_only;
ALTER TABLE boxoffice.reservations DISABLE TRIGGER claims_follow;
UPDATE boxoffice.reservations SET total_amount = total_amount + 1 WHERE id = :bob_res;
DELETE FROM boxoffice.seat_claims WHERE seat_id = :sold_seat;
UPDATE boxoffice.reservations SET status = 'cancelled', ended_at = now() WHERE id = :bob_res;
SELECT violation FROM boxoffice.check_invariants() ORDER BY 1;
ROLLBACK;
-- a claim lasts exactly as long as its reservation holds the seat, because
-- that is the one thing it reads: the reservation's live_until, derived from
-- its state (the hold's expiry, or for ever once sold), never written
SELECT count(*) AS sold_not_for_ever FROM boxoffice.reservations WHERE status = 'confirmed' AND live_until <> 'infinity';
SELECT count(*) AS held_not_until_expiry FROM boxoffice.reservations WHERE status = 'hold' AND live_until <> expires_at;
SELECT count(*) AS ended_still_live FROM boxoffice.reservations WHERE status NOT IN ('hold', 'confirmed') AND live_until IS NOT NULL;
-- and nobody writes it, by hand or otherwise
UPDATE boxoffice.reservations SET live_until = 'infinity' WHERE id = :bob_res;
BEGIN;
ALTER TABLE boxoffice.seat_claims DISABLE TRIGGER derived_only;
UPDATE boxoffice.seat_claims SET reservation_id = :bob_res WHERE seat_id = :sold_seat;
SELECT violation, count(*) FROM boxoffice.check_invariants() GROUP BY 1 ORDER BY 1;
ROLLBACK;
-- the constraints of a reservation hold too
\set VERBOSITY terse
UPDATE boxoffice.reservations SET reservation_number = NULL WHERE status = 'confirmed';
UPDATE boxoffice.reservations SET ended_at = NULL WHERE status = 'cancelled';
\set VERBOSITY default
SELECT (boxoffice.release(:bob_res, t.id('bob'))).status AS bob;
SELECT * FROM boxoffice.check_invariants();
