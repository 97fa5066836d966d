-- The seed-style baseline of a purchase (seed 004's points payment, as a
-- careful developer would write it from the seed): seats with a status
-- column, a reservation and its seats, the user's points on the users row,
-- a point history and a payment row, all in its own schema. Holding locks the
-- seats FOR UPDATE in id order; paying locks the reservation, then the user,
-- checks the points, and writes the points, the history, the payment, the
-- reservation and the seats in the same transaction. No idempotency keys and
-- no constraints beyond the keys: each deviation is in the baseline's favour.
\set ON_ERROR_STOP on
CREATE SCHEMA seedpay;
SET search_path = seedpay, public;

CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL UNIQUE, points bigint NOT NULL DEFAULT 0,
                    created_at timestamptz DEFAULT now(), updated_at timestamptz DEFAULT now());
CREATE TABLE performances (id bigint PRIMARY KEY, title text NOT NULL);
CREATE TABLE seats (id bigint PRIMARY KEY, performance_id bigint NOT NULL REFERENCES performances,
                    price bigint NOT NULL, status text NOT NULL DEFAULT 'AVAILABLE', updated_at timestamptz DEFAULT now());
CREATE INDEX seats_performance ON seats (performance_id, status);
CREATE TABLE reservations (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, user_id bigint NOT NULL REFERENCES users,
                           performance_id bigint NOT NULL REFERENCES performances, status text NOT NULL,
                           total_amount bigint NOT NULL, expires_at timestamptz NOT NULL,
                           created_at timestamptz DEFAULT now(), updated_at timestamptz DEFAULT now());
CREATE INDEX reservations_user ON reservations (user_id);
CREATE TABLE reservation_seats (reservation_id bigint NOT NULL REFERENCES reservations, seat_id bigint NOT NULL REFERENCES seats,
                                PRIMARY KEY (reservation_id, seat_id));
CREATE TABLE payments (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, reservation_id bigint NOT NULL REFERENCES reservations,
                       user_id bigint NOT NULL REFERENCES users, amount bigint NOT NULL, method text NOT NULL,
                       status text NOT NULL, created_at timestamptz DEFAULT now());
CREATE INDEX payments_reservation ON payments (reservation_id);
CREATE TABLE point_history (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, user_id bigint NOT NULL REFERENCES users,
                            amount bigint NOT NULL, balance_after bigint NOT NULL, payment_id bigint REFERENCES payments,
                            created_at timestamptz DEFAULT now());
CREATE INDEX point_history_user ON point_history (user_id);

-- Holds the seats, all or none (NULL when one is taken).
CREATE FUNCTION hold(p_user bigint, p_performance bigint, p_seats bigint[]) RETURNS bigint LANGUAGE plpgsql SET search_path = seedpay, public AS $$
DECLARE
  v_total bigint;
  v_free int;
  v_id bigint;
BEGIN
  SELECT count(*) FILTER (WHERE status = 'AVAILABLE'), sum(price) INTO v_free, v_total
    FROM (SELECT status, price FROM seats WHERE id = ANY (p_seats) AND performance_id = p_performance ORDER BY id FOR UPDATE) s;
  IF v_free IS DISTINCT FROM cardinality(p_seats) THEN
    RETURN NULL;
  END IF;
  INSERT INTO reservations (user_id, performance_id, status, total_amount, expires_at)
  VALUES (p_user, p_performance, 'PENDING', v_total, now() + interval '5 minutes') RETURNING id INTO v_id;
  INSERT INTO reservation_seats SELECT v_id, unnest(p_seats);
  UPDATE seats SET status = 'HELD', updated_at = now() WHERE id = ANY (p_seats);
  RETURN v_id;
END $$;

-- Pays a pending reservation with points and confirms it; false when the
-- reservation is not payable or the points do not suffice.
CREATE FUNCTION pay(p_user bigint, p_reservation bigint) RETURNS boolean LANGUAGE plpgsql SET search_path = seedpay, public AS $$
DECLARE
  r reservations;
  v_points bigint;
  v_payment bigint;
BEGIN
  SELECT * INTO r FROM reservations WHERE id = p_reservation AND user_id = p_user FOR UPDATE;
  IF NOT FOUND OR r.status <> 'PENDING' OR r.expires_at <= now() THEN
    RETURN false;
  END IF;
  SELECT points INTO v_points FROM users WHERE id = p_user FOR UPDATE;
  IF v_points < r.total_amount THEN
    RETURN false;
  END IF;
  UPDATE users SET points = points - r.total_amount, updated_at = now() WHERE id = p_user;
  INSERT INTO payments (reservation_id, user_id, amount, method, status) VALUES (r.id, p_user, r.total_amount, 'POINT', 'APPROVED')
  RETURNING id INTO v_payment;
  INSERT INTO point_history (user_id, amount, balance_after, payment_id) VALUES (p_user, -r.total_amount, v_points - r.total_amount, v_payment);
  UPDATE reservations SET status = 'CONFIRMED', updated_at = now() WHERE id = r.id;
  UPDATE seats SET status = 'SOLD', updated_at = now() WHERE id IN (SELECT seat_id FROM reservation_seats WHERE reservation_id = r.id);
  RETURN true;
END $$;
