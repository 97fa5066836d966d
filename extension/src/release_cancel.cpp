// release(reservation_id, user_id, hold_token): give a hold's seats back.
// cancel(reservation_id, user_id, hold_token): end a hold or a confirmed
// reservation; its seats are available at once.
// Both are idempotent: a reservation that already ended is returned as it is.
#include <optional>
#include <string>

#include "arguments.hpp"
#include "booking.hpp"
#include "claims.hpp"
#include "errors.hpp"
#include "guard.hpp"
#include "identity.hpp"
#include "idempotency.hpp"
#include "owned_reservation.hpp"
#include "settings.hpp"
#include "spi.hpp"

extern "C" {
#include "catalog/pg_type.h"
#include "utils/timestamp.h"
}

namespace boxoffice {
namespace {

enum class Ending { released, cancelled };

void check_endable(const OwnedReservation& r, Ending ending) {
  if (ending == Ending::released && r.status == ReservationStatus::confirmed)
    throw Error(sqlstate::invalid_state, "reservation is confirmed",
                "A confirmed reservation is not a hold and cannot be released.", "Cancel it instead.");
}

// Ends the reservation if it is the owner's and can end this way, frees its
// seats and reads what its booking shows, all in one statement. Returns
// nothing when no reservation was ended: the caller then finds out why.
//
// No seat locks: the reservation's row lock orders this against a confirm, an
// expiry or another ending of the same reservation, and the update re-checks
// the state under it (a reservation whose time is up ends as expired,
// whatever the caller asked). A hold of these seats by someone else sees the claims until
// this commits and is refused, as it would be by a lock; and a release never
// queues behind the try-locks of buyers being refused.
std::optional<Booking> end_owned(int64_t reservation_id, const Owner& owner, Ending ending) {
  static Plan end(
      "WITH ended AS ("
      "  UPDATE boxoffice.reservations r"
      "     SET status = CASE WHEN r.live_until <= $5 THEN 'expired' ELSE $4::boxoffice.reservation_status END,"
      "         ended_at = CASE WHEN r.live_until <= $5 THEN r.live_until ELSE $5 END"
      "   WHERE r.id = $1 AND (r.user_id = $2 OR r.hold_token_hash = sha256(convert_to($3, 'UTF8')))"
      "     AND (r.status = 'hold' OR (r.status = 'confirmed' AND $4 = 'cancelled'))"
      "  RETURNING r.*),"
      " freed AS (DELETE FROM boxoffice.seat_claims cl USING ended e WHERE cl.reservation_id = e.id)"
      "SELECT e.id AS reservation_id, e.reservation_number, e.status, e.performance_id, c.title AS concert_title,"
      "       v.name AS venue_name, p.starts_at, e.total_amount, e.expires_at, e.buyer_name, e.created_at,"
      "       e.confirmed_at, e.ended_at,"
      "       s.id AS seat_id, s.section, s.row_number, s.seat_number, tier.label AS tier, s.price"
      "  FROM ended e"
      "  JOIN boxoffice.performances p ON p.id = e.performance_id"
      "  JOIN boxoffice.concerts c ON c.id = p.concert_id"
      "  JOIN boxoffice.venues v ON v.id = p.venue_id"
      "  JOIN boxoffice.seats s ON s.id = ANY (e.seat_ids)"
      "  JOIN boxoffice.price_tiers tier ON tier.id = s.tier_id"
      " ORDER BY s.section, s.row_number, s.seat_number",
      {INT8OID, INT8OID, TEXTOID, TEXTOID, TIMESTAMPTZOID});
  const std::string* token = owner.hold_token ? &*owner.hold_token : nullptr;
  std::string target = ending == Ending::released ? "released" : "cancelled";
  TimestampTz now = GetCurrentTimestamp();  // clock_timestamp(): one instant for the whole update
  Result ended = run_writing_claims(
      end, Args().bigint(reservation_id).bigint(owner.user_id).string(token).string(&target).timestamptz(now));
  if (ended.empty()) return std::nullopt;
  ResultRow first = ended.first();
  Booking b;
  b.reservation_id = first.bigint("reservation_id");
  b.reservation_number = first.optional_string("reservation_number");
  b.status = parse_status(first.string("status"));
  b.performance_id = first.bigint("performance_id");
  b.concert_title = first.string("concert_title");
  b.venue_name = first.string("venue_name");
  b.starts_at = first.timestamptz("starts_at");
  b.total_amount = first.bigint("total_amount");
  b.buyer_name = first.optional_string("buyer_name");
  b.created_at = first.timestamptz("created_at");
  b.confirmed_at = first.optional_timestamptz("confirmed_at");
  if (!b.confirmed_at) b.expires_at = first.timestamptz("expires_at");  // a sale has no expiry
  b.ended_at = first.timestamptz("ended_at");
  b.seats.reserve(ended.size());
  for (uint64_t i = 0; i < ended.size(); i++) {
    ResultRow row = ended.row(i);
    b.seats.push_back({row.bigint("seat_id"), row.string("section"), row.integer("row_number"),
                       row.integer("seat_number"), row.string("tier"), row.bigint("price")});
  }
  return b;
}

Datum end_and_answer(FunctionCallInfo fcinfo, const SpiConnection& spi, std::optional<int64_t> reservation_id,
                     const Owner& owner, Ending ending) {
  bool first_write = !settings::transaction_has_written();
  if (reservation_id && (owner.user_id || owner.hold_token))
    if (std::optional<Booking> ended = end_owned(*reservation_id, owner, ending)) {
      // A cancellation changes what a buyer owns: it always waits for its
      // flush. A release that is its transaction's first write does not. A
      // crash can only forget it by bringing the hold back until it expires,
      // and the next hold of its seats waits for its own flush, which writes
      // the release's commit record first (the WAL is written in order): no
      // seat is ever claimed twice, before or after a crash.
      if (ending == Ending::cancelled) settings::commit_durably(true);
      else if (first_write) settings::commit_durably(false);
      return booking_result(fcinfo, spi, *ended);
    }

  // Nothing ended: not the caller's, already ended (answered as it is), or a
  // confirmed reservation that only cancel() may end.
  OwnedReservation r = find_owned(reservation_id, owner);
  if (!r.ended) check_endable(r, ending);
  if (!r.ended)  // the update saw an older version that did not qualify; no state leads back to one that does
    throw Error(ERRCODE_INTERNAL_ERROR, "reservation changed while it was being ended",
                "Reservation " + std::to_string(*reservation_id) + " is " + status_name(r.status) + ".", "Try again.");
  return booking_result(fcinfo, spi, *reservation_id);
}

// A cancellation named by an idempotency key (the fourth argument of cancel,
// since 0.5.1). Cancelling again answers the same without a key; the key adds
// what keys promise: another call under it is refused, its answer is kept.
// A caller who is neither a user nor a token holder has no scope: cancel
// refuses them before any key matters.
std::optional<KeyedCall> keyed_cancel(FunctionCallInfo fcinfo, std::optional<int64_t> reservation_id,
                                      const Owner& owner, Ending ending) {
  if (ending != Ending::cancelled || PG_NARGS() <= 3) return std::nullopt;
  std::optional<std::string> key = arg_text(fcinfo, 3);
  if (!key || !reservation_id || !(owner.user_id || owner.hold_token)) return std::nullopt;
  return KeyedCall{owner.user_id, std::nullopt, owner.user_id ? std::nullopt : owner.hold_token, std::move(*key),
                   "cancel", "{\"reservation_id\": " + std::to_string(*reservation_id) + "}", Answer::booking};
}

Datum end_reservation(FunctionCallInfo fcinfo, Ending ending) {
  std::optional<int64_t> reservation_id = arg_int64(fcinfo, 0);
  Owner owner{acting_user(arg_int64(fcinfo, 1)), arg_text(fcinfo, 2)};
  std::optional<KeyedCall> keyed = keyed_cancel(fcinfo, reservation_id, owner, ending);
  SpiConnection spi;
  if (keyed)
    if (std::optional<Datum> answer = replayed_answer(fcinfo, spi, *keyed)) return *answer;
  Datum booking = end_and_answer(fcinfo, spi, reservation_id, owner, ending);
  if (keyed) keep_answer(fcinfo, *keyed, booking);
  return booking;
}

Datum release(FunctionCallInfo fcinfo) { return end_reservation(fcinfo, Ending::released); }
Datum cancel(FunctionCallInfo fcinfo) { return end_reservation(fcinfo, Ending::cancelled); }

}  // namespace
}  // namespace boxoffice

extern "C" {
PG_FUNCTION_INFO_V1(boxoffice_release_v4);
Datum boxoffice_release_v4(PG_FUNCTION_ARGS) { return boxoffice::call_sql_function(fcinfo, boxoffice::release); }
PG_FUNCTION_INFO_V1(boxoffice_cancel_v4);
Datum boxoffice_cancel_v4(PG_FUNCTION_ARGS) { return boxoffice::call_sql_function(fcinfo, boxoffice::cancel); }
}
