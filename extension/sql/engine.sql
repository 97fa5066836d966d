
-- ============================================================================
-- engine.sql: the booking engine, in C++ (extension/src/). Holds, confirms,
-- releases, cancels and the expiry sweep. Each takes transaction-scoped
-- advisory locks in a fixed order and runs prepared plans only.
--
-- The plans are generic (planned once per backend) and every statement is a
-- key lookup. enable_seqscan = off keeps the planner from choosing a scan of a
-- table that looked empty when it was last analysed (seat_claims before an
-- on-sale), which a backend would then run on every call.
--
-- The C entry points of hold, try_hold, confirm, release and cancel carry the
-- generation of these declarations (_v4 since 0.4.0, when holds met the waiting room's gate): a library and SQL
-- declarations from different versions never run each other's code by mistake
-- (extension/src/previous_versions.cpp answers the older declarations).
-- 0.5.1 added an optional last argument, idempotency_key, to hold, try_hold
-- and cancel: the library reads it only when a declaration passes it.
-- ============================================================================

CREATE FUNCTION boxoffice.hold(performance_id bigint, seat_ids bigint[], user_id bigint DEFAULT NULL, guest_key text DEFAULT NULL,
                               idempotency_key text DEFAULT NULL)
RETURNS boxoffice.booking LANGUAGE c VOLATILE SECURITY DEFINER SET search_path = boxoffice, pg_temp SET enable_seqscan = off
AS 'MODULE_PATHNAME', 'boxoffice_hold_v4';
COMMENT ON FUNCTION boxoffice.hold IS 'holds all the given seats or none, for the performance''s hold lifetime, for a user or a guest client (guest_key); returns the booking with its secret hold token; with an idempotency key, a retry gets the same hold back';

CREATE FUNCTION boxoffice.confirm(reservation_id bigint, user_id bigint DEFAULT NULL, hold_token text DEFAULT NULL,
                                  buyer_name text DEFAULT NULL, buyer_phone text DEFAULT NULL, guest_pin text DEFAULT NULL)
RETURNS boxoffice.booking LANGUAGE c VOLATILE SECURITY DEFINER SET search_path = boxoffice, pg_temp SET enable_seqscan = off
AS 'MODULE_PATHNAME', 'boxoffice_confirm_v4';
COMMENT ON FUNCTION boxoffice.confirm IS 'turns a live hold of a performance on sale into a confirmed reservation with a reservation number; repeating it returns the same result';

CREATE FUNCTION boxoffice.release(reservation_id bigint, user_id bigint DEFAULT NULL, hold_token text DEFAULT NULL)
RETURNS boxoffice.booking LANGUAGE c VOLATILE SECURITY DEFINER SET search_path = boxoffice, pg_temp SET enable_seqscan = off
AS 'MODULE_PATHNAME', 'boxoffice_release_v4';
COMMENT ON FUNCTION boxoffice.release IS 'gives a hold''s seats back at once';

CREATE FUNCTION boxoffice.cancel(reservation_id bigint, user_id bigint DEFAULT NULL, hold_token text DEFAULT NULL,
                                 idempotency_key text DEFAULT NULL)
RETURNS boxoffice.booking LANGUAGE c VOLATILE SECURITY DEFINER SET search_path = boxoffice, pg_temp SET enable_seqscan = off
AS 'MODULE_PATHNAME', 'boxoffice_cancel_v4';
COMMENT ON FUNCTION boxoffice.cancel IS 'cancels a hold or a confirmed reservation; its seats are available at once; repeating it returns the same result; an idempotency key makes it exactly once per key';

CREATE FUNCTION boxoffice.sweep(max_holds int DEFAULT 10000, OUT expired_holds bigint, OUT freed_seats bigint, OUT batches bigint)
RETURNS record LANGUAGE c VOLATILE SECURITY DEFINER SET search_path = boxoffice, pg_temp SET enable_seqscan = off
AS 'MODULE_PATHNAME', 'boxoffice_sweep';
COMMENT ON FUNCTION boxoffice.sweep IS 'marks expired holds expired and frees their seats, in batches, skipping locked rows; pg_cron runs it every minute';

CREATE FUNCTION boxoffice.try_hold(performance_id bigint, seat_ids bigint[], user_id bigint DEFAULT NULL, guest_key text DEFAULT NULL,
                                   idempotency_key text DEFAULT NULL)
RETURNS boxoffice.booking LANGUAGE c VOLATILE SECURITY DEFINER SET search_path = boxoffice, pg_temp SET enable_seqscan = off
AS 'MODULE_PATHNAME', 'boxoffice_try_hold_v4';
COMMENT ON FUNCTION boxoffice.try_hold IS 'hold() that answers a refusal (seats taken, customer limit, not on sale) with NULL and a NOTICE that says why, instead of an error: for callers that retry at high rates (no error, no subtransaction, nothing in the server log); bad input still raises';
