-- Wallet concurrency fixture: one performance that sells against payment,
-- 100 seats at 100 points, one user holding them all, with 1,000 points to
-- start. Wrappers turn a refusal into an outcome instead of an error, so a
-- pgbench client survives it.
\set ON_ERROR_STOP on
SET client_min_messages = warning;
DROP SCHEMA IF EXISTS wallet_test CASCADE;
CREATE SCHEMA wallet_test;
CREATE TABLE wallet_test.cfg AS
SELECT boxoffice.create_venue('Wallet Hall', 'Seoul', ARRAY['A'], 1, 100) AS venue,
       boxoffice.create_concert('Wallet Test', 'pgbench') AS concert,
       boxoffice.register_user('wallet-test@example.com', 'Wallet Test', 'wallet-password') AS user_id;
SELECT boxoffice.add_price_tier(concert, 'ALL', 100, 1, 100), boxoffice.publish_concert(concert) FROM wallet_test.cfg;
ALTER TABLE wallet_test.cfg ADD perf bigint, ADD first_seat bigint;
UPDATE wallet_test.cfg SET perf = boxoffice.create_performance(concert, venue, now() + interval '30 days', max_seats_per_customer => 1000);
UPDATE wallet_test.cfg SET first_seat = (SELECT min(id) FROM boxoffice.seats WHERE performance_id = perf);
SELECT boxoffice.set_payment_terms(perf, payment_required => true) IS NOT NULL AS terms FROM wallet_test.cfg;
SELECT amount FROM boxoffice.charge_points(1000, 'wallet-test-start', (SELECT user_id FROM wallet_test.cfg));
CREATE TABLE wallet_test.outcomes (step text, outcome text, entry_id bigint);

-- Client c charges 100 points, with its own key.
CREATE FUNCTION wallet_test.charge(c int) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO wallet_test.outcomes
  SELECT 'charge', 'charged', e.entry_id FROM boxoffice.charge_points(100, 'wallet-test-charge-' || c, (SELECT user_id FROM wallet_test.cfg)) e;
EXCEPTION WHEN OTHERS THEN
  IF SQLSTATE NOT LIKE 'TK%' THEN RAISE; END IF;
  INSERT INTO wallet_test.outcomes VALUES ('charge', SQLSTATE, NULL);
END $$;

-- Client c holds seat c and pays it with points. A refused payment leaves the hold.
CREATE FUNCTION wallet_test.pay(c int) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  cfg wallet_test.cfg := (SELECT x FROM wallet_test.cfg x);
  r bigint := (SELECT reservation_id FROM boxoffice.hold(cfg.perf, ARRAY[cfg.first_seat + c], cfg.user_id));
BEGIN
  BEGIN
    PERFORM boxoffice.pay_with_points(r, 'wallet-test-pay-' || c, cfg.user_id);
    INSERT INTO wallet_test.outcomes VALUES ('pay', 'paid', NULL);
  EXCEPTION WHEN OTHERS THEN
    IF SQLSTATE NOT LIKE 'TK%' THEN RAISE; END IF;
    INSERT INTO wallet_test.outcomes VALUES ('pay', SQLSTATE, NULL);
  END;
END $$;

-- Everyone sends one and the same key at once.
CREATE FUNCTION wallet_test.same_key() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO wallet_test.outcomes
  SELECT 'same_key', 'answered', e.entry_id FROM boxoffice.charge_points(7, 'wallet-test-one-key', (SELECT user_id FROM wallet_test.cfg)) e;
EXCEPTION WHEN OTHERS THEN
  IF SQLSTATE NOT LIKE 'TK%' THEN RAISE; END IF;
  INSERT INTO wallet_test.outcomes VALUES ('same_key', SQLSTATE, NULL);
END $$;
