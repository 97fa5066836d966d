-- Data of the on-sale storm (bench/http/storm.sh): one 1,000-seat venue
-- (sections A-E x 10 rows x 20 seats), one published concert, two
-- performances on sale now (one per run: without and with the waiting
-- room), and :buyers buyer accounts storm-N@example.com sharing one
-- password hash (one bcrypt for all: they log in with 'storm-password').
--   psql -v buyers=10000 -f bench/http/storm-setup.sql
\set ON_ERROR_STOP on
SELECT boxoffice.create_venue('Storm Arena', '1 Storm-ro', ARRAY['A','B','C','D','E'], 10, 20) AS venue \gset
SELECT boxoffice.create_concert('Storm Concert', 'Storm Artist') AS concert \gset
SELECT boxoffice.add_price_tier(:concert, 'VIP', 200000, 1, 5),
       boxoffice.add_price_tier(:concert, 'R', 150000, 6, 15),
       boxoffice.add_price_tier(:concert, 'S', 100000, 16, 20);
SELECT boxoffice.publish_concert(:concert);

CREATE SCHEMA storm;
CREATE TABLE storm.layout AS
SELECT boxoffice.create_performance(:concert, :venue, date_trunc('day', now()) + interval '30 days 19 hours') AS direct_performance,
       boxoffice.create_performance(:concert, :venue, date_trunc('day', now()) + interval '31 days 19 hours') AS queue_performance;

INSERT INTO boxoffice.users (email, name, password_hash)
SELECT 'storm-' || i || '@example.com', 'Storm Buyer ' || i, h.hash
  FROM generate_series(1, :buyers) i, (SELECT boxoffice._hash_secret('storm-password') AS hash) h;
ALTER TABLE storm.layout ADD COLUMN first_user bigint, ADD COLUMN buyers bigint, ADD COLUMN seats bigint;
UPDATE storm.layout SET first_user = (SELECT min(id) FROM boxoffice.users WHERE email LIKE 'storm-%'),
                        buyers = (SELECT count(*) FROM boxoffice.users WHERE email LIKE 'storm-%'),
                        seats = (SELECT count(*) FROM boxoffice.seats WHERE performance_id = direct_performance);

DO $$
DECLARE
  l storm.layout := (SELECT l FROM storm.layout l);
BEGIN
  IF l.seats <> 1000 OR (SELECT count(*) FROM boxoffice.seats WHERE performance_id = l.queue_performance) <> 1000
     OR (SELECT max(id) - min(id) + 1 FROM boxoffice.users WHERE email LIKE 'storm-%') <> l.buyers THEN
    RAISE EXCEPTION 'the storm data is not laid out as storm.sh assumes (1000 seats each, contiguous user ids)';
  END IF;
END $$;

VACUUM ANALYZE;
