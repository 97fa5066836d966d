-- Stress fixture: one 320-seat performance (seed 003 layout), 32 users, and a
-- wrapper that turns a refused hold into an outcome instead of an error, so a
-- pgbench client survives it. Holds last 2 seconds, so expiry happens during
-- the run, both lazily (a new hold takes an expired seat) and by sweep().
\set ON_ERROR_STOP on
SET client_min_messages = warning;
DROP SCHEMA IF EXISTS stress CASCADE;
CREATE SCHEMA stress;
CREATE TABLE stress.cfg AS
SELECT boxoffice.create_venue('Stress Dome', 'Seoul', ARRAY['A','B','C','D'], 4, 20) AS venue,
       boxoffice.create_concert('Stress Test', 'pgbench') AS concert;
SELECT boxoffice.add_price_tier(concert, 'SPECIAL', 250000, 1, 3), boxoffice.add_price_tier(concert, 'PREMIUM', 190000, 4, 7),
       boxoffice.add_price_tier(concert, 'ADVANCED', 170000, 8, 15), boxoffice.add_price_tier(concert, 'REGULAR', 140000, 16, 20),
       boxoffice.publish_concert(concert)
  FROM stress.cfg;
ALTER TABLE stress.cfg ADD perf bigint, ADD first_seat bigint;
UPDATE stress.cfg SET perf = boxoffice.create_performance(concert, venue, now() + interval '30 days',
                                                        hold_lifetime => '2 seconds', max_seats_per_customer => 16);
UPDATE stress.cfg SET first_seat = (SELECT min(id) FROM boxoffice.seats WHERE performance_id = perf);
CREATE TABLE stress.users AS
SELECT n - 1 AS client, boxoffice.register_user(format('stress-%s@example.com', n), format('Stress %s', n), 'stress-password') AS user_id
  FROM generate_series(1, 32) n;
CREATE TABLE stress.outcomes (step text, outcome text);

-- One hold attempt of 1-3 seats numbered 1..320; refusals are outcomes.
CREATE FUNCTION stress.try_hold(client int, n int, a int, b int, c int) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
  cfg stress.cfg := (SELECT x FROM stress.cfg x);
  seats bigint[] := (SELECT array_agg(DISTINCT cfg.first_seat + s - 1) FROM unnest((ARRAY[a, b, c])[1:n]) s);
  res bigint;
BEGIN
  SELECT reservation_id INTO res
    FROM boxoffice.hold(cfg.perf, seats, (SELECT user_id FROM stress.users u WHERE u.client = try_hold.client));
  INSERT INTO stress.outcomes VALUES ('hold', 'held');
  RETURN res;
EXCEPTION WHEN OTHERS THEN
  IF SQLSTATE NOT LIKE 'TK%' THEN RAISE; END IF;
  INSERT INTO stress.outcomes VALUES ('hold', SQLSTATE);
  RETURN 0;
END $$;

-- What the customer does next: confirm, cancel, release, or let it expire.
CREATE FUNCTION stress.follow_up(client int, res bigint, action int) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  uid bigint := (SELECT user_id FROM stress.users u WHERE u.client = follow_up.client);
  done text;
BEGIN
  CASE action
    WHEN 1, 2, 3, 4 THEN done := (boxoffice.confirm(res, uid)).status;
    WHEN 5 THEN done := (boxoffice.cancel(res, uid)).status;
    WHEN 6 THEN done := (boxoffice.release(res, uid)).status;
    WHEN 7 THEN PERFORM boxoffice.sweep(); done := 'swept';
    ELSE done := 'left to expire';
  END CASE;
  INSERT INTO stress.outcomes VALUES ('follow_up', done);
EXCEPTION WHEN OTHERS THEN
  IF SQLSTATE NOT LIKE 'TK%' THEN RAISE; END IF;
  INSERT INTO stress.outcomes VALUES ('follow_up', SQLSTATE);
END $$;

-- Some confirmed reservations are cancelled later, by their owner.
CREATE FUNCTION stress.cancel_one(client int) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  uid bigint := (SELECT user_id FROM stress.users u WHERE u.client = cancel_one.client);
  res bigint := (SELECT max(id) FROM boxoffice.reservations WHERE user_id = uid AND status = 'confirmed');
BEGIN
  IF res IS NOT NULL THEN
    PERFORM boxoffice.cancel(res, uid);
    INSERT INTO stress.outcomes VALUES ('cancel_confirmed', 'cancelled');
  END IF;
END $$;
