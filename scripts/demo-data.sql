-- Demo data for `make run`: seed 003's KSPO DOME (sections A-D x 4 rows x 20
-- seats = 320 seats), two published concerts with performances on sale, and a
-- demo user. Prices follow seed 003's column rules.
\set ON_ERROR_STOP on
SELECT boxoffice.create_venue('KSPO DOME', '424 Olympic-ro, Songpa-gu, Seoul', ARRAY['A','B','C','D'], 4, 20) AS venue \gset

SELECT boxoffice.create_concert('IU Concert 2026', 'IU', 'IU live in Seoul', 'https://example.com/posters/iu.jpg') AS iu \gset
SELECT boxoffice.create_concert('Seoul Jazz Night', 'Various Artists', 'An evening of jazz', NULL) AS jazz \gset

SELECT boxoffice.add_price_tier(c, 'SPECIAL', 250000, 1, 3),
       boxoffice.add_price_tier(c, 'PREMIUM', 190000, 4, 7),
       boxoffice.add_price_tier(c, 'ADVANCED', 170000, 8, 15),
       boxoffice.add_price_tier(c, 'REGULAR', 140000, 16, 20)
  FROM unnest(ARRAY[:iu, :jazz]::bigint[]) c;

SELECT boxoffice.create_performance(:iu, :venue, date_trunc('day', now()) + interval '30 days 19 hours') AS first \gset
SELECT boxoffice.create_performance(:iu, :venue, date_trunc('day', now()) + interval '31 days 19 hours') AS second \gset
SELECT boxoffice.create_performance(:jazz, :venue, date_trunc('day', now()) + interval '45 days 20 hours') AS jazz_night \gset
-- Performance 1 sells as a box office does (confirm without paying: the
-- README's walkthroughs); the others only against payment, points or card
-- (the fake gateway of make run), and cancel until a day before the start.
SELECT boxoffice.set_payment_terms(p, payment_required => true, cancel_cutoff => interval '1 day') IS NOT NULL AS pay_first
  FROM unnest(ARRAY[:second, :jazz_night]::bigint[]) p;
SELECT boxoffice.publish_concert(:iu), boxoffice.publish_concert(:jazz);

SELECT boxoffice.register_user('fan@example.com', 'Demo Fan', 'correct horse battery') AS demo_user \gset
SELECT boxoffice.set_admin(boxoffice.register_user('admin@example.com', 'Demo Admin', 'admin-password'), true) IS NOT NULL AS admin;
