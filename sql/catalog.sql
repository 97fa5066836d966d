-- Catalog: venues, concerts, tiers, performances, publishing, soft delete.
-- Also builds the fixtures (schema t, and fixture.seats) that the later tests use.
\set SHOW_CONTEXT never
SET client_min_messages = warning;

CREATE SCHEMA t;
CREATE TABLE t.fixtures (name text PRIMARY KEY, id bigint NOT NULL);
CREATE FUNCTION t.id(name text) RETURNS bigint LANGUAGE sql STABLE AS $$ SELECT id FROM t.fixtures f WHERE f.name = $1 $$;
-- fixture.seats, the seat helper every SQL suite shares; its text is not echoed
-- here. pg_regress feeds this file to psql on stdin, so the path is from the
-- directory make runs in.
\set ECHO none
\i test/fixtures/seats.sql
\set ECHO all

-- venues -----------------------------------------------------------------
INSERT INTO t.fixtures SELECT 'kspo', boxoffice.create_venue('KSPO DOME', 'Seoul', ARRAY['A','B','C','D'], 4, 20);
SELECT name, sections, rows_per_section, seats_per_row, capacity FROM boxoffice.venues;
SELECT boxoffice.create_venue('', 'x', ARRAY['A'], 1, 1);
\echo :LAST_ERROR_SQLSTATE
SELECT boxoffice.create_venue('Hall', 'x', ARRAY['A','A'], 1, 1);
\echo :LAST_ERROR_SQLSTATE
SELECT boxoffice.create_venue('Hall', 'x', ARRAY['A'], 0, 1);
\echo :LAST_ERROR_SQLSTATE
SELECT boxoffice.create_venue('Hall', 'x', ARRAY['A'], 1, 501);
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS venues FROM boxoffice.venues;

-- concerts and tiers -------------------------------------------------------
INSERT INTO t.fixtures SELECT 'show', boxoffice.create_concert('Main Show', 'IU', 'the main test concert', 'https://example.com/p.jpg');
SELECT title, artist, status, published_at IS NULL AS unpublished FROM boxoffice.concerts WHERE id = t.id('show');
SELECT boxoffice.create_concert(' ', 'IU');
\echo :LAST_ERROR_SQLSTATE
SELECT boxoffice.create_concert('X', 'IU', '', 'ftp://nope');
\echo :LAST_ERROR_SQLSTATE

-- seed 003's column rules
SELECT boxoffice.add_price_tier(t.id('show'), 'SPECIAL', 250000, 1, 3) > 0 AS special,
       boxoffice.add_price_tier(t.id('show'), 'PREMIUM', 190000, 4, 7) > 0 AS premium,
       boxoffice.add_price_tier(t.id('show'), 'ADVANCED', 170000, 8, 15) > 0 AS advanced,
       boxoffice.add_price_tier(t.id('show'), 'REGULAR', 140000, 16, 20) > 0 AS regular;
SELECT boxoffice.add_price_tier(t.id('show'), 'VIP', 300000, 3, 4);
\echo :LAST_ERROR_SQLSTATE
SELECT boxoffice.add_price_tier(t.id('show'), 'SPECIAL', 1, 30, 31);
\echo :LAST_ERROR_SQLSTATE
SELECT boxoffice.add_price_tier(t.id('show'), 'VIP', 300000, 5, 2);
\echo :LAST_ERROR_SQLSTATE
SELECT boxoffice.add_price_tier(t.id('show'), 'VIP', -1, 21, 22);
\echo :LAST_ERROR_SQLSTATE
SELECT boxoffice.add_price_tier(999999, 'VIP', 1, 1, 1);
\echo :LAST_ERROR_SQLSTATE

-- performances ---------------------------------------------------------------
-- p1: on sale now; p_later: sales open in 2029; p_short: 1-second holds
INSERT INTO t.fixtures SELECT 'p1', boxoffice.create_performance(t.id('show'), t.id('kspo'), make_timestamptz(2030, 6, 1, 19, 0, 0, 'Asia/Seoul'));
INSERT INTO t.fixtures SELECT 'p2', boxoffice.create_performance(t.id('show'), t.id('kspo'), make_timestamptz(2030, 6, 2, 19, 0, 0, 'Asia/Seoul'));
INSERT INTO t.fixtures SELECT 'p_later', boxoffice.create_performance(t.id('show'), t.id('kspo'), make_timestamptz(2030, 6, 3, 19, 0, 0, 'Asia/Seoul'),
                                                                      sales_opens_at => make_timestamptz(2029, 1, 1, 10, 0, 0, 'Asia/Seoul'));
INSERT INTO t.fixtures SELECT 'p_short', boxoffice.create_performance(t.id('show'), t.id('kspo'), make_timestamptz(2030, 6, 4, 19, 0, 0, 'Asia/Seoul'),
                                                                      hold_lifetime => '1 second');
SELECT count(*) AS seats, count(DISTINCT section) AS sections, min(row_number), max(row_number), min(seat_number), max(seat_number)
  FROM boxoffice.seats WHERE performance_id = t.id('p1');
SELECT t.label, s.price, count(*) AS seats, min(s.seat_number) AS first, max(s.seat_number) AS last
  FROM boxoffice.seats s JOIN boxoffice.price_tiers t ON t.id = s.tier_id
 WHERE s.performance_id = t.id('p1') GROUP BY 1, 2 ORDER BY 2 DESC;
SELECT hold_lifetime, max_seats_per_hold, max_seats_per_customer, sales_closes_at = starts_at AS closes_at_start,
       ends_at - starts_at AS duration
  FROM boxoffice.performances WHERE id = t.id('p1');

-- a concert whose tiers leave seats unpriced
INSERT INTO t.fixtures SELECT 'partial', boxoffice.create_concert('Partial', 'Nobody');
SELECT boxoffice.add_price_tier(t.id('partial'), 'FRONT', 100, 1, 18) > 0;
SELECT boxoffice.create_performance(t.id('partial'), t.id('kspo'), make_timestamptz(2030, 7, 1, 19, 0, 0, 'Asia/Seoul'));
\echo :LAST_ERROR_SQLSTATE
-- tiers by section complete it
SELECT boxoffice.add_price_tier(t.id('partial'), 'SIDE-AB', 50, 19, 20, ARRAY['A','B']) > 0;
SELECT boxoffice.add_price_tier(t.id('partial'), 'SIDE-CD', 60, 19, 20, ARRAY['C','D']) > 0;
SELECT boxoffice.add_price_tier(t.id('partial'), 'SIDE-D', 70, 20, 20, ARRAY['D']);  -- overlaps within a section
\echo :LAST_ERROR_SQLSTATE
INSERT INTO t.fixtures SELECT 'p_draft', boxoffice.create_performance(t.id('partial'), t.id('kspo'), make_timestamptz(2030, 7, 1, 19, 0, 0, 'Asia/Seoul'));
SELECT count(*) FILTER (WHERE price = 50) AS ab_side, count(*) FILTER (WHERE price = 60) AS cd_side
  FROM boxoffice.seats WHERE performance_id = t.id('p_draft');

SELECT boxoffice.create_performance(t.id('show'), 999999, make_timestamptz(2030, 6, 1, 19, 0, 0, 'Asia/Seoul'));
\echo :LAST_ERROR_SQLSTATE
SELECT boxoffice.create_performance(t.id('show'), t.id('kspo'), make_timestamptz(2030, 6, 1, 19, 0, 0, 'Asia/Seoul'), ends_at => make_timestamptz(2030, 6, 1, 18, 0, 0, 'Asia/Seoul'));
\echo :LAST_ERROR_SQLSTATE
SELECT boxoffice.create_performance(t.id('show'), t.id('kspo'), make_timestamptz(2030, 6, 1, 19, 0, 0, 'Asia/Seoul'), sales_opens_at => make_timestamptz(2030, 6, 2, 0, 0, 0, 'Asia/Seoul'));
\echo :LAST_ERROR_SQLSTATE
SELECT boxoffice.create_performance(t.id('show'), t.id('kspo'), make_timestamptz(2030, 6, 1, 19, 0, 0, 'Asia/Seoul'), hold_lifetime => '2 hours');
\echo :LAST_ERROR_SQLSTATE
SELECT boxoffice.create_performance(t.id('show'), t.id('kspo'), make_timestamptz(2030, 6, 1, 19, 0, 0, 'Asia/Seoul'), max_seats_per_hold => 0);
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS performances FROM boxoffice.performances;

-- rules and sales window
SELECT boxoffice.set_performance_rules(t.id('p2'), max_seats_per_hold => 2);
SELECT hold_lifetime, max_seats_per_hold, max_seats_per_customer FROM boxoffice.performances WHERE id = t.id('p2');
SELECT boxoffice.set_performance_rules(t.id('p2'), max_seats_per_customer => 0);
\echo :LAST_ERROR_SQLSTATE
SELECT boxoffice.set_performance_rules(999999, max_seats_per_hold => 2);
\echo :LAST_ERROR_SQLSTATE
SELECT boxoffice.set_sales_window(t.id('p2'), '2030-01-01', '2029-01-01');
\echo :LAST_ERROR_SQLSTATE

-- publishing: draft -> published -> archived
SELECT boxoffice.archive_concert(t.id('show'));
\echo :LAST_ERROR_SQLSTATE
SELECT boxoffice.publish_concert(t.id('show'));
SELECT boxoffice.publish_concert(t.id('show'));  -- again: no-op
SELECT status, published_at IS NOT NULL AS has_published_at FROM boxoffice.concerts WHERE id = t.id('show');
SELECT title FROM boxoffice.concerts();  -- buyers see only published concerts

INSERT INTO t.fixtures SELECT 'old', boxoffice.create_concert('Old Show', 'Someone');
SELECT boxoffice.publish_concert(t.id('old')), boxoffice.archive_concert(t.id('old'));
SELECT boxoffice.publish_concert(t.id('old'));
\echo :LAST_ERROR_SQLSTATE
SELECT title FROM boxoffice.concerts();

-- soft delete
INSERT INTO t.fixtures SELECT 'gone', boxoffice.create_concert('Gone Show', 'Someone');
SELECT boxoffice.add_price_tier(t.id('gone'), 'ALL', 1000, 1, 20) > 0;
INSERT INTO t.fixtures SELECT 'p_gone', boxoffice.create_performance(t.id('gone'), t.id('kspo'), make_timestamptz(2030, 8, 1, 19, 0, 0, 'Asia/Seoul'));
SELECT boxoffice.publish_concert(t.id('gone'));
SELECT title FROM boxoffice.concerts() ORDER BY 1;
SELECT boxoffice.delete_concert(t.id('gone'));
SELECT title FROM boxoffice.concerts() ORDER BY 1;
SELECT deleted_at IS NOT NULL AS performance_deleted FROM boxoffice.performances WHERE id = t.id('p_gone');
SELECT boxoffice.delete_concert(t.id('gone'));
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS kept_in_history FROM boxoffice.concerts WHERE id = t.id('gone');

SELECT boxoffice.delete_venue(t.id('kspo'));
\echo :LAST_ERROR_SQLSTATE
INSERT INTO t.fixtures SELECT 'small', boxoffice.create_venue('Small Hall', 'Busan', ARRAY['A'], 1, 5);
SELECT boxoffice.delete_venue(t.id('small'));
SELECT boxoffice.create_performance(t.id('show'), t.id('small'), make_timestamptz(2030, 6, 1, 19, 0, 0, 'Asia/Seoul'));
\echo :LAST_ERROR_SQLSTATE

-- a cancelled performance (stays visible, not on sale)
INSERT INTO t.fixtures SELECT 'p_cancelled', boxoffice.create_performance(t.id('show'), t.id('kspo'), make_timestamptz(2030, 6, 5, 19, 0, 0, 'Asia/Seoul'));
SELECT boxoffice.cancel_performance(t.id('p_cancelled'));
SELECT status FROM boxoffice.performances WHERE id = t.id('p_cancelled');

-- updated_at moves on update
SELECT updated_at > created_at AS touched FROM boxoffice.concerts WHERE id = t.id('show');

-- moving a sales window, and deleting a performance
INSERT INTO t.fixtures SELECT 'p_tmp', boxoffice.create_performance(t.id('show'), t.id('kspo'), make_timestamptz(2030, 6, 6, 19, 0, 0, 'Asia/Seoul'),
                                                                    sales_opens_at => make_timestamptz(2029, 1, 1, 10, 0, 0, 'Asia/Seoul'));
SELECT boxoffice.set_sales_window(t.id('p_tmp'), make_timestamptz(2026, 1, 1, 10, 0, 0, 'Asia/Seoul'), make_timestamptz(2030, 6, 6, 18, 0, 0, 'Asia/Seoul'));
SELECT sales_opens_at = make_timestamptz(2026, 1, 1, 10, 0, 0, 'Asia/Seoul') AS moved_open, sales_closes_at = make_timestamptz(2030, 6, 6, 18, 0, 0, 'Asia/Seoul') AS moved_close
  FROM boxoffice.performances WHERE id = t.id('p_tmp');
SELECT boxoffice.delete_performance(t.id('p_tmp'));
SELECT deleted_at IS NOT NULL AS deleted FROM boxoffice.performances WHERE id = t.id('p_tmp');
SELECT boxoffice.delete_performance(t.id('p_tmp'));
\echo :LAST_ERROR_SQLSTATE
SELECT boxoffice.set_sales_window(t.id('p_tmp'), make_timestamptz(2026, 1, 1, 10, 0, 0, 'Asia/Seoul'), make_timestamptz(2030, 6, 6, 18, 0, 0, 'Asia/Seoul'));
\echo :LAST_ERROR_SQLSTATE
