#include "claims.hpp"

#include <string>

#include "guard.hpp"

extern "C" {
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "utils/builtins.h"
}

namespace boxoffice {

namespace {

// How deep we are in statements whose claims the engine (or the trigger
// below) writes itself. Reset when a transaction aborts, however it aborts.
int writing_claims = 0;

struct WritingClaims {
  WritingClaims() { writing_claims++; }
  ~WritingClaims() { writing_claims--; }
  WritingClaims(const WritingClaims&) = delete;
  WritingClaims& operator=(const WritingClaims&) = delete;
};

void forget_on_abort(XactEvent event, void*) {
  if (event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT) writing_claims = 0;
}

TriggerData* trigger_data(FunctionCallInfo fcinfo) {
  if (!CALLED_AS_TRIGGER(fcinfo))
    throw Error(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED, "boxoffice trigger function called outside a trigger");
  return reinterpret_cast<TriggerData*>(fcinfo->context);
}

// The value of a column of a row, found by name.
Datum column(const TriggerData* td, HeapTuple row, const char* name, bool* isnull) {
  TupleDesc desc = td->tg_relation->rd_att;
  int attnum = SPI_fnumber(desc, name);
  if (attnum <= 0) throw Error(ERRCODE_INTERNAL_ERROR, std::string("reservations has no column ") + name);
  return SPI_getbinval(row, desc, attnum, isnull);
}

// Which declarations the trigger serves: this version's, or 0.2.0's while
// its update is pending (the claims then still carry live_until).
enum class Schema { current, pending_0_2 };

// Makes the claims of one reservation what its row says: none for an ended
// (or deleted) reservation, one per listed seat for a live one. A seat that
// another reservation claims refuses the write.
void rewrite_claims(const TriggerData* td, HeapTuple old_row, HeapTuple new_row, Schema schema) {
  static Plan drop("DELETE FROM boxoffice.seat_claims WHERE reservation_id = $1", {INT8OID});
  // The rule of liveness decides whether the row claims anything at all.
  static Plan claim(
      "WITH live AS (SELECT boxoffice._live_until($4::boxoffice.reservation_status, $5) IS NOT NULL AS claims_seats),"
      " claimed AS ("
      "  INSERT INTO boxoffice.seat_claims (seat_id, performance_id, reservation_id)"
      "  SELECT DISTINCT unnest($2::int8[]), $3, $1 FROM live WHERE live.claims_seats"
      "  ON CONFLICT (seat_id) DO NOTHING RETURNING seat_id)"
      "SELECT live.claims_seats, (SELECT count(*) FROM claimed) AS claimed FROM live",
      {INT8OID, INT8ARRAYOID, INT8OID, TEXTOID, TIMESTAMPTZOID});
  // The same for a database whose update to 0.3.0 is pending: its claims
  // still carry their copy of the expiry (live_until), and it has no rule.
  static Plan claim_in_0_2(
      "WITH live AS (SELECT $4 IN ('hold', 'confirmed') AS claims_seats),"
      " claimed AS ("
      "  INSERT INTO boxoffice.seat_claims (seat_id, performance_id, reservation_id, live_until)"
      "  SELECT DISTINCT unnest($2::int8[]), $3, $1, CASE WHEN $4 = 'confirmed' THEN 'infinity' ELSE $5 END"
      "    FROM live WHERE live.claims_seats"
      "  ON CONFLICT (seat_id) DO NOTHING RETURNING seat_id)"
      "SELECT live.claims_seats, (SELECT count(*) FROM claimed) AS claimed FROM live",
      {INT8OID, INT8ARRAYOID, INT8OID, TEXTOID, TIMESTAMPTZOID});
  static Plan clashes(
      "SELECT string_agg(format('seat %s (reservation %s)', c.seat_id, c.reservation_id), ', ' ORDER BY c.seat_id)"
      "         AS claimed_elsewhere,"
      "       (SELECT count(DISTINCT s) FROM unnest($2::int8[]) s) AS seats"
      "  FROM boxoffice.seat_claims c WHERE c.seat_id = ANY ($2) AND c.reservation_id <> $1",
      {INT8OID, INT8ARRAYOID});

  WritingClaims own;
  bool isnull;
  if (old_row != nullptr) {
    Datum id = column(td, old_row, "id", &isnull);
    drop.run(Args().datum(id));
  }
  if (new_row == nullptr) return;
  Datum id = column(td, new_row, "id", &isnull);
  bool seats_null, performance_null, expires_null;
  Datum seats = column(td, new_row, "seat_ids", &seats_null);
  Datum performance = column(td, new_row, "performance_id", &performance_null);
  Datum expires = column(td, new_row, "expires_at", &expires_null);
  char* status = pg_call([&] { return SPI_getvalue(new_row, td->tg_relation->rd_att, SPI_fnumber(td->tg_relation->rd_att, "status")); });
  std::string state = status ? status : "";
  // NOT NULL columns: the row's own constraints refuse it right after this trigger
  if (seats_null || performance_null || expires_null || state.empty()) return;
  ResultRow written = (schema == Schema::current ? claim : claim_in_0_2).run(Args().datum(id).datum(seats).datum(performance).string(&state).datum(expires)).first();
  if (!written.boolean("claims_seats")) return;  // an ended reservation claims nothing
  int64_t claimed = written.bigint("claimed");
  ResultRow row = clashes.run(Args().datum(id).datum(seats), 1).first();
  if (claimed < row.bigint("seats") || !row.is_null("claimed_elsewhere"))
    throw Error(ERRCODE_UNIQUE_VIOLATION, "a seat of this reservation is claimed by another reservation",
                "Already claimed: " + row.string("claimed_elsewhere") + ". A seat is in at most one live reservation.",
                "End the other reservation first; if its hold has expired, sweep() ends it.");
}

// AFTER INSERT, BEFORE UPDATE or DELETE of a reservation, and AFTER TRUNCATE.
Datum claims_follow_reservation(FunctionCallInfo fcinfo, Schema schema) {
  TriggerData* td = trigger_data(fcinfo);
  TriggerEvent event = td->tg_event;
  HeapTuple result = TRIGGER_FIRED_BY_UPDATE(event) ? td->tg_newtuple : td->tg_trigtuple;
  if (TRIGGER_FIRED_BY_TRUNCATE(event)) {
    static Plan all("DELETE FROM boxoffice.seat_claims", {});
    SpiConnection spi;
    WritingClaims own;
    all.run(Args());
    return PointerGetDatum(nullptr);
  }
  if (writing_claims > 0) return PointerGetDatum(result);  // the engine writes this row's claims itself
  SpiConnection spi;
  if (TRIGGER_FIRED_BY_INSERT(event)) rewrite_claims(td, nullptr, td->tg_trigtuple, schema);
  else if (TRIGGER_FIRED_BY_UPDATE(event)) rewrite_claims(td, td->tg_trigtuple, td->tg_newtuple, schema);
  else rewrite_claims(td, td->tg_trigtuple, nullptr, schema);
  return PointerGetDatum(result);
}

// BEFORE INSERT, UPDATE, DELETE or TRUNCATE of seat_claims.
Datum claims_are_derived(FunctionCallInfo fcinfo) {
  TriggerData* td = trigger_data(fcinfo);
  if (writing_claims > 0) {
    if (TRIGGER_FIRED_BY_TRUNCATE(td->tg_event)) return PointerGetDatum(nullptr);
    return PointerGetDatum(TRIGGER_FIRED_BY_UPDATE(td->tg_event) ? td->tg_newtuple : td->tg_trigtuple);
  }
  throw Error(ERRCODE_INTEGRITY_CONSTRAINT_VIOLATION, "seat claims follow their reservations",
              "boxoffice writes seat_claims only together with the reservations they belong to.",
              "Change the reservation instead (its status, seats or expiry): its claims follow.");
}

}  // namespace

void reset_claim_writers_on_abort() { RegisterXactCallback(forget_on_abort, nullptr); }

Result run_writing_claims(Plan& plan, const Args& args, long max_rows) {
  WritingClaims own;
  return plan.run(args, max_rows);
}

}  // namespace boxoffice

extern "C" {
PG_FUNCTION_INFO_V1(boxoffice_claims_follow_reservation_v3);
Datum boxoffice_claims_follow_reservation_v3(PG_FUNCTION_ARGS) {
  return boxoffice::call_sql_function(
      fcinfo, [](FunctionCallInfo f) { return boxoffice::claims_follow_reservation(f, boxoffice::Schema::current); });
}
// 0.2.0's declaration: a database whose update is pending still keeps its books.
PG_FUNCTION_INFO_V1(boxoffice_claims_follow_reservation);
Datum boxoffice_claims_follow_reservation(PG_FUNCTION_ARGS) {
  return boxoffice::call_sql_function(
      fcinfo, [](FunctionCallInfo f) { return boxoffice::claims_follow_reservation(f, boxoffice::Schema::pending_0_2); });
}
PG_FUNCTION_INFO_V1(boxoffice_claims_are_derived);
Datum boxoffice_claims_are_derived(PG_FUNCTION_ARGS) {
  return boxoffice::call_sql_function(fcinfo, boxoffice::claims_are_derived);
}
}
