
-- ============================================================================
-- operations.sql: for DBAs. The invariant checker and the pg_cron schedule.
-- ============================================================================

-- One row per violation; no rows means the books balance. Cheap enough to run
-- after every test and benchmark, and safe to run on a live system.
CREATE FUNCTION boxoffice.check_invariants()
RETURNS TABLE (violation text, object text, detail text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = boxoffice, pg_temp AS $$
  -- a seat in two live reservations
  SELECT 'seat_claimed_twice', 'seat ' || seat_id, 'live reservations ' || string_agg(id::text, ', ' ORDER BY id)
    FROM (SELECT r.id, unnest(r.seat_ids) AS seat_id FROM reservations r
           WHERE r.live_until > statement_timestamp()) live
   GROUP BY seat_id HAVING count(*) > 1
  UNION ALL
  -- a claim whose reservation no longer holds seats (ended, or not listing it),
  -- or whose seat or reservation is missing or of another performance
  SELECT 'claim_disagrees_with_reservation', 'seat ' || cl.seat_id,
         CASE WHEN r.id IS NULL THEN format('claimed by reservation %s, which does not exist', cl.reservation_id)
              WHEN s.id IS NULL THEN 'no such seat'
              WHEN s.performance_id <> cl.performance_id OR r.performance_id <> cl.performance_id
                THEN format('claim of performance %s for a seat of %s by a reservation of %s', cl.performance_id, s.performance_id, r.performance_id)
              WHEN r.live_until IS NOT NULL THEN format('reservation %s (%s) does not list the seat', r.id, r.status)
              ELSE format('claimed by reservation %s, which is %s', r.id, r.status) END
    FROM seat_claims cl
    LEFT JOIN reservations r ON r.id = cl.reservation_id
    LEFT JOIN seats s ON s.id = cl.seat_id
   WHERE r.id IS NULL OR s.id IS NULL OR s.performance_id <> cl.performance_id OR r.performance_id <> cl.performance_id
      OR r.live_until IS NULL OR NOT (cl.seat_id = ANY (r.seat_ids))
  UNION ALL
  -- a live reservation missing the claim on one of its seats
  SELECT 'reservation_missing_claim', 'reservation ' || r.id, format('%s, seat %s has no claim by it', r.status, s.seat_id)
    FROM reservations r CROSS JOIN LATERAL unnest(r.seat_ids) AS s(seat_id)
   WHERE r.live_until IS NOT NULL
     AND NOT EXISTS (SELECT FROM seat_claims cl WHERE cl.seat_id = s.seat_id AND cl.reservation_id = r.id)
  UNION ALL
  -- a reservation of a performance that does not exist
  SELECT 'reservation_without_performance', 'reservation ' || r.id, format('performance %s does not exist', r.performance_id)
    FROM reservations r WHERE NOT EXISTS (SELECT FROM performances p WHERE p.id = r.performance_id)
  UNION ALL
  -- a total that is not the sum of its seats' prices, or seats of another performance
  SELECT 'total_disagrees_with_prices', 'reservation ' || r.id,
         format('total %s, seats add up to %s over %s of %s seats', r.total_amount, coalesce(sum(s.price), 0), count(s.id), cardinality(r.seat_ids))
    FROM reservations r LEFT JOIN seats s ON s.id = ANY (r.seat_ids) AND s.performance_id = r.performance_id
   GROUP BY r.id
  HAVING r.total_amount <> coalesce(sum(s.price), 0) OR count(s.id) <> cardinality(r.seat_ids)
  UNION ALL
  -- seat counts that do not add up: available + held + sold = seats = venue capacity
  SELECT 'counts_do_not_add_up', 'performance ' || p.id,
         format('available %s + held %s + sold %s, %s seats, venue capacity %s', n.available, n.held, n.sold, n.seats, v.capacity)
    FROM performances p JOIN venues v ON v.id = p.venue_id
   CROSS JOIN LATERAL (
     SELECT count(*) FILTER (WHERE ss.status = 'available') AS available,
            count(*) FILTER (WHERE ss.status = 'held') AS held,
            count(*) FILTER (WHERE ss.status = 'sold') AS sold,
            count(*) AS seats
       FROM _seat_states ss WHERE ss.performance_id = p.id) n
   WHERE n.available + n.held + n.sold <> n.seats OR n.seats <> v.capacity
  UNION ALL
  -- the waiting rooms kept their order and their limit (waiting_room.sql)
  SELECT violation, object, detail FROM _queue_faults
  UNION ALL
  -- money and sales agree (payments.sql)
  SELECT violation, object, detail FROM _payment_faults
$$;
COMMENT ON FUNCTION boxoffice.check_invariants IS 'one row per violated invariant (double claims, seat state vs reservation, totals vs prices, counts); empty when all is well';

-- Schedules sweep() every minute with pg_cron, the hourly purge of old
-- idempotency keys, and a daily purge of these jobs' run history
-- (cron.job_run_details grows forever otherwise).
-- Called at CREATE EXTENSION when pg_cron is there; DBAs may call it later.
-- Scheduling twice changes nothing (pg_cron keeps one job per name and user).
CREATE FUNCTION boxoffice.schedule_sweep() RETURNS text
LANGUAGE plpgsql SET search_path = boxoffice, pg_temp AS $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_extension WHERE extname = 'pg_cron') THEN
    RETURN 'pg_cron is not installed in this database: run boxoffice.sweep() yourself, or CREATE EXTENSION pg_cron and call boxoffice.schedule_sweep()';
  END IF;
  PERFORM cron.schedule('boxoffice-sweep', '* * * * *', 'SELECT boxoffice.sweep()');
  PERFORM cron.schedule('boxoffice-purge-idempotency-keys', '23 * * * *', 'SELECT boxoffice.purge_idempotency_keys()');
  PERFORM cron.schedule('boxoffice-purge-cron-history', '17 3 * * *',
    $purge$DELETE FROM cron.job_run_details
            WHERE end_time < now() - interval '7 days'
              AND jobid IN (SELECT jobid FROM cron.job WHERE jobname LIKE 'boxoffice-%')$purge$);
  RETURN 'scheduled: boxoffice-sweep every minute, boxoffice-purge-idempotency-keys hourly, boxoffice-purge-cron-history daily';
END $$;
COMMENT ON FUNCTION boxoffice.schedule_sweep IS 'schedules sweep() every minute with pg_cron (if installed), the hourly purge of idempotency keys and a daily purge of the jobs'' run history';

CREATE FUNCTION boxoffice.unschedule_sweep() RETURNS text
LANGUAGE plpgsql SET search_path = boxoffice, pg_temp AS $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_extension WHERE extname = 'pg_cron') THEN
    RETURN 'pg_cron is not installed in this database';
  END IF;
  PERFORM cron.unschedule(jobid) FROM cron.job WHERE jobname IN ('boxoffice-sweep', 'boxoffice-purge-idempotency-keys', 'boxoffice-purge-cron-history');
  RETURN 'unscheduled';
END $$;
COMMENT ON FUNCTION boxoffice.unschedule_sweep IS 'removes the pg_cron jobs of boxoffice';

-- DROP EXTENSION boxoffice (or DROP SCHEMA boxoffice CASCADE) takes the jobs
-- with it: this event trigger unschedules them just before the drop, in the
-- same transaction (extension/src/cron_jobs.cpp).
CREATE FUNCTION boxoffice._unschedule_before_drop() RETURNS event_trigger
LANGUAGE c AS 'MODULE_PATHNAME', 'boxoffice_unschedule_before_drop';
CREATE EVENT TRIGGER boxoffice_unschedule_before_drop ON ddl_command_start
  WHEN TAG IN ('DROP EXTENSION', 'DROP SCHEMA') EXECUTE FUNCTION boxoffice._unschedule_before_drop();

-- A restore (pg_restore, or psql with pg_dump's script) brings pg_cron's job
-- rows back by itself, and scheduling here as well would collide with them.
-- pg_dump's scripts, and only they in practice, run with row_security = off.
SELECT boxoffice.schedule_sweep() WHERE current_setting('row_security') <> 'off';
