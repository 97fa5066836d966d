-- Both systems side by side: one 5,000-seat performance per round and
-- system (sections A-E x 10 rows x 100 seats, 1,000 points a seat), and 64
-- buyers with points enough for every seat they can buy. Set with -v:
-- rounds. bench_pay.layout says where each round's seats start.
\set ON_ERROR_STOP on
SET client_min_messages = warning;
CREATE SCHEMA bench_pay;
CREATE TABLE bench_pay.layout (system text, round int, performance_id bigint, first_seat bigint, PRIMARY KEY (system, round));

SELECT boxoffice.create_venue('Bench Pay Hall', 'Seoul', ARRAY['A','B','C','D','E'], 10, 100) AS venue \gset
SELECT boxoffice.create_concert('Bench Pay Show', 'Bench') AS concert \gset
SELECT boxoffice.add_price_tier(:concert, 'ALL', 1000, 1, 100) > 0 AS tier;
SELECT boxoffice.publish_concert(:concert);
INSERT INTO bench_pay.layout (system, round, performance_id)
SELECT 'boxoffice', n, boxoffice.create_performance(:concert, :venue, now() + interval '30 days',
                                                    sales_opens_at => now() - interval '1 minute', max_seats_per_customer => 1000)
  FROM generate_series(1, :rounds) n;
SELECT count(boxoffice.set_payment_terms(performance_id, payment_required => true)) AS pay_first FROM bench_pay.layout;
UPDATE bench_pay.layout l SET first_seat = (SELECT min(id) FROM boxoffice.seats s WHERE s.performance_id = l.performance_id);
-- the buyers: users 1..64 of the run are bench-pay-N (pgbench's client_id + 1)
CREATE TABLE bench_pay.buyers (n int PRIMARY KEY, user_id bigint NOT NULL);
INSERT INTO bench_pay.buyers SELECT n, boxoffice.register_user('bench-pay-' || n || '@example.com', 'Buyer ' || n, 'password-' || n)
  FROM generate_series(1, 64) n;
SELECT count(boxoffice.charge_points(1000000, 'bench-start-' || k, b.user_id)) AS charges
  FROM bench_pay.buyers b, generate_series(1, 6) k;

-- the baseline: the same shape, ids computed the same way
INSERT INTO seedpay.users (id, email, points) SELECT n, 'bench-pay-' || n || '@example.com', 6000000 FROM generate_series(1, 64) n;
INSERT INTO seedpay.performances SELECT n, 'Bench Pay Show ' || n FROM generate_series(1, :rounds) n;
INSERT INTO seedpay.seats (id, performance_id, price)
SELECT (p - 1) * 5000 + s, p, 1000 FROM generate_series(1, :rounds) p, generate_series(1, 5000) s;
INSERT INTO bench_pay.layout SELECT 'seedstyle', p, p, (p - 1) * 5000 + 1 FROM generate_series(1, :rounds) p;
ANALYZE;
