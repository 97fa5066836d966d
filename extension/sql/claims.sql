
-- ============================================================================
-- claims.sql: the seat claims follow the reservations. A live reservation
-- (hold or confirmed) claims every seat it lists; an ended one claims none.
-- The engine writes a reservation and its claims in one statement. Any other
-- write to a reservation (a DBA's UPDATE, a restore's COPY) brings its claims
-- along through the trigger below, and a seat that another live reservation
-- claims refuses it with unique_violation: no write by any role can leave one
-- seat in two live reservations. Nobody writes seat_claims by hand.
-- (extension/src/claims.cpp)
-- ============================================================================

CREATE FUNCTION boxoffice._claims_follow_reservation() RETURNS trigger
LANGUAGE c AS 'MODULE_PATHNAME', 'boxoffice_claims_follow_reservation_v3';
COMMENT ON FUNCTION boxoffice._claims_follow_reservation IS 'rewrites the claims of a reservation written outside the engine; refuses a seat claimed by another reservation';

CREATE FUNCTION boxoffice._claims_are_derived() RETURNS trigger
LANGUAGE c AS 'MODULE_PATHNAME', 'boxoffice_claims_are_derived';
COMMENT ON FUNCTION boxoffice._claims_are_derived IS 'refuses writes to seat_claims that do not come from a reservation';

-- A new row claims its seats once it is there (AFTER: an INSERT ... ON CONFLICT
-- that skips it claims nothing); a changed or deleted one gives up its old
-- claims first (BEFORE: the seats it takes are checked in the same step).
CREATE TRIGGER claims_follow BEFORE DELETE OR UPDATE OF id, status, seat_ids, performance_id, expires_at
  ON boxoffice.reservations FOR EACH ROW EXECUTE FUNCTION boxoffice._claims_follow_reservation();
CREATE TRIGGER claims_follow_insert AFTER INSERT
  ON boxoffice.reservations FOR EACH ROW EXECUTE FUNCTION boxoffice._claims_follow_reservation();
CREATE TRIGGER claims_follow_truncate AFTER TRUNCATE
  ON boxoffice.reservations FOR EACH STATEMENT EXECUTE FUNCTION boxoffice._claims_follow_reservation();
CREATE TRIGGER derived_only BEFORE INSERT OR UPDATE OR DELETE
  ON boxoffice.seat_claims FOR EACH ROW EXECUTE FUNCTION boxoffice._claims_are_derived();
CREATE TRIGGER derived_only_truncate BEFORE TRUNCATE
  ON boxoffice.seat_claims FOR EACH STATEMENT EXECUTE FUNCTION boxoffice._claims_are_derived();
-- ALWAYS: they fire even with session_replication_role = replica.
ALTER TABLE boxoffice.reservations ENABLE ALWAYS TRIGGER claims_follow, ENABLE ALWAYS TRIGGER claims_follow_insert,
  ENABLE ALWAYS TRIGGER claims_follow_truncate;
ALTER TABLE boxoffice.seat_claims ENABLE ALWAYS TRIGGER derived_only, ENABLE ALWAYS TRIGGER derived_only_truncate;
