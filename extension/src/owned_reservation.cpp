#include "owned_reservation.hpp"

#include <algorithm>

#include "errors.hpp"
#include "guard.hpp"
#include "spi.hpp"

extern "C" {
#include "catalog/pg_type.h"
}

namespace boxoffice {

OwnedReservation find_owned(std::optional<int64_t> reservation_id, const Owner& owner) {
  static Plan owned(
      "SELECT r.status, r.live_until > clock_timestamp() AS live, r.live_until IS NULL AS ended, r.seat_ids,"
      "       r.user_id, r.performance_id, p.max_seats_per_customer"
      "  FROM boxoffice.reservations r JOIN boxoffice.performances p ON p.id = r.performance_id"
      " WHERE r.id = $1 AND (r.user_id = $2 OR r.hold_token_hash = sha256(convert_to($3, 'UTF8')))",
      {INT8OID, INT8OID, TEXTOID});
  const std::string* token = owner.hold_token ? &*owner.hold_token : nullptr;
  std::optional<Result> found;
  if (reservation_id && (owner.user_id || owner.hold_token))
    found = owned.run(Args().bigint(reservation_id).bigint(owner.user_id).string(token), 1);
  if (!found || found->empty())
    throw Error(sqlstate::reservation_not_found, "reservation not found",
                "There is no reservation " + (reservation_id ? std::to_string(*reservation_id) : std::string("null")) +
                    " that belongs to you.",
                "Act as the user who made the hold, or give the hold token it returned.");
  ResultRow row = found->first();
  OwnedReservation r;
  r.status = parse_status(row.string("status"));
  r.live = row.boolean("live");
  r.ended = row.boolean("ended");
  r.seat_ids = row.bigint_array("seat_ids");
  std::sort(r.seat_ids.begin(), r.seat_ids.end());
  r.user_id = row.optional_bigint("user_id");
  r.performance_id = row.bigint("performance_id");
  r.max_seats_per_customer = row.integer("max_seats_per_customer");
  return r;
}

}  // namespace boxoffice
