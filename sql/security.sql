-- Security: pinned search_path, nothing for PUBLIC, the application role may
-- only execute the buyer API, the admin role runs the catalog, and nobody but
-- the owner writes the tables.
\set SHOW_CONTEXT never
SET client_min_messages = warning;

-- every SECURITY DEFINER function pins search_path = boxoffice, pg_temp, but
-- queue_status, which pins it in C++ around the SQL it runs (spi.hpp,
-- PinnedSearchPath; waiting_room tries a hostile path on it)
SELECT count(*) AS definer_functions,
       count(*) FILTER (WHERE proconfig @> ARRAY['search_path=boxoffice, pg_temp']) AS pinned
  FROM pg_proc WHERE pronamespace = 'boxoffice'::regnamespace AND prosecdef;
SELECT p.oid::regprocedure AS unpinned FROM pg_proc p
 WHERE pronamespace = 'boxoffice'::regnamespace AND prosecdef
   AND NOT coalesce(proconfig @> ARRAY['search_path=boxoffice, pg_temp'], false);
-- PUBLIC may execute nothing in the schema
SELECT count(*) AS public_executable FROM pg_proc
 WHERE pronamespace = 'boxoffice'::regnamespace AND has_function_privilege('public', oid, 'EXECUTE');
-- what each role may execute
SELECT proname FROM pg_proc WHERE pronamespace = 'boxoffice'::regnamespace
   AND has_function_privilege('boxoffice_app', oid, 'EXECUTE') ORDER BY 1;
SELECT proname FROM pg_proc WHERE pronamespace = 'boxoffice'::regnamespace
   AND has_function_privilege('boxoffice_admin', oid, 'EXECUTE')
   AND NOT has_function_privilege('boxoffice_app', oid, 'EXECUTE') ORDER BY 1;
-- no table privileges for anyone but the owner
SELECT c.relname, r.rolname FROM pg_class c CROSS JOIN pg_roles r
 WHERE c.relnamespace = 'boxoffice'::regnamespace AND c.relkind IN ('r', 'v')
   AND r.rolname IN ('boxoffice_app', 'boxoffice_admin', 'public')
   AND (has_table_privilege(r.oid, c.oid, 'INSERT') OR has_table_privilege(r.oid, c.oid, 'UPDATE')
        OR has_table_privilege(r.oid, c.oid, 'DELETE'))
 ORDER BY 1, 2;

-- an application login that is a member of boxoffice_app
CREATE ROLE regress_shop LOGIN IN ROLE boxoffice_app;
CREATE ROLE regress_ops LOGIN IN ROLE boxoffice_admin;
SELECT t.id('p2') AS p2, (fixture.seats(t.id('p2'), 'D-4-1'))[1] AS seat, t.id('carol') AS carol \gset
SET ROLE regress_shop;
SELECT count(*) > 0 AS can_browse FROM boxoffice.concerts();
SELECT (boxoffice.hold(:p2, ARRAY[:seat]::bigint[], :carol)).status AS can_hold;
SELECT count(*) FROM boxoffice.reservations;
SELECT count(*) FROM boxoffice.seats;
UPDATE boxoffice.seat_claims SET reservation_id = reservation_id;
SELECT boxoffice.create_venue('Rogue Hall', 'x', ARRAY['A'], 1, 1);
SELECT boxoffice.sweep();
SELECT boxoffice._hash_secret('x');
SELECT count(*) FROM boxoffice.error_codes;
RESET ROLE;

SET ROLE regress_ops;
SELECT boxoffice.create_venue('Ops Hall', 'x', ARRAY['A'], 1, 2) > 0 AS admin_creates_venue;
SELECT count(*) FROM boxoffice.check_invariants();
SELECT count(*) FROM boxoffice.seat_claims;
RESET ROLE;

-- a search_path attack: a same-named table earlier on the caller's path is ignored
CREATE SCHEMA evil;
CREATE TABLE evil.reservations (id bigint);
SET search_path = evil, public;
SELECT (boxoffice.hold(t.id('p2'), fixture.seats(t.id('p2'), 'D-4-2'), t.id('carol'))).status AS unaffected;
RESET search_path;
DROP SCHEMA evil CASCADE;
DROP ROLE regress_shop;
DROP ROLE regress_ops;
