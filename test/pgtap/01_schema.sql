-- Structure: tables, keys, constraints and the indexes the engine relies on.
BEGIN;
SELECT plan(49);

SELECT has_schema('boxoffice');
SELECT tables_are('boxoffice', ARRAY['venues', 'concerts', 'price_tiers', 'performances', 'seats', 'users', 'reservations', 'seat_claims', 'secrets', 'queues', 'queue_entries', 'idempotency_keys', 'wallets', 'ledger_entries', 'payment_terms', 'payments', 'reconciliation_runs']);

-- the double-booking guard: one claim per seat, by primary key
SELECT col_is_pk('boxoffice', 'seat_claims', ARRAY['seat_id'], 'a seat has at most one claim');
SELECT hasnt_fk('boxoffice', 'seat_claims', 'claims take no row locks on seats or reservations (no foreign keys)');
SELECT is((SELECT count(*)::int FROM pg_index WHERE indrelid = 'boxoffice.reservations'::regclass), 7,
          'reservations have exactly the indexes the engine needs');
SELECT has_index('boxoffice', 'seat_claims', 'seat_claims_reservation', ARRAY['reservation_id']);
SELECT col_not_null('boxoffice', 'seat_claims', 'reservation_id', 'a claim names the reservation whose live_until says how long it holds');
-- the claims follow the reservations, and nothing else writes them
SELECT has_trigger('boxoffice', 'reservations', 'claims_follow', 'a reservation written by hand brings its claims along');
SELECT has_trigger('boxoffice', 'seat_claims', 'derived_only', 'claims are not written by hand');
SELECT is((SELECT string_agg(tgname || ':' || tgenabled::text, ', ' ORDER BY tgname) FROM pg_trigger
            WHERE tgrelid IN ('boxoffice.reservations'::regclass, 'boxoffice.seat_claims'::regclass) AND NOT tgisinternal AND tgname !~ '^queue_' AND tgname NOT IN ('payment_before_sale', 'cancellation_cutoff', 'refund_on_cancel')),
          'claims_follow:A, claims_follow_insert:A, claims_follow_truncate:A, derived_only:A, derived_only_truncate:A',
          'they fire always, in replication mode too');
SELECT ok(EXISTS (SELECT FROM pg_constraint WHERE conname = 'confirmed_before_expiry'), 'a sale is never dated after its hold''s expiry');

-- inventory
SELECT col_is_unique('boxoffice', 'seats', ARRAY['performance_id', 'section', 'row_number', 'seat_number'], 'one row per seat position');
SELECT col_not_null('boxoffice', 'seats', 'price', 'every seat has a price');
SELECT col_type_is('boxoffice', 'seats', 'price', 'bigint', 'prices are whole won');
SELECT col_is_unique('boxoffice', 'price_tiers', ARRAY['concert_id', 'label'], 'tier labels are unique per concert');

-- reservations: states, constraints, partial indexes for the sweeper and the per-customer limit
SELECT enum_has_labels('boxoffice', 'reservation_status', ARRAY['hold', 'confirmed', 'cancelled', 'released', 'expired']);
SELECT enum_has_labels('boxoffice', 'concert_status', ARRAY['draft', 'published', 'archived']);
SELECT col_type_is('boxoffice', 'reservations', 'status', 'boxoffice', 'reservation_status', 'status is the enum');
SELECT has_index('boxoffice', 'reservations', 'reservations_number', ARRAY['reservation_number'], 'reservation numbers are unique');
SELECT ok((SELECT indisunique AND indpred IS NOT NULL FROM pg_index WHERE indexrelid = 'boxoffice.reservations_number'::regclass), 'and only confirmed ones are indexed');
SELECT col_type_is('boxoffice', 'reservations', 'hold_token_hash', 'bytea', 'only a hash of the hold token is kept');
SELECT has_check('boxoffice', 'reservations', 'reservations have check constraints');
SELECT ok(EXISTS (SELECT FROM pg_constraint WHERE conname = 'confirmed_has_number_and_buyer'), 'confirmed reservations need a number and a buyer');
SELECT ok(EXISTS (SELECT FROM pg_constraint WHERE conname = 'ended_has_ended_at'), 'ended reservations need ended_at');
SELECT ok(EXISTS (SELECT FROM pg_constraint WHERE conname = 'guest_can_look_up'), 'confirmed guest reservations keep phone and PIN hash');
SELECT has_index('boxoffice', 'reservations', 'reservations_live', ARRAY['live_until']);
SELECT is(pg_get_expr(indpred, indrelid), '(live_until IS NOT NULL)', 'the sweeper index covers live reservations only')
  FROM pg_index WHERE indexrelid = 'boxoffice.reservations_live'::regclass;
SELECT has_index('boxoffice', 'reservations', 'reservations_live_by_user', ARRAY['performance_id', 'user_id']);
SELECT ok((SELECT indpred IS NOT NULL FROM pg_index WHERE indexrelid = 'boxoffice.reservations_live_by_user'::regclass),
          'the per-customer index is partial');
SELECT has_index('boxoffice', 'reservations', 'reservations_by_phone', ARRAY['buyer_phone']);
SELECT has_index('boxoffice', 'reservations', 'reservations_live_by_guest', ARRAY['performance_id', 'guest_key_hash'],
                 'a guest client''s live holds are counted from an index');

-- catalog
SELECT col_is_pk('boxoffice', 'venues', ARRAY['id'], 'venues have an id');
SELECT col_type_is('boxoffice', 'venues', 'capacity', 'integer', 'capacity is derived from the layout');
SELECT has_column('boxoffice', 'venues', 'deleted_at', 'venues are soft-deleted');
SELECT has_column('boxoffice', 'concerts', 'deleted_at', 'concerts are soft-deleted');
SELECT has_column('boxoffice', 'performances', 'deleted_at', 'performances are soft-deleted');
SELECT is((SELECT column_default FROM information_schema.columns WHERE table_schema = 'boxoffice' AND table_name = 'performances' AND column_name = 'hold_lifetime'), '''00:05:00''::interval', 'holds last 5 minutes by default');
SELECT col_default_is('boxoffice', 'performances', 'max_seats_per_hold', 4, 'at most 4 seats per hold by default');
SELECT col_default_is('boxoffice', 'performances', 'max_seats_per_customer', 4, 'at most 4 seats per customer by default');
SELECT has_trigger('boxoffice', 'concerts', 'touch', 'concerts keep updated_at current');
SELECT has_index('boxoffice', 'users', 'users_email', 'one live account per email');
SELECT has_index('boxoffice', 'concerts', 'concerts_published', 'published concerts are indexed');

-- money: the ledger is append-only whoever writes, a balance never goes below zero, a sale is paid once
SELECT is((SELECT string_agg(tgname || ':' || tgenabled::text, ', ' ORDER BY tgname) FROM pg_trigger
            WHERE tgrelid = 'boxoffice.ledger_entries'::regclass AND NOT tgisinternal),
          'immutable:A, immutable_truncate:A', 'ledger rows refuse UPDATE, DELETE and TRUNCATE, in replication mode too');
SELECT is((SELECT string_agg(tgname || ':' || tgenabled::text, ', ' ORDER BY tgname) FROM pg_trigger
            WHERE tgrelid = 'boxoffice.reservations'::regclass AND tgname IN ('payment_before_sale', 'cancellation_cutoff', 'refund_on_cancel')),
          'cancellation_cutoff:O, payment_before_sale:O, refund_on_cancel:O',
          'payment rules fire on the origin: a replica receives the refund rows themselves');
SELECT ok(EXISTS (SELECT FROM pg_constraint WHERE conname = 'balance_not_negative' AND conrelid = 'boxoffice.wallets'::regclass), 'a balance never goes below zero');
SELECT ok((SELECT indisunique AND indpred IS NOT NULL FROM pg_index WHERE indexrelid = 'boxoffice.payments_once_per_reservation'::regclass),
          'a reservation is paid at most once');
SELECT col_is_pk('boxoffice', 'idempotency_keys', ARRAY['scope', 'key'], 'a key is one call per caller');

SELECT has_view('boxoffice', 'error_codes', 'the error catalogue is a view');
SELECT is((SELECT count(*)::int FROM boxoffice.error_codes WHERE sqlstate ~ '^TK[0-9]{3}$'), 41, 'every error code is in class TK');

SELECT * FROM finish();
ROLLBACK;
