-- sweep(): marks expired holds expired and frees their claims, in batches.
\set SHOW_CONTEXT never
SET client_min_messages = warning;

SELECT * FROM boxoffice.sweep();  -- whatever earlier tests left expired
SELECT (boxoffice.hold(t.id('p_short'), fixture.seats(t.id('p_short'), 'C-1-' || n), guest_key => 'sweep-' || n)).status
  FROM generate_series(1, 5) n;
SELECT count(*) AS claims_before FROM boxoffice.seat_claims c JOIN boxoffice.reservations r ON r.id = c.reservation_id
 WHERE r.status = 'hold' AND r.performance_id = t.id('p_short');
SELECT * FROM boxoffice.sweep();  -- nothing has expired yet (bob's earlier hold may have)
SELECT pg_sleep(1.2);
SET boxoffice.sweep_batch_size = 2;
SELECT * FROM boxoffice.sweep();
SELECT * FROM boxoffice.sweep();  -- nothing left
RESET boxoffice.sweep_batch_size;
SELECT count(*) AS live_holds FROM boxoffice.reservations WHERE status = 'hold' AND performance_id = t.id('p_short');
SELECT count(*) AS claims_after FROM boxoffice.seat_claims WHERE performance_id = t.id('p_short');
-- max_holds bounds one call
SELECT (boxoffice.hold(t.id('p_short'), fixture.seats(t.id('p_short'), 'C-2-' || n), guest_key => 'sweep-' || n)).status FROM generate_series(1, 3) n;
SELECT pg_sleep(1.2);
SELECT * FROM boxoffice.sweep(max_holds => 2);
SELECT * FROM boxoffice.sweep();
-- swept holds read the same as before the sweep
SELECT DISTINCT status FROM boxoffice.seat_map(t.id('p_short'));
SELECT * FROM boxoffice.check_invariants();
