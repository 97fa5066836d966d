-- Data as boxoffice 0.4.0 keeps it, for the upgrade test from 0.4.0 (once a
-- newer version exists): one reservation in every state. The catalog and the
-- accounts go through 0.4.0's SQL API; the reservations are written as rows
-- (the engine's C entry points belong to 0.4.0's library, not necessarily to
-- the one installed), and their claims follow them (claims.sql).
\set ON_ERROR_STOP on
SET client_min_messages = warning;
SELECT boxoffice.create_venue('Upgrade Hall', 'Seoul', ARRAY['A', 'B'], 2, 10) AS venue \gset
SELECT boxoffice.create_concert('Upgrade Show', 'Tester', 'kept across versions', 'https://example.com/u.jpg') AS concert \gset
SELECT boxoffice.add_price_tier(:concert, 'FRONT', 1000, 1, 5) > 0 AS front, boxoffice.add_price_tier(:concert, 'BACK', 500, 6, 10) > 0 AS back;
SELECT boxoffice.create_performance(:concert, :venue, now() + interval '30 days') AS perf \gset
SELECT boxoffice.publish_concert(:concert);
SELECT boxoffice.register_user('upgrade-a@example.com', 'Upgrade A', 'password-a') AS ua \gset
SELECT boxoffice.register_user('upgrade-b@example.com', 'Upgrade B', 'password-b') AS ub \gset
SELECT boxoffice.set_admin(:ub, true) IS NOT NULL AS admin;

CREATE TEMP TABLE seat AS
SELECT row_number() OVER (ORDER BY id) AS n, id, price FROM boxoffice.seats WHERE performance_id = :perf;
CREATE TEMP TABLE r AS
SELECT * FROM (VALUES
  -- n, state, user, created (minutes ago), expires (minutes from now), phone, pin
  (1, 'hold',      :ua,   1, 4,    NULL, NULL),
  (3, 'confirmed', :ua,  10, -5,   NULL, NULL),
  (4, 'confirmed', NULL, 10, -5,   '01055550000', '0427'),
  (5, 'cancelled', :ub,  20, -15,  NULL, NULL),
  (6, 'released',  NULL, 20, -15,  NULL, NULL),
  (7, 'expired',   :ub,  30, -25,  NULL, NULL),
  (8, 'unswept',   :ub,  30, -25,  NULL, NULL),  -- expired, not yet swept: its claim is still there
  (9, 'guest',     NULL,  1, 4,    NULL, NULL)   -- a guest's live hold, with its guest key
) v(n, state, user_id, created_ago, expires_in, phone, pin);

INSERT INTO boxoffice.reservations (performance_id, user_id, status, seat_ids, total_amount, hold_token_hash, expires_at,
                                    reservation_number, buyer_name, buyer_phone, guest_pin_hash, created_at, confirmed_at, ended_at,
                                    guest_key_hash)
SELECT :perf, r.user_id,
       CASE WHEN r.state IN ('unswept', 'guest') THEN 'hold' ELSE r.state END::boxoffice.reservation_status,
       ARRAY[s.id], s.price, sha256(convert_to('token-' || r.n, 'UTF8')),
       now() + make_interval(mins => r.expires_in),
       CASE WHEN r.state = 'confirmed' THEN 'BX-UPGR-000' || r.n END,
       CASE WHEN r.state = 'confirmed' THEN 'Buyer ' || r.n END,
       r.phone, boxoffice._hash_pin(r.phone, r.pin),
       now() - make_interval(mins => r.created_ago),
       CASE WHEN r.state = 'confirmed' THEN now() - make_interval(mins => r.created_ago - 1) END,
       CASE WHEN r.state IN ('cancelled', 'released', 'expired') THEN now() + make_interval(mins => r.expires_in) END,
       CASE WHEN r.user_id IS NULL THEN sha256(convert_to('guest-' || r.n, 'UTF8')) END
  FROM r JOIN seat s ON s.n = r.n;
-- the hold of seat 1 takes seat 2 too (its claims follow)
UPDATE boxoffice.reservations SET seat_ids = seat_ids || (SELECT id FROM seat WHERE n = 2),
                                  total_amount = total_amount + (SELECT price FROM seat WHERE n = 2)
 WHERE seat_ids[1] = (SELECT id FROM seat WHERE n = 1);
-- 0.4.0: a waiting room with an entry in every stored state
SELECT boxoffice.set_queue(:perf, enabled => false, max_active => 5) IS NOT NULL AS queue;
INSERT INTO boxoffice.queue_entries (performance_id, user_id, state, prequeue, line, admitted_at, active_until, ended_at)
VALUES (:perf, :ua, 'used', false, 1, now() - interval '5 minutes', now() - interval '3 minutes', now() - interval '4 minutes'),
       (:perf, :ub, 'active', false, 2, now() - interval '1 minute', now() + interval '1 minute', NULL);
