
-- ============================================================================
-- security.sql: who may do what.
--   boxoffice_app    the buyer API only (applications log in with a role that
--                    is a member of it and nothing else)
--   boxoffice_admin  the catalog and operations functions, plus the buyer API
-- Nobody but the owner touches the tables: every API function is SECURITY
-- DEFINER with a pinned search_path, and PUBLIC can execute nothing.
-- ============================================================================

DO $roles$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'boxoffice_app') THEN
    CREATE ROLE boxoffice_app NOLOGIN;
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'boxoffice_admin') THEN
    CREATE ROLE boxoffice_admin NOLOGIN;
  END IF;
END $roles$;

REVOKE ALL ON ALL TABLES IN SCHEMA boxoffice FROM PUBLIC;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA boxoffice FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA boxoffice FROM PUBLIC;
REVOKE ALL ON SCHEMA boxoffice FROM PUBLIC;
GRANT USAGE ON SCHEMA boxoffice TO boxoffice_app, boxoffice_admin;

-- The buyer API.
GRANT EXECUTE ON FUNCTION
  boxoffice.concerts(), boxoffice.concert(bigint), boxoffice.performance(bigint), boxoffice.availability(bigint),
  boxoffice.seat_map(bigint),
  boxoffice.hold(bigint, bigint[], bigint), boxoffice.try_hold(bigint, bigint[], bigint),
  boxoffice.confirm(bigint, bigint, text, text, text, text),
  boxoffice.release(bigint, bigint, text), boxoffice.cancel(bigint, bigint, text),
  boxoffice.reservation(bigint, bigint, text), boxoffice.my_reservations(bigint), boxoffice.guest_lookup(text, text),
  boxoffice.register_user(text, text, text), boxoffice.verify_password(text, text), boxoffice.account(bigint)
TO boxoffice_app;
GRANT SELECT ON boxoffice.error_codes TO boxoffice_app, boxoffice_admin;

-- The catalog and operations.
GRANT boxoffice_app TO boxoffice_admin;
GRANT EXECUTE ON FUNCTION
  boxoffice.create_venue(text, text, text[], int, int), boxoffice.delete_venue(bigint),
  boxoffice.create_concert(text, text, text, text), boxoffice.publish_concert(bigint),
  boxoffice.archive_concert(bigint), boxoffice.delete_concert(bigint),
  boxoffice.add_price_tier(bigint, text, bigint, int, int, text[]),
  boxoffice.create_performance(bigint, bigint, timestamptz, timestamptz, timestamptz, timestamptz, interval, int, int),
  boxoffice.set_performance_rules(bigint, interval, int, int), boxoffice.set_sales_window(bigint, timestamptz, timestamptz),
  boxoffice.cancel_performance(bigint), boxoffice.delete_performance(bigint),
  boxoffice.check_invariants(), boxoffice.sweep(int), boxoffice.set_admin(bigint, boolean),
  boxoffice.require_admin(bigint)
TO boxoffice_admin;
