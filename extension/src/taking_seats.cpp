#include "taking_seats.hpp"

#include "claims.hpp"
#include "errors.hpp"
#include "spi.hpp"

extern "C" {
#include "catalog/pg_type.h"
}

namespace boxoffice {

Error customer_limit_error(const std::string& who_has, int64_t already, int32_t limit) {
  return Error(sqlstate::customer_limit_reached, "seat limit per customer reached",
               who_has + " " + std::to_string(already) + " seats for this performance; the limit is " +
                   std::to_string(limit) + " per customer.",
               "Release a hold or choose fewer seats.");
}

void check_user_limit(int64_t performance_id, int64_t user_id, size_t wanted, int32_t limit) {
  static Plan plan(
      "SELECT (SELECT u.deleted_at IS NULL FROM boxoffice.users u WHERE u.id = $2) AS user_exists,"
      "       (SELECT coalesce(sum(cardinality(r.seat_ids)), 0)::int8 FROM boxoffice.reservations r"
      "         WHERE r.performance_id = $1 AND r.user_id = $2 AND r.live_until > clock_timestamp()) AS seats_held",
      {INT8OID, INT8OID});
  // The caller holds the customer lock, so two parallel holds of one customer
  // cannot both squeeze under the limit.
  ResultRow row = plan.run_on_latest(Args().bigint(performance_id).bigint(user_id), 1).first();
  if (!row.boolean("user_exists"))
    throw Error(sqlstate::user_not_found, "user not found", "There is no user " + std::to_string(user_id) + ".",
                "Register an account first, or hold as a guest.");
  int64_t already = row.bigint("seats_held");
  if (already + static_cast<int64_t>(wanted) > limit) throw customer_limit_error("You already hold or bought", already, limit);
}

// The claims on the seats: one index probe per seat (seat_claims' primary
// key) and one for its reservation, whose live_until says whether the claim
// still holds. Most holds that fail under load fail here, so this read is
// kept to what it needs. A claim whose reservation is missing or ended counts
// as live: such a claim is a fault check_invariants() reports, and refusing
// the seat is the safe answer.
std::vector<Claim> read_claims(const std::vector<int64_t>& seat_ids) {
  static Plan plan(
      "SELECT cl.seat_id, cl.performance_id, cl.reservation_id, r.live_until > clock_timestamp() IS NOT FALSE AS live"
      "  FROM boxoffice.seat_claims cl LEFT JOIN boxoffice.reservations r ON r.id = cl.reservation_id"
      " WHERE cl.seat_id = ANY ($1)",
      {INT8ARRAYOID});
  Result found = plan.run_on_latest(Args().bigint_array(seat_ids));
  std::vector<Claim> claims;
  claims.reserve(found.size());
  for (uint64_t i = 0; i < found.size(); i++) {
    ResultRow row = found.row(i);
    claims.push_back({row.bigint("seat_id"), row.bigint("performance_id"), row.bigint("reservation_id"), row.boolean("live")});
  }
  return claims;
}

// Ends holds whose time is up and frees all their seats. Concurrent enders
// (another hold, the sweeper) meet on the reservation's row lock; the loser
// finds nothing left to do.
void end_expired(const std::vector<int64_t>& reservation_ids) {
  if (reservation_ids.empty()) return;
  static Plan plan(
      "WITH expired AS ("
      "  UPDATE boxoffice.reservations SET status = 'expired', ended_at = live_until"
      "   WHERE id = ANY ($1) AND live_until <= clock_timestamp() RETURNING id)"
      "DELETE FROM boxoffice.seat_claims WHERE reservation_id IN (SELECT id FROM expired)",
      {INT8ARRAYOID});
  run_writing_claims(plan, Args().bigint_array(reservation_ids));
}


}  // namespace boxoffice
