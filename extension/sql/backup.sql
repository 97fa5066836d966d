
-- ============================================================================
-- backup.sql: what pg_dump keeps. The rows of an extension's tables are
-- dumped only when the extension registers them. Every table is registered
-- with its identity sequence (so ids continue after a restore), except
-- seat_claims: the claims are rebuilt from the reservations as they are
-- restored (claims.sql). pg_cron's jobs are kept by pg_cron itself (its
-- cron.job table is registered the same way), so a restore does not schedule
-- them again (operations.sql).
-- ============================================================================

DO $register$
DECLARE
  t text;
BEGIN
  -- one call per statement: each call rewrites the extension's catalog row
  FOREACH t IN ARRAY ARRAY['venues', 'concerts', 'price_tiers', 'performances', 'seats', 'users', 'reservations', 'queue_entries', 'payments', 'ledger_entries', 'reconciliation_runs'] LOOP
    PERFORM pg_catalog.pg_extension_config_dump(format('boxoffice.%I', t)::regclass, '');
    PERFORM pg_catalog.pg_extension_config_dump(pg_catalog.pg_get_serial_sequence(format('boxoffice.%I', t), 'id')::regclass, '');
  END LOOP;
  PERFORM pg_catalog.pg_extension_config_dump('boxoffice.secrets', '');
  PERFORM pg_catalog.pg_extension_config_dump('boxoffice.queues', '');
  PERFORM pg_catalog.pg_extension_config_dump('boxoffice.payment_terms', '');
  PERFORM pg_catalog.pg_extension_config_dump('boxoffice.wallets', '');
  PERFORM pg_catalog.pg_extension_config_dump('boxoffice.idempotency_keys', '');
END $register$;
