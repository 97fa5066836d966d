-- The hot paths plan their SQL once: the small SQL functions that prepared
-- statements call are inlined into those statements' plans (an SQL function
-- that is not inlined is parsed and planned again on every call), and the
-- helpers that read tables are PL/pgSQL, which plans its queries once per
-- session.
BEGIN;
SELECT plan(10);

-- The plan of a query, as text. The arguments come from a table's columns,
-- so that no call is folded to a constant, which would hide it either way.
CREATE FUNCTION pg_temp.plan_of(query text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  line text;
  plan text := '';
BEGIN
  FOR line IN EXECUTE 'EXPLAIN (VERBOSE, COSTS OFF) ' || query LOOP
    plan := plan || line || E'\n';
  END LOOP;
  RETURN plan;
END $$;
CREATE TEMP TABLE args AS
SELECT 1::bigint AS u, 'guest-key'::text AS g, 'hold-token'::text AS t, 'user 1'::text AS s, 'key-1'::text AS k,
       '{}'::jsonb AS a, 'hold'::boxoffice.reservation_status AS st, now() AS e;

SELECT unalike(pg_temp.plan_of($$SELECT boxoffice._customer_scope(u, g, t) FROM args$$),
               '%_customer_scope%', '_customer_scope is inlined into its caller');
SELECT unalike(pg_temp.plan_of($$SELECT boxoffice._user_scope(u) FROM args$$),
               '%_user_scope%', '_user_scope is inlined into its caller');
SELECT unalike(pg_temp.plan_of($$SELECT boxoffice._idempotency_key_ok(s, k) FROM args$$),
               '%_idempotency_key_ok%', '_idempotency_key_ok is inlined into its caller');
SELECT unalike(pg_temp.plan_of($$SELECT boxoffice._idempotency_try_lock(s, k) FROM args$$),
               '%_idempotency_try_lock%', '_idempotency_try_lock is inlined into its caller');
SELECT unalike(pg_temp.plan_of($$SELECT boxoffice._kept_answer(s, a) FROM args$$),
               '%_kept_answer%', '_kept_answer is inlined into its caller');
SELECT unalike(pg_temp.plan_of($$SELECT boxoffice._live_until(st, e) FROM args$$),
               '%_live_until%', '_live_until is inlined into its caller');

SELECT is((SELECT l.lanname FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang WHERE p.oid = 'boxoffice._payment_terms'::regproc),
          'plpgsql', 'the terms every sale reads are read by PL/pgSQL');
SELECT is((SELECT l.lanname FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang WHERE p.oid = 'boxoffice._payment_receipt'::regproc),
          'plpgsql', 'receipts are read by PL/pgSQL');

-- A history calls its helper once per row: (f(e)).* would call it once per
-- column. pg_stat_xact_user_functions counts this transaction's calls.
SET LOCAL track_functions = 'all';
SELECT boxoffice.register_user('planned-once@example.com', 'Planned Once', 'planned-once-password') AS u \gset
SELECT count(*) FROM (SELECT boxoffice.charge_points(100, 'planned-once-1', :u) UNION ALL
                      SELECT boxoffice.charge_points(200, 'planned-once-2', :u)) c;
CREATE TEMP TABLE calls_before AS
SELECT coalesce((SELECT calls FROM pg_stat_xact_user_functions WHERE funcname = '_wallet_entry'), 0) AS calls;
SELECT is((SELECT count(*)::int FROM boxoffice.wallet_history(:u)), 2, 'the history has both charges');
SELECT is((SELECT calls FROM pg_stat_xact_user_functions WHERE funcname = '_wallet_entry') - (SELECT calls FROM calls_before),
          2::bigint, 'wallet_history builds each entry once');

SELECT * FROM finish();
ROLLBACK;
