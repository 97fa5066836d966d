-- What the database says about one storm run (bench/http/storm.sh), as one
-- JSON object: seats sold and held, seats in two sales, check_invariants()
-- rows, and for a performance with a waiting room its recorded history:
-- admissions out of order (_queue_faults) and the peak number active at once
-- (the same sweep over admitted_at / end of stay that _queue_faults runs).
--   psql -At -v performance=N -f bench/http/storm-facts.sql
\set ON_ERROR_STOP on
WITH m AS (SELECT status, count(*) AS n FROM boxoffice.seat_map(:performance) GROUP BY status),
sold AS (SELECT s.seat_id, count(*) AS n FROM boxoffice.reservations r, unnest(r.seat_ids) s(seat_id)
          WHERE r.performance_id = :performance AND r.status = 'confirmed' GROUP BY s.seat_id),
ev AS (SELECT e.admitted_at AS at, 1 AS delta FROM boxoffice.queue_entries e
        WHERE e.performance_id = :performance AND e.admitted_at IS NOT NULL
       UNION ALL
       SELECT least(e.active_until, coalesce(e.ended_at, 'infinity')), -1 FROM boxoffice.queue_entries e
        WHERE e.performance_id = :performance AND e.admitted_at IS NOT NULL),
peak AS (SELECT max(active) AS n FROM (SELECT sum(delta) OVER (ORDER BY at, delta) AS active FROM ev) x),
q AS (SELECT * FROM boxoffice.queues WHERE performance_id = :performance)
SELECT json_build_object(
  'performance', :performance,
  'seats_sold', coalesce((SELECT n FROM m WHERE status = 'sold'), 0),
  'seats_held', coalesce((SELECT n FROM m WHERE status = 'held'), 0),
  'seats_available', coalesce((SELECT n FROM m WHERE status = 'available'), 0),
  'seats_in_confirmed', (SELECT count(*) FROM sold),
  'double_booked', (SELECT count(*) FROM sold WHERE n > 1),
  'confirmed_reservations', (SELECT count(*) FROM boxoffice.reservations WHERE performance_id = :performance AND status = 'confirmed'),
  'reservations_by_status', (SELECT json_object_agg(status, n) FROM (SELECT status, count(*) AS n FROM boxoffice.reservations
                               WHERE performance_id = :performance GROUP BY status) x),
  'sale_span_s', (SELECT extract(epoch FROM max(confirmed_at) - min(created_at)) FROM boxoffice.reservations
                   WHERE performance_id = :performance),
  'invariant_violations', (SELECT count(*) FROM boxoffice.check_invariants()),
  'invariants', (SELECT coalesce(json_agg(i), '[]') FROM (SELECT * FROM boxoffice.check_invariants() LIMIT 10) i),
  'max_active', (SELECT max_active FROM q),
  'out_of_order', CASE WHEN EXISTS (SELECT FROM q) THEN
                    (SELECT count(*) FROM boxoffice._queue_faults f
                      WHERE f.violation = 'queue_admitted_out_of_order' AND f.detail LIKE '%(performance ' || :performance || ')') END,
  'over_limit', CASE WHEN EXISTS (SELECT FROM q) THEN
                  (SELECT count(*) FROM boxoffice._queue_faults f
                    WHERE f.violation = 'queue_over_limit' AND f.object = 'performance ' || :performance) END,
  'peak_active', CASE WHEN EXISTS (SELECT FROM q) THEN (SELECT coalesce(n, 0) FROM peak) END,
  'queue_entries_by_state', (SELECT json_object_agg(state, n) FROM (SELECT state, count(*) AS n FROM boxoffice.queue_entries
                               WHERE performance_id = :performance GROUP BY state) x),
  'admitted', (SELECT count(*) FROM boxoffice.queue_entries WHERE performance_id = :performance AND admitted_at IS NOT NULL));
