-- The crash test's stage: a 2,000-seat performance that sells against
-- payment, and 4 buyers with points for every seat.
SET client_min_messages = warning;
CREATE SCHEMA crash_test;
CREATE TABLE crash_test.cfg AS SELECT 0::bigint AS performance_id;
CREATE TABLE crash_test.buyers (n int PRIMARY KEY, user_id bigint NOT NULL);
SELECT boxoffice.create_venue('Crash Hall', 'Seoul', ARRAY['A','B'], 10, 100) AS venue \gset
SELECT boxoffice.create_concert('Crash Show', 'Tester') AS concert \gset
SELECT boxoffice.add_price_tier(:concert, 'ALL', 100, 1, 100) > 0;
SELECT boxoffice.publish_concert(:concert);
UPDATE crash_test.cfg SET performance_id = boxoffice.create_performance(:concert, :venue, now() + interval '30 days',
                                                                       max_seats_per_customer => 1000);
SELECT boxoffice.set_payment_terms(performance_id, payment_required => true) FROM crash_test.cfg;
INSERT INTO crash_test.buyers SELECT n, boxoffice.register_user('crash-' || n || '@example.com', 'Buyer ' || n, 'password-' || n)
  FROM generate_series(1, 4) n;
SELECT boxoffice.charge_points(200000, 'crash-start', user_id) FROM crash_test.buyers;
