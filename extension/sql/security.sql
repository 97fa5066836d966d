
-- ============================================================================
-- security.sql: who may do what. Four roles, cluster-wide (roles belong to
-- the cluster, not to a database, and DROP EXTENSION leaves them):
--   boxoffice_owner  owns every table, view, type and function of boxoffice,
--                    so the SECURITY DEFINER functions run as a role that is
--                    not a superuser and cannot log in
--   boxoffice_app    the buyer API only (applications log in with a role that
--                    is a member of it and nothing else)
--   boxoffice_admin  the catalog and operations functions, plus the buyer API
--   boxoffice_payments  settles card-like payments with what the gateway said
--                    (the shim's gateway client and its reconciliation); no
--                    buyer may, or a buyer could declare a payment approved
-- Nobody but the owner touches the tables: every API function is SECURITY
-- DEFINER with a pinned search_path (queue_status pins it in C++ around its
-- SQL, see waiting_room.sql), and PUBLIC can execute nothing.
-- ============================================================================

DO $roles$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'boxoffice_owner') THEN
    CREATE ROLE boxoffice_owner NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT NOREPLICATION NOBYPASSRLS;
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'boxoffice_app') THEN
    CREATE ROLE boxoffice_app NOLOGIN;
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'boxoffice_admin') THEN
    CREATE ROLE boxoffice_admin NOLOGIN;
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'boxoffice_payments') THEN
    CREATE ROLE boxoffice_payments NOLOGIN;
  END IF;
END $roles$;

REVOKE ALL ON ALL TABLES IN SCHEMA boxoffice FROM PUBLIC;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA boxoffice FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA boxoffice FROM PUBLIC;
REVOKE ALL ON SCHEMA boxoffice FROM PUBLIC;
GRANT USAGE ON SCHEMA boxoffice TO boxoffice_owner, boxoffice_app, boxoffice_admin, boxoffice_payments;

-- The buyer API.
GRANT EXECUTE ON FUNCTION
  boxoffice.concerts(), boxoffice.concert(bigint), boxoffice.performance(bigint), boxoffice.availability(bigint),
  boxoffice.seat_map(bigint),
  boxoffice.hold(bigint, bigint[], bigint, text, text), boxoffice.try_hold(bigint, bigint[], bigint, text, text),
  boxoffice.confirm(bigint, bigint, text, text, text, text),
  boxoffice.release(bigint, bigint, text), boxoffice.cancel(bigint, bigint, text, text),
  boxoffice.reservation(bigint, bigint, text), boxoffice.my_reservations(bigint), boxoffice.guest_lookup(text, text),
  boxoffice.register_user(text, text, text), boxoffice.verify_password(text, text), boxoffice.account(bigint),
  boxoffice.login(text, text),
  boxoffice.seat_layout(bigint), boxoffice.seat_statuses(bigint),
  boxoffice.enter_queue(bigint, bigint), boxoffice.queue_status(text, bigint), boxoffice.leave_queue(text, bigint),
  boxoffice.queue_info(bigint), boxoffice.queue_draw(bigint),
  boxoffice.charge_points(bigint, text, bigint), boxoffice.wallet(bigint), boxoffice.wallet_history(bigint, bigint, int),
  boxoffice.pay_with_points(bigint, text, bigint), boxoffice.payments_of(bigint, bigint),
  boxoffice.start_card_payment(bigint, text, text, bigint), boxoffice.begin_card_confirm(bigint, text, bigint),
  boxoffice.card_payment_outcome(bigint, bigint)
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
  boxoffice.require_admin(bigint),
  boxoffice.set_queue(bigint, boolean, int, int, interval, interval), boxoffice.queue_settings(bigint),
  boxoffice.set_payment_terms(bigint, boolean, interval), boxoffice.payment_terms(bigint), boxoffice.purge_idempotency_keys()
TO boxoffice_admin;
GRANT SELECT ON boxoffice.queue_overview, boxoffice.sales, boxoffice.refunds, boxoffice.pending_payments,
  boxoffice.last_reconciliations TO boxoffice_admin;

-- Settling card-like payments.
GRANT EXECUTE ON FUNCTION
  boxoffice.settle_card_payment(text, boolean, bigint, text, text), boxoffice.settle_card_refund(text),
  boxoffice.card_payments_to_settle(interval, int),
  boxoffice.record_reconciliation(timestamptz, int, int, int, int, int, int, text)
TO boxoffice_payments;

-- Hands every object of the extension to boxoffice_owner. Every script, the
-- install script and each upgrade, ends by calling it, so that objects made
-- by a superuser's script never keep the superuser as their owner. (The event
-- trigger stays the superuser's: PostgreSQL requires it. Identity sequences
-- follow their tables.)
CREATE FUNCTION boxoffice._give_objects_to_owner() RETURNS void
LANGUAGE plpgsql SET search_path = boxoffice, pg_temp AS $$
DECLARE
  o record;
  v_pgcrypto regnamespace := (SELECT extnamespace FROM pg_extension WHERE extname = 'pgcrypto');
BEGIN
  FOR o IN
    SELECT d.classid::regclass AS catalog, d.objid, c.relkind, t.typtype, t.typrelid
      FROM pg_depend d
      LEFT JOIN pg_class c ON d.classid = 'pg_class'::regclass AND c.oid = d.objid
      LEFT JOIN pg_type t ON d.classid = 'pg_type'::regclass AND t.oid = d.objid
     WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
       AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'boxoffice')
  LOOP
    IF o.catalog = 'pg_proc'::regclass THEN
      EXECUTE format('ALTER ROUTINE %s OWNER TO boxoffice_owner', o.objid::regprocedure);
    ELSIF o.catalog = 'pg_class'::regclass AND o.relkind IN ('r', 'v') THEN
      EXECUTE format('ALTER TABLE %s OWNER TO boxoffice_owner', o.objid::regclass);
    ELSIF o.catalog = 'pg_type'::regclass AND o.typrelid = 0 THEN  -- enums; composite types of their own
      EXECUTE format('ALTER TYPE %s OWNER TO boxoffice_owner', o.objid::regtype);
    ELSIF o.catalog = 'pg_type'::regclass AND (SELECT relkind FROM pg_class WHERE oid = o.typrelid) = 'c' THEN
      EXECUTE format('ALTER TYPE %s OWNER TO boxoffice_owner', o.objid::regtype);
    END IF;
  END LOOP;
  -- the owner calls pgcrypto (accounts.sql); in PostgreSQL 15 PUBLIC may use
  -- the public schema, but pgcrypto may live elsewhere
  IF NOT has_schema_privilege('boxoffice_owner', v_pgcrypto, 'USAGE') THEN
    EXECUTE format('GRANT USAGE ON SCHEMA %s TO boxoffice_owner', v_pgcrypto);
  END IF;
END $$;
REVOKE ALL ON FUNCTION boxoffice._give_objects_to_owner() FROM PUBLIC;

SELECT boxoffice._give_objects_to_owner();
