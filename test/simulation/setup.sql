-- The waiting-room simulation: 2,000 users, one performance of 600 seats
-- whose queue admits 50 at once, with a 10-second stay (the shortest allowed),
-- so that shoppers who do nothing time out within the run.
SET client_min_messages = warning;
DROP SCHEMA IF EXISTS sim CASCADE;
CREATE SCHEMA sim;
CREATE TABLE sim.cfg AS
SELECT boxoffice.create_performance(c, v, now() + interval '30 days') AS perf
  FROM boxoffice.create_concert('Simulation', 'the crowd') c,
       boxoffice.create_venue('Simulation Arena', '', ARRAY['A','B','C'], 10, 20) v,
       boxoffice.add_price_tier(c, 'ALL', 100, 1, 20) t,
       boxoffice.publish_concert(c) p;
SELECT boxoffice.set_queue((SELECT perf FROM sim.cfg), max_active => 50, active_stay => interval '10 seconds') IS NOT NULL AS queue;
-- accounts made as rows: the simulation is about the line, not registration
CREATE TABLE sim.users AS
WITH made AS (
  INSERT INTO boxoffice.users (email, name, password_hash)
  SELECT 'sim-' || n || '@example.com', 'fan ' || n, 'x' FROM generate_series(1, 2000) n RETURNING id)
SELECT row_number() OVER (ORDER BY id) AS n, id FROM made;
CREATE TABLE sim.actions (at timestamptz DEFAULT clock_timestamp(), user_id bigint, action text);

-- One shopper's step: enter (or poll); when active, buy (40%), leave (30%)
-- or do nothing and let the stay time out (30%). A buyer who finds no seat
-- leaves.
CREATE FUNCTION sim.step(n int) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  u bigint := (SELECT id FROM sim.users WHERE sim.users.n = step.n);
  p bigint := (SELECT perf FROM sim.cfg);
  t boxoffice.queue_ticket := boxoffice.enter_queue(p, u);
  r float8 := random();
  b boxoffice.booking;
  seat bigint;
BEGIN
  IF t.state = 'waiting' THEN
    t := boxoffice.queue_status(t.token, u);
  END IF;
  IF t.state <> 'active' OR EXISTS (SELECT FROM sim.actions a WHERE a.user_id = u) THEN
    RETURN t.state;
  END IF;
  IF r < 0.4 THEN
    SELECT s.seat_id INTO seat FROM boxoffice.seat_map(p) s WHERE s.status = 'available' ORDER BY random() LIMIT 1;
    IF seat IS NOT NULL THEN
      BEGIN
        b := boxoffice.try_hold(p, ARRAY[seat], u);
      EXCEPTION WHEN SQLSTATE 'TK025' THEN  -- the stay ran out while choosing
        INSERT INTO sim.actions (user_id, action) VALUES (u, 'timing out');
        RETURN 'idle';
      END;
    END IF;
    IF b.reservation_id IS NOT NULL THEN
      PERFORM boxoffice.confirm(b.reservation_id, u);
      INSERT INTO sim.actions (user_id, action) VALUES (u, 'bought');
      RETURN 'bought';
    END IF;
    PERFORM boxoffice.leave_queue(t.token, u);
    INSERT INTO sim.actions (user_id, action) VALUES (u, 'no seat, left');
    RETURN 'left';
  ELSIF r < 0.7 THEN
    PERFORM boxoffice.leave_queue(t.token, u);
    INSERT INTO sim.actions (user_id, action) VALUES (u, 'left');
    RETURN 'left';
  END IF;
  INSERT INTO sim.actions (user_id, action) VALUES (u, 'timing out');
  RETURN 'idle';
END $$;
