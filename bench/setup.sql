-- Same data for both systems: one 320-seat venue (seed 003's KSPO DOME) and
-- 101 shows of it: 100 for the uncontended workload, the last one for the
-- hot workload. The pgbench scripts address a seat by arithmetic,
--   seat id = first seat id + show * 320 + row * 20 + column,
-- so this file checks that the ids really are laid out that way.
\set ON_ERROR_STOP on

-- boxoffice
\set shows 101
\ir seed003-shows.sql

-- seed-style baseline
INSERT INTO seedstyle.venues (name, address, section_count, rows_per_section, columns_per_section)
VALUES ('KSPO DOME', '424 Olympic-ro, Songpa-gu, Seoul', 4, 4, 20) RETURNING id AS ss_venue \gset
INSERT INTO seedstyle.seat_grades (venue_id, name, price, row_start, row_end)
VALUES (:ss_venue, 'SPECIAL', 250000, 1, 3), (:ss_venue, 'PREMIUM', 190000, 4, 7),
       (:ss_venue, 'ADVANCED', 170000, 8, 15), (:ss_venue, 'REGULAR', 140000, 16, 20);
INSERT INTO seedstyle.concerts (venue_id, name, date)
SELECT :ss_venue, 'Bench Concert', date_trunc('day', now()) + make_interval(days => 30 + i, hours => 19)
  FROM generate_series(0, 100) i ORDER BY i;
SELECT count(seedstyle.generate_seats_for_concert(id)) FROM (SELECT id FROM seedstyle.concerts ORDER BY id) c;

-- Where each system's shows and seats start; the scripts get these with -D.
CREATE SCHEMA bench;
CREATE TABLE bench.layout (system text PRIMARY KEY, first_show bigint NOT NULL, first_seat bigint NOT NULL);
INSERT INTO bench.layout
SELECT 'boxoffice', (SELECT min(id) FROM boxoffice.performances), (SELECT min(id) FROM boxoffice.seats)
UNION ALL
SELECT 'seedstyle', (SELECT min(id) FROM seedstyle.concerts), (SELECT min(id) FROM seedstyle.seats);

DO $$
DECLARE
  bo bench.layout := (SELECT l FROM bench.layout l WHERE system = 'boxoffice');
  ss bench.layout := (SELECT l FROM bench.layout l WHERE system = 'seedstyle');
BEGIN
  IF (SELECT count(*) FILTER (WHERE s.id = bo.first_seat + (s.performance_id - bo.first_show) * 320
                                          + ((ascii(s.section) - ascii('A')) * 4 + s.row_number - 1) * 20 + s.seat_number - 1)
        FROM boxoffice.seats s) <> 101 * 320
  OR (SELECT count(*) FILTER (WHERE s.id = ss.first_seat + (s.concert_id - ss.first_show) * 320
                                          + ((ascii(s.section::text) - ascii('A')) * 4 + s.row - 1) * 20 + s."column" - 1)
        FROM seedstyle.seats s) <> 101 * 320 THEN
    RAISE EXCEPTION 'seat ids are not laid out as the pgbench scripts assume';
  END IF;
END $$;


VACUUM ANALYZE;
