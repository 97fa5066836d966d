-- Data of the HTTP benchmark: one 320-seat venue (seed 003's KSPO DOME,
-- 4 sections x 4 rows x 20 seats), one published concert with tiers covering
-- seats 1..20, and :performances performances of it. Both clients address a
-- seat by arithmetic,
--   seat id = first seat id + (performance id - first performance id) * 320 + k,  k in 0..319,
-- so this file checks that the ids really are laid out that way.
--   psql -v performances=100 -f bench/http/setup.sql
\set ON_ERROR_STOP on
SELECT boxoffice.create_venue('KSPO DOME', '424 Olympic-ro, Songpa-gu, Seoul', ARRAY['A','B','C','D'], 4, 20) AS venue \gset
SELECT boxoffice.create_concert('HTTP Bench Concert', 'Bench Artist') AS concert \gset
SELECT boxoffice.add_price_tier(:concert, 'SPECIAL', 250000, 1, 3),
       boxoffice.add_price_tier(:concert, 'PREMIUM', 190000, 4, 7),
       boxoffice.add_price_tier(:concert, 'ADVANCED', 170000, 8, 15),
       boxoffice.add_price_tier(:concert, 'REGULAR', 140000, 16, 20);
SELECT boxoffice.publish_concert(:concert);
SELECT count(boxoffice.create_performance(:concert, :venue, date_trunc('day', now()) + make_interval(days => 30 + i, hours => 19),
                                          max_seats_per_customer => 1000))
  FROM generate_series(1, :performances) i;

CREATE SCHEMA bench_http;
CREATE TABLE bench_http.layout AS
SELECT (SELECT min(id) FROM boxoffice.performances) AS first_performance,
       (SELECT count(*) FROM boxoffice.performances) AS performances,
       (SELECT min(id) FROM boxoffice.seats) AS first_seat;

DO $$
DECLARE
  l bench_http.layout := (SELECT l FROM bench_http.layout l);
BEGIN
  IF (SELECT count(*) FILTER (WHERE s.id BETWEEN l.first_seat + (s.performance_id - l.first_performance) * 320
                                             AND l.first_seat + (s.performance_id - l.first_performance) * 320 + 319)
        FROM boxoffice.seats s) <> l.performances * 320
  OR (SELECT count(*) FROM boxoffice.seats) <> l.performances * 320
  OR (SELECT max(id) - min(id) + 1 FROM boxoffice.performances) <> l.performances THEN
    RAISE EXCEPTION 'seat or performance ids are not laid out as the benchmark clients assume';
  END IF;
END $$;

VACUUM ANALYZE;
