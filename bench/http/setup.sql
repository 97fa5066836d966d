-- Data of the HTTP benchmark: one 320-seat venue (seed 003's KSPO DOME,
-- 4 sections x 4 rows x 20 seats), one published concert with tiers covering
-- seats 1..20, and :performances performances of it. Both clients address a
-- seat by arithmetic,
--   seat id = first seat id + (performance id - first performance id) * 320 + k,  k in 0..319,
-- so this file checks that the ids really are laid out that way.
--   psql -v performances=100 -f bench/http/setup.sql
\set ON_ERROR_STOP on
\set shows :performances
\ir ../seed003-shows.sql

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
