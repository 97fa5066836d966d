-- The boxoffice data both benchmarks use: seed 003's KSPO DOME (4 sections x
-- 4 rows x 20 seats = 320 seats), one published concert with seed 003's tiers,
-- and :shows performances of it, created in order so that seat ids are
-- contiguous per performance. Included with \ir by bench/setup.sql and
-- bench/http/setup.sql after they \set shows.
SELECT boxoffice.create_venue('KSPO DOME', '424 Olympic-ro, Songpa-gu, Seoul', ARRAY['A','B','C','D'], 4, 20) AS venue \gset
SELECT boxoffice.create_concert('Bench Concert', 'Bench Artist') AS concert \gset
SELECT boxoffice.add_price_tier(:concert, 'SPECIAL', 250000, 1, 3),
       boxoffice.add_price_tier(:concert, 'PREMIUM', 190000, 4, 7),
       boxoffice.add_price_tier(:concert, 'ADVANCED', 170000, 8, 15),
       boxoffice.add_price_tier(:concert, 'REGULAR', 140000, 16, 20);
SELECT boxoffice.publish_concert(:concert);
SELECT count(boxoffice.create_performance(:concert, :venue, date_trunc('day', now()) + make_interval(days => 30 + i, hours => 19),
                                          max_seats_per_customer => 1000))
  FROM generate_series(1, :shows) i;
