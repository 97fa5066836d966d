-- Privileges: PUBLIC gets nothing, the application role only the buyer API,
-- the admin role the catalog and operations, and nobody writes tables.
BEGIN;
SELECT plan(15);

SELECT has_role('boxoffice_app');
SELECT has_role('boxoffice_admin');
SELECT is_member_of('boxoffice_app', 'boxoffice_admin');
SELECT schema_privs_are('boxoffice', 'public', ARRAY[]::text[]);
SELECT schema_privs_are('boxoffice', 'boxoffice_app', ARRAY['USAGE']);

SELECT table_privs_are('boxoffice', t, r, ARRAY[]::text[], format('%s has no privileges on %s', r, t))
  FROM unnest(ARRAY['reservations', 'seat_claims']) t, unnest(ARRAY['boxoffice_app', 'boxoffice_admin']) r;

SELECT function_privs_are('boxoffice', 'hold', ARRAY['bigint', 'bigint[]', 'bigint'], 'boxoffice_app', ARRAY['EXECUTE']);
SELECT function_privs_are('boxoffice', 'create_venue', ARRAY['text', 'text', 'text[]', 'integer', 'integer'], 'boxoffice_app', ARRAY[]::text[]);
SELECT function_privs_are('boxoffice', 'create_venue', ARRAY['text', 'text', 'text[]', 'integer', 'integer'], 'boxoffice_admin', ARRAY['EXECUTE']);
SELECT function_privs_are('boxoffice', 'sweep', ARRAY['integer'], 'boxoffice_app', ARRAY[]::text[]);
SELECT is((SELECT count(*)::int FROM pg_proc WHERE pronamespace = 'boxoffice'::regnamespace
                                             AND has_function_privilege('public', oid, 'EXECUTE')), 0, 'PUBLIC executes nothing');
SELECT is((SELECT count(*)::int FROM pg_proc WHERE pronamespace = 'boxoffice'::regnamespace AND prosecdef
                                             AND NOT coalesce(proconfig @> ARRAY['search_path=boxoffice, pg_temp'], false)),
          0, 'every SECURITY DEFINER function pins its search_path');

SELECT * FROM finish();
ROLLBACK;
