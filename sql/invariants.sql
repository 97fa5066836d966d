-- Double booking is impossible by construction, and check_invariants()
-- reports any state that disagrees with itself.
\set SHOW_CONTEXT never
SET client_min_messages = warning;
SELECT * FROM boxoffice.check_invariants();

-- a second claim on a sold seat is refused by the primary key, whatever the code path
SELECT c.seat_id AS sold_seat, r.performance_id AS perf FROM boxoffice.seat_claims c
  JOIN boxoffice.reservations r ON r.id = c.reservation_id WHERE r.status = 'confirmed' ORDER BY c.seat_id LIMIT 1 \gset
SELECT id AS other_res FROM boxoffice.reservations WHERE performance_id = :perf AND status = 'hold' ORDER BY id LIMIT 1 \gset
INSERT INTO boxoffice.seat_claims (seat_id, performance_id, reservation_id) VALUES (:sold_seat, :perf, :other_res);
\echo :LAST_ERROR_SQLSTATE
UPDATE boxoffice.seat_claims SET seat_id = :sold_seat WHERE reservation_id = :other_res;
\echo :LAST_ERROR_SQLSTATE
-- claims carry no foreign keys (they would lock seat rows on every hold), so a
-- claim on a seat of another performance, or of nothing, is reported instead
BEGIN;
INSERT INTO boxoffice.seat_claims (seat_id, performance_id, reservation_id)
SELECT s.id, :perf, :other_res FROM boxoffice.seats s WHERE s.performance_id <> :perf ORDER BY s.id LIMIT 1;
INSERT INTO boxoffice.seat_claims (seat_id, performance_id, reservation_id) VALUES (-1, :perf, :other_res);
INSERT INTO boxoffice.seat_claims (seat_id, performance_id, reservation_id)
SELECT s.id, :perf, -1 FROM boxoffice.seats s WHERE s.performance_id = :perf
   AND NOT EXISTS (SELECT FROM boxoffice.seat_claims c WHERE c.seat_id = s.id) ORDER BY s.id LIMIT 1;
SELECT violation, detail FROM boxoffice.check_invariants() ORDER BY detail;
ROLLBACK;
-- a confirmed reservation needs its number
\set VERBOSITY terse
UPDATE boxoffice.reservations SET reservation_number = NULL WHERE status = 'confirmed';
\echo :LAST_ERROR_SQLSTATE
-- an ended reservation has its end time
UPDATE boxoffice.reservations SET ended_at = NULL WHERE status = 'cancelled';
\echo :LAST_ERROR_SQLSTATE
\set VERBOSITY default

-- state that disagrees with itself is reported, one row per violation
BEGIN;
UPDATE boxoffice.reservations SET total_amount = total_amount + 1 WHERE id = :other_res;
DELETE FROM boxoffice.seat_claims WHERE seat_id = :sold_seat;
UPDATE boxoffice.reservations SET status = 'cancelled', ended_at = now()
 WHERE id = (SELECT reservation_id FROM boxoffice.seat_claims c JOIN boxoffice.reservations r ON r.id = c.reservation_id
              WHERE r.status = 'hold' AND r.id <> :other_res AND r.expires_at > now() ORDER BY r.id LIMIT 1);
SELECT violation FROM boxoffice.check_invariants() ORDER BY 1;
ROLLBACK;
-- a claim lasts exactly as long as its reservation holds the seat: the hold's
-- expiry, or for ever once sold
SELECT count(*) AS sold_claims_not_for_ever FROM boxoffice.seat_claims c JOIN boxoffice.reservations r ON r.id = c.reservation_id
 WHERE r.status = 'confirmed' AND c.live_until <> 'infinity';
SELECT count(*) AS held_claims_not_until_expiry FROM boxoffice.seat_claims c JOIN boxoffice.reservations r ON r.id = c.reservation_id
 WHERE r.status = 'hold' AND c.live_until <> r.expires_at;
BEGIN;
UPDATE boxoffice.seat_claims SET live_until = 'infinity' WHERE reservation_id = :other_res;
UPDATE boxoffice.seat_claims SET live_until = now() WHERE seat_id = :sold_seat;
SELECT violation, count(*) FROM boxoffice.check_invariants() GROUP BY 1 ORDER BY 1;
ROLLBACK;
SELECT * FROM boxoffice.check_invariants();
