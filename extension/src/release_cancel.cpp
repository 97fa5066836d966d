// release(reservation_id, user_id, hold_token): give a hold's seats back.
// cancel(reservation_id, user_id, hold_token): end a hold or a confirmed
// reservation; its seats are available at once.
// Both are idempotent: a reservation that already ended is returned as it is.
#include <string>

#include "booking.hpp"
#include "errors.hpp"
#include "guard.hpp"
#include "reservation.hpp"
#include "settings.hpp"
#include "spi.hpp"

extern "C" {
#include "catalog/pg_type.h"
}

namespace boxoffice {
namespace {

enum class Ending { released, cancelled };

bool has_ended(const OwnedReservation& r) { return r.status != "hold" && r.status != "confirmed"; }

void check_endable(const OwnedReservation& r, Ending ending) {
  if (ending == Ending::released && r.status == "confirmed")
    throw Error(sqlstate::invalid_state, "reservation is confirmed",
                "A confirmed reservation is not a hold and cannot be released.", "Use boxoffice.cancel() instead.");
}

Datum end_reservation(FunctionCallInfo fcinfo, Ending ending) {
  std::optional<int64_t> reservation_id = arg_int64(fcinfo, 0);
  Owner owner{arg_int64(fcinfo, 1), arg_text(fcinfo, 2)};
  bool first_write = !settings::transaction_has_written();
  SpiConnection spi;

  OwnedReservation r = find_owned(reservation_id, owner);
  if (has_ended(r)) return booking_result(fcinfo, spi, *reservation_id);
  check_endable(r, ending);

  // No seat locks: the reservation's row lock orders this against a confirm,
  // an expiry or another ending of the same reservation, and the update
  // re-checks the state under it (a hold whose time is up ends as expired,
  // whatever the caller asked). A hold of these seats by someone else sees
  // the claims until this commits and is refused, as it would be by a lock;
  // and a release never queues behind the try-locks of buyers being refused.
  static Plan end(
      "WITH t AS (SELECT clock_timestamp() AS at),"
      " ended AS ("
      "  UPDATE boxoffice.reservations r"
      "     SET status = CASE WHEN r.status = 'hold' AND r.expires_at <= t.at THEN 'expired'"
      "                       ELSE $2::boxoffice.reservation_status END,"
      "         ended_at = CASE WHEN r.status = 'hold' AND r.expires_at <= t.at THEN r.expires_at ELSE t.at END"
      "    FROM t WHERE r.id = $1 AND (r.status = 'hold' OR (r.status = 'confirmed' AND $2 = 'cancelled'))"
      "  RETURNING r.id),"
      " freed AS (DELETE FROM boxoffice.seat_claims WHERE reservation_id IN (SELECT id FROM ended))"
      "SELECT count(*) FROM ended",
      {INT8OID, TEXTOID});
  // A cancellation changes what a buyer owns: it always waits for its flush.
  // A release that is its transaction's first write does not. A crash can
  // only forget it by bringing the hold back until it expires, and the next
  // hold of its seats waits for its own flush, which writes the release's
  // commit record first (the WAL is written in order): no seat is ever
  // claimed twice, before or after a crash.
  if (ending == Ending::cancelled) settings::commit_durably(true);
  else if (first_write) settings::commit_durably(false);
  std::string target = ending == Ending::released ? "released" : "cancelled";
  end.run(Args().bigint(reservation_id).string(&target), 1);
  if (Row(0).bigint(1) == 0) {  // it changed while we waited: answer for what it is now
    r = find_owned(reservation_id, owner);
    if (!has_ended(r)) check_endable(r, ending);
  }
  return booking_result(fcinfo, spi, *reservation_id);
}

Datum release(FunctionCallInfo fcinfo) { return end_reservation(fcinfo, Ending::released); }
Datum cancel(FunctionCallInfo fcinfo) { return end_reservation(fcinfo, Ending::cancelled); }

}  // namespace
}  // namespace boxoffice

extern "C" {
PG_FUNCTION_INFO_V1(boxoffice_release);
Datum boxoffice_release(PG_FUNCTION_ARGS) { return boxoffice::call_sql_function(fcinfo, boxoffice::release); }
PG_FUNCTION_INFO_V1(boxoffice_cancel);
Datum boxoffice_cancel(PG_FUNCTION_ARGS) { return boxoffice::call_sql_function(fcinfo, boxoffice::cancel); }
}
