-- The pg_cron schedule: created with the extension where pg_cron is installed.
BEGIN;
SELECT plan(8);

SELECT has_extension('pg_cron');
SELECT results_eq($$ SELECT schedule, command FROM cron.job WHERE jobname = 'boxoffice-sweep' $$,
                  $$ VALUES ('* * * * *'::text, 'SELECT boxoffice.sweep()'::text) $$, 'sweep runs every minute');
SELECT is((SELECT count(*)::int FROM cron.job WHERE jobname = 'boxoffice-purge-cron-history'), 1, 'its run history is purged daily');
SELECT lives_ok($$ SELECT boxoffice.sweep() $$, 'the scheduled command runs');
SELECT is(boxoffice.schedule_sweep(), 'scheduled: boxoffice-sweep every minute, boxoffice-purge-cron-history daily', 'scheduling again is harmless');
SELECT is((SELECT count(*)::int FROM cron.job WHERE jobname LIKE 'boxoffice-%'), 2, 'and does not duplicate jobs');
SELECT is(boxoffice.unschedule_sweep(), 'unscheduled', 'unschedule_sweep() says what it did');
SELECT is((SELECT count(*)::int FROM cron.job WHERE jobname LIKE 'boxoffice-%'), 0, 'and removes both jobs');

SELECT * FROM finish();
ROLLBACK;
