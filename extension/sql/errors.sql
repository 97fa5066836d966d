
-- ============================================================================
-- errors.sql: the catalogue of boxoffice's own SQLSTATEs (class TK, "ticket"),
-- each with the HTTP status the shim answers it with. This list is the one
-- source: PL/pgSQL raises by name (_sqlstate below), and the C++ constants
-- (extension/src/errors.hpp), the shim's status table and the README's tables
-- are generated from it at build time (scripts/error-codes.pl), so keep one
-- row per line. Applications branch on the code; people read the message,
-- detail and hint.
-- ============================================================================

CREATE VIEW boxoffice.error_codes (sqlstate, name, http_status, meaning) AS VALUES
  ('TK001', 'performance_not_found',    404, 'no such performance, or not visible to buyers (draft, archived or deleted concert, deleted performance)'),
  ('TK002', 'performance_not_on_sale',  409, 'sales not open yet, closed, or the performance was cancelled: for a hold, and for confirming an existing one'),
  ('TK003', 'seats_unavailable',        409, 'a seat is held, sold, or being taken right now; the detail names every such seat; nothing was held'),
  ('TK004', 'seats_not_in_performance', 422, 'unknown seat ids, or seats of another performance'),
  ('TK005', 'no_seats_requested',       422, 'the seat list is NULL or empty'),
  ('TK006', 'duplicate_seats',          422, 'a seat is listed twice'),
  ('TK007', 'too_many_seats',           422, 'more seats than max_seats_per_hold'),
  ('TK008', 'customer_limit_reached',   409, 'the customer''s live holds plus purchases would pass max_seats_per_customer (users: per user at hold; guests: per guest key at hold, live holds only, and per phone number at confirm)'),
  ('TK009', 'reservation_not_found',    404, 'no such reservation, or it is not yours'),
  ('TK010', 'hold_expired',             410, '"your seat hold has expired": confirming after expires_at'),
  ('TK011', 'invalid_state',            409, 'the action does not fit the state: releasing a confirmed reservation, confirming a cancelled one, publishing an archived concert, deleting a venue in use'),
  ('TK012', 'no_matching_reservation',  404, 'guest lookup found nothing'),
  ('TK013', 'invalid_phone',            422, 'not 10-11 digits starting with 01 (dashes and spaces are fine)'),
  ('TK014', 'invalid_pin',              422, 'not exactly 4 digits'),
  ('TK015', 'invalid_credentials',      401, 'wrong email or password'),
  ('TK016', 'email_taken',              409, 'an account with this email exists'),
  ('TK017', 'invalid_argument',         422, 'a catalog argument is missing or out of range; a NULL in the seat list'),
  ('TK018', 'venue_not_found',          404, 'no such venue'),
  ('TK019', 'concert_not_found',        404, 'no such concert (for buyers: no such published concert)'),
  ('TK020', 'user_not_found',           404, 'hold with an unknown user id'),
  ('TK021', 'buyer_details_required',   422, 'a guest confirmed without name, phone and PIN (a name of only spaces or invisible characters is no name)'),
  ('TK022', 'guest_lookup_locked',      429, '5 wrong PINs for this phone number: look-ups wait until the 15-minute lock ends; the hint says how many seconds'),
  ('TK023', 'guest_key_required',       422, 'a guest hold (no user_id) without a guest_key'),
  ('TK024', 'queue_entry_not_found',    404, 'no queue entry of yours has this token (unknown, malformed and other users'' tokens alike)'),
  ('TK025', 'queue_turn_required',      403, 'the performance sells through its waiting room and the customer has no active turn (guests never have one)'),
  ('TK026', 'queue_not_open',           409, 'entering before the pre-queue opens; the detail says when it does'),
  ('TK027', 'login_required',           401, 'entering a waiting room without a logged-in user'),
  ('TK028', 'queue_not_enabled',        409, 'entering the queue of a performance that sells without one'),
  ('TK029', 'insufficient_points',      402, 'paying with points a reservation that costs more than the wallet holds; the detail gives both; nothing was taken'),
  ('TK030', 'invalid_amount',           422, 'a points charge that is not a whole number from 1 to the per-charge limit (1,000,000)'),
  ('TK031', 'idempotency_key_required', 400, 'a call that moves money without an idempotency key, or with one that is not 1-255 visible ASCII characters'),
  ('TK032', 'idempotency_key_reused',   422, 'an idempotency key already used by this customer for another call or other arguments'),
  ('TK033', 'idempotency_key_in_flight', 409, 'an idempotency key whose first call is still running: retry once it has finished'),
  ('TK034', 'payment_required',         402, 'confirming a reservation of a performance that sells only against payment, without an approved payment'),
  ('TK035', 'already_paid',             409, 'paying a reservation that already has an approved payment'),
  ('TK036', 'cancellation_closed',      409, 'cancelling a confirmed reservation past its performance''s cancellation cut-off (default: once it has started)'),
  ('TK037', 'ledger_immutable',         409, 'an UPDATE, DELETE or TRUNCATE of the points ledger: its rows are never changed; a correction is a new entry'),
  ('TK038', 'payment_in_progress',      409, 'starting a payment for a reservation whose card payment was sent to the gateway and has no outcome yet; the detail names its order'),
  ('TK039', 'payment_not_found',        404, 'no such payment, or not yours (the same answer either way)'),
  ('TK040', 'payment_declined',         402, 'the gateway declined the card payment; the detail gives its reason; the hold stays until it expires'),
  ('TK041', 'payment_refunded',         409, 'a card payment the gateway approved after the hold ended and its seats were gone (or sales had stopped): it is refunded, nothing was sold');

COMMENT ON VIEW boxoffice.error_codes IS 'every SQLSTATE that boxoffice raises on purpose, with its name, the HTTP status the shim answers and its meaning';

-- The SQLSTATE of an error name, for PL/pgSQL's RAISE ... USING ERRCODE:
-- functions name their errors, and only the catalogue above knows the codes.
CREATE FUNCTION boxoffice._sqlstate(error_name text) RETURNS text
LANGUAGE plpgsql STABLE SET search_path = boxoffice, pg_temp AS $$
DECLARE
  code text := (SELECT e.sqlstate FROM error_codes e WHERE e.name = error_name);
BEGIN
  IF code IS NULL THEN
    RAISE EXCEPTION 'boxoffice has no error named %', error_name USING ERRCODE = 'XX000';
  END IF;
  RETURN code;
END $$;
