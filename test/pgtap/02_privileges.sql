-- Privileges: PUBLIC gets nothing, the application role only the buyer API,
-- the admin role the catalog and operations, nobody writes tables, and every
-- SECURITY DEFINER function runs as boxoffice_owner: not a superuser, no login.
BEGIN;
SELECT plan(25);

SELECT has_role('boxoffice_app');
SELECT has_role('boxoffice_admin');
SELECT has_role('boxoffice_owner');
SELECT is_member_of('boxoffice_app', 'boxoffice_admin');
SELECT schema_privs_are('boxoffice', 'public', ARRAY[]::text[]);
SELECT schema_privs_are('boxoffice', 'boxoffice_app', ARRAY['USAGE']);

SELECT table_privs_are('boxoffice', t, r, ARRAY[]::text[], format('%s has no privileges on %s', r, t))
  FROM unnest(ARRAY['reservations', 'seat_claims']) t, unnest(ARRAY['boxoffice_app', 'boxoffice_admin']) r;

SELECT function_privs_are('boxoffice', 'hold', ARRAY['bigint', 'bigint[]', 'bigint', 'text', 'text'], 'boxoffice_app', ARRAY['EXECUTE']);
SELECT function_privs_are('boxoffice', 'create_venue', ARRAY['text', 'text', 'text[]', 'integer', 'integer'], 'boxoffice_app', ARRAY[]::text[]);
SELECT function_privs_are('boxoffice', 'create_venue', ARRAY['text', 'text', 'text[]', 'integer', 'integer'], 'boxoffice_admin', ARRAY['EXECUTE']);
SELECT function_privs_are('boxoffice', 'sweep', ARRAY['integer'], 'boxoffice_app', ARRAY[]::text[]);
SELECT is((SELECT count(*)::int FROM pg_proc WHERE pronamespace = 'boxoffice'::regnamespace
                                             AND has_function_privilege('public', oid, 'EXECUTE')), 0, 'PUBLIC executes nothing');
SELECT is(ARRAY(SELECT oid::regprocedure::text FROM pg_proc WHERE pronamespace = 'boxoffice'::regnamespace AND prosecdef
                                             AND NOT coalesce(proconfig @> ARRAY['search_path=boxoffice, pg_temp'], false)),
          ARRAY['boxoffice.queue_status(text,bigint)'],
          'every SECURITY DEFINER function pins its search_path, but queue_status, which pins it in C++ around its SQL');

-- the owner: a role that can do nothing by itself
SELECT is((SELECT rolsuper OR rolcanlogin OR rolcreaterole OR rolcreatedb OR rolreplication OR rolbypassrls
             FROM pg_roles WHERE rolname = 'boxoffice_owner'), false,
          'boxoffice_owner is not a superuser, cannot log in, create roles or databases, replicate or bypass RLS');
-- every SECURITY DEFINER function, one test each
SELECT is(pg_get_userbyid(p.proowner), 'boxoffice_owner', format('%s runs as boxoffice_owner', p.oid::regprocedure))
  FROM pg_proc p WHERE p.pronamespace = 'boxoffice'::regnamespace AND p.prosecdef AND p.proname IN ('hold', 'confirm', 'guest_lookup');
SELECT is_empty($$ SELECT p.oid::regprocedure FROM pg_proc p JOIN pg_roles r ON r.oid = p.proowner
                    WHERE p.pronamespace = 'boxoffice'::regnamespace AND p.prosecdef
                      AND (r.rolname <> 'boxoffice_owner' OR r.rolsuper OR r.rolcanlogin) $$,
                'no SECURITY DEFINER function of boxoffice runs as a superuser or a login role');
SELECT ok((SELECT count(*) FROM pg_proc WHERE pronamespace = 'boxoffice'::regnamespace AND prosecdef) >= 30,
          'and there are some (the whole API)');
-- every table, view, type and function belongs to the owner
SELECT is_empty($$ SELECT c.oid::regclass FROM pg_class c WHERE c.relnamespace = 'boxoffice'::regnamespace
                      AND c.relkind IN ('r', 'v', 'S') AND pg_get_userbyid(c.relowner) <> 'boxoffice_owner'
 $$,
                'every table, view and sequence belongs to boxoffice_owner');
SELECT is_empty($$ SELECT p.oid::regprocedure FROM pg_proc p WHERE p.pronamespace = 'boxoffice'::regnamespace
                      AND pg_get_userbyid(p.proowner) <> 'boxoffice_owner' $$,
                'every function belongs to boxoffice_owner');
SELECT is_empty($$ SELECT t.oid::regtype FROM pg_type t WHERE t.typnamespace = 'boxoffice'::regnamespace
                      AND pg_get_userbyid(t.typowner) <> 'boxoffice_owner' $$,
                'every type belongs to boxoffice_owner');

SELECT * FROM finish();
ROLLBACK;
