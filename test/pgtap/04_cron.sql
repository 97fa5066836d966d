-- The pg_cron schedule: created with the extension where pg_cron is installed.
BEGIN;
SELECT plan(10);

SELECT has_extension('pg_cron');
SELECT results_eq($$ SELECT schedule, command FROM cron.job WHERE jobname = 'boxoffice-sweep' $$,
                  $$ VALUES ('* * * * *'::text, 'SELECT boxoffice.sweep()'::text) $$, 'sweep runs every minute');
SELECT results_eq($$ SELECT schedule, command FROM cron.job WHERE jobname = 'boxoffice-purge-idempotency-keys' $$,
                  $$ VALUES ('23 * * * *'::text, 'SELECT boxoffice.purge_idempotency_keys()'::text) $$,
                  'idempotency keys are purged hourly');
SELECT is((SELECT count(*)::int FROM cron.job WHERE jobname = 'boxoffice-purge-cron-history'), 1, 'its run history is purged daily');
SELECT lives_ok($$ SELECT boxoffice.sweep() $$, 'the scheduled command runs');
SELECT lives_ok($$ SELECT boxoffice.purge_idempotency_keys() $$, 'and so does the purge');
SELECT is(boxoffice.schedule_sweep(), 'scheduled: boxoffice-sweep every minute, boxoffice-purge-idempotency-keys hourly, boxoffice-purge-cron-history daily',
          'scheduling again is harmless');
SELECT is((SELECT count(*)::int FROM cron.job WHERE jobname LIKE 'boxoffice-%'), 3, 'and does not duplicate jobs');
SELECT is(boxoffice.unschedule_sweep(), 'unscheduled', 'unschedule_sweep() says what it did');
SELECT is((SELECT count(*)::int FROM cron.job WHERE jobname LIKE 'boxoffice-%'), 0, 'and removes all three jobs');

SELECT * FROM finish();
ROLLBACK;
