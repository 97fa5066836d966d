// confirm(reservation_id, user_id, hold_token, buyer_name, buyer_phone, guest_pin):
// HOLD -> CONFIRMED, seats sold, a reservation number. Idempotent: confirming
// a confirmed reservation returns it unchanged. A sale needs what a new hold
// needs: a performance on sale (not cancelled, deleted or closed). Payment (a
// later step of the product) belongs between the re-check under locks and the
// state change.
#include <algorithm>
#include <string>

#include "arguments.hpp"
#include "booking.hpp"
#include "buyer_input.hpp"
#include "claims.hpp"
#include "confirm.hpp"
#include "errors.hpp"
#include "guard.hpp"
#include "id_list.hpp"
#include "locks.hpp"
#include "performance.hpp"
#include "identity.hpp"
#include "owned_reservation.hpp"
#include "settings.hpp"
#include "spi.hpp"
#include "taking_seats.hpp"

extern "C" {
#include "catalog/pg_type.h"
#include "common/hashfn.h"
}

namespace boxoffice {

// BX-XXXX-XXXX: Crockford base32 of the id scrambled by an odd multiplier
// (a bijection on the low 32 bits), so numbers are unique for ids below 2^40
// and not sequential.
std::string reservation_number(int64_t id) {
  static const char alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  uint64_t low = static_cast<uint64_t>(id) & 0xffffffffu;
  // the scrambled low 32 bits first, so numbers differ from the first character
  uint64_t mixed = (((low * 2654435761u) & 0xffffffffu) << 8) | ((static_cast<uint64_t>(id) >> 32) & 0xff);
  std::string out = "BX-";
  for (int i = 7; i >= 0; i--) {
    out += alphabet[(mixed >> (5 * i)) & 31];
    if (i == 4) out += '-';
  }
  return out;
}

namespace {

// The error for a reservation that cannot be confirmed, or nothing if it can.
void check_confirmable(const OwnedReservation& r) {
  if (r.status == ReservationStatus::expired || r.ran_out())
    throw Error(sqlstate::hold_expired, "your seat hold has expired",
                "The hold ended before confirmation; its seats may already be someone else's.",
                "Please select seats again.");
  if (r.ended)
    throw Error(sqlstate::invalid_state, "reservation cannot be confirmed",
                std::string("The reservation is ") + status_name(r.status) + ".",
                "Make a new hold.");
}

Buyer buyer_details(FunctionCallInfo fcinfo, bool guest) {
  Buyer b{arg_text(fcinfo, 3), arg_text(fcinfo, 4), arg_text(fcinfo, 5)};
  if (b.name && is_blank(*b.name)) b.name.reset();
  if (b.name && b.name->size() > 200)
    throw Error(sqlstate::invalid_argument, "buyer name too long", "A buyer name has at most 200 bytes.");
  if (guest) {
    if (!b.name || !b.phone || !b.pin)
      throw Error(sqlstate::buyer_details_required, "buyer details required",
                  "A guest confirms with buyer_name, buyer_phone and guest_pin.",
                  "With the phone number and the 4-digit PIN, the guest finds the reservation again.");
    check_pin(b.pin);
  } else {
    b.pin.reset();  // users find their reservations through their account
  }
  if (b.phone) b.phone = normalize_phone(b.phone);
  return b;
}

}  // namespace

bool sell_hold(int64_t reservation_id, const Owner& owner, const OwnedReservation& first_read, const Buyer& buyer) {
  OwnedReservation r = first_read;

  // Same lock order as hold: customer, then seats ascending. Owners wait.
  uint32_t customer = r.user_id ? static_cast<uint32_t>(*r.user_id)
                                : hash_bytes(reinterpret_cast<const unsigned char*>(buyer.phone->data()),
                                             static_cast<int>(buyer.phone->size()));
  lock(LockSpace::customer, customer_key(r.performance_id, customer));
  lock_seats(r.seat_ids);

  r = find_owned(reservation_id, owner);  // it may have changed while we waited
  if (r.status == ReservationStatus::confirmed) return false;
  check_confirmable(r);
  on_sale(read_performance(r.performance_id), r.performance_id);

  if (!r.user_id) {
    static Plan guest_seats(
        "SELECT coalesce(sum(cardinality(seat_ids)), 0)::int8 AS seats_bought FROM boxoffice.reservations"
        " WHERE buyer_phone = $2 AND performance_id = $1 AND status = 'confirmed' AND user_id IS NULL",
        {INT8OID, TEXTOID});
    int64_t already = guest_seats.run_on_latest(Args().bigint(r.performance_id).string(&*buyer.phone), 1)
                          .first()
                          .bigint("seats_bought");
    if (already + static_cast<int64_t>(r.seat_ids.size()) > r.max_seats_per_customer)
      throw Error(sqlstate::customer_limit_reached, "seat limit per customer reached",
                  "This phone number already bought " + std::to_string(already) +
                      " seats for this performance; the limit is " + std::to_string(r.max_seats_per_customer) +
                      " per customer.",
                  "Release this hold and choose fewer seats.");
  }

  // One clock reading ($6) decides the sale and dates it: confirmed_at is
  // never after the hold runs out (a constraint says so too). The sale's
  // claims need no change: its live_until is now infinity.
  // A sale without a PIN (a user's) has its own statement: the PIN's hash
  // reads the secrets table, which a user's sale need not lock.
#define BOXOFFICE_CONFIRM_HOLD(pin_hash)                                                         \
  "WITH confirmed AS ("                                                                          \
  "  UPDATE boxoffice.reservations r"                                                            \
  "     SET status = 'confirmed', confirmed_at = $6, reservation_number = $2,"                   \
  "         buyer_name = coalesce($3, (SELECT u.name FROM boxoffice.users u WHERE u.id = r.user_id)),"   \
  "         buyer_phone = $4, guest_pin_hash = " pin_hash                                         \
  "   WHERE r.id = $1 AND r.status = 'hold' AND r.live_until > $6 RETURNING r.id)"              \
  "SELECT count(*) AS confirmed FROM confirmed"
  static Plan confirm_guest_hold(BOXOFFICE_CONFIRM_HOLD("boxoffice._hash_pin($4, $5)"),
                                 {INT8OID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TIMESTAMPTZOID});
  static Plan confirm_hold(BOXOFFICE_CONFIRM_HOLD("NULL"),
                           {INT8OID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TIMESTAMPTZOID});
#undef BOXOFFICE_CONFIRM_HOLD
  settings::commit_durably(true);  // a sale always waits for its WAL flush
  std::string number = reservation_number(reservation_id);
  const std::string* pin = buyer.pin ? &*buyer.pin : nullptr;
  Result confirmed = run_writing_claims(pin ? confirm_guest_hold : confirm_hold,
                     Args()
                         .bigint(reservation_id)
                         .string(&number)
                         .string(buyer.name ? &*buyer.name : nullptr)
                         .string(buyer.phone ? &*buyer.phone : nullptr)
                         .string(pin)
                         .timestamptz(GetCurrentTimestamp()),
                     1);
  if (confirmed.first().bigint("confirmed") == 0) {  // the hold ran out between the check and the update
    check_confirmable(find_owned(reservation_id, owner));
    throw Error(ERRCODE_INTERNAL_ERROR, "reservation changed during confirmation");
  }
  return true;
}

namespace {

Datum confirm(FunctionCallInfo fcinfo) {
  std::optional<int64_t> reservation_id = arg_int64(fcinfo, 0);
  Owner owner{acting_user(arg_int64(fcinfo, 1)), arg_text(fcinfo, 2)};
  SpiConnection spi;

  OwnedReservation r = find_owned(reservation_id, owner);
  if (r.status == ReservationStatus::confirmed) return booking_result(fcinfo, spi, *reservation_id);
  check_confirmable(r);
  sell_hold(*reservation_id, owner, r, buyer_details(fcinfo, !r.user_id));
  return booking_result(fcinfo, spi, *reservation_id);
}

// _confirm_late(reservation_id): sells a user's hold whose time ran out, for
// a card payment the gateway approved after it (card_payments.sql), if the
// sale is still possible: every seat free, the performance on sale, the
// buyer within the limit. Otherwise it raises the reason, and the caller
// refunds the payment. The approval stretches the hold to the instant of its
// sale (expires_at = confirmed_at), which is what the record says. The caller
// holds the reservation's row lock and has approved the payment.
Datum confirm_late(FunctionCallInfo fcinfo) {
  std::optional<int64_t> reservation_id = arg_int64(fcinfo, 0);
  SpiConnection spi;
  static Plan read(
      "SELECT r.status::text AS status, r.user_id, r.performance_id, r.seat_ids, r.live_until > clock_timestamp() AS live"
      "  FROM boxoffice.reservations r WHERE r.id = $1",
      {INT8OID});
  Result found = read.run_on_latest(Args().bigint(reservation_id), 1);
  if (found.empty()) throw Error(sqlstate::reservation_not_found, "reservation not found", "There is no such reservation.");
  ResultRow row = found.first();
  std::string status = row.string("status");
  if (row.is_null("user_id") || !(status == "expired" || (status == "hold" && !row.boolean("live"))))
    throw Error(sqlstate::invalid_state, "reservation cannot be sold late",
                "Only a user's hold that ran out is sold late; this one is " + status + ".");
  int64_t user_id = row.bigint("user_id"), performance_id = row.bigint("performance_id");
  std::vector<int64_t> seat_ids = row.bigint_array("seat_ids");
  std::sort(seat_ids.begin(), seat_ids.end());

  // the lock order of every taking of seats: the customer, then the seats
  lock(LockSpace::customer, customer_key(performance_id, static_cast<uint32_t>(user_id)));
  lock_seats(seat_ids);
  std::vector<int64_t> run_out, taken;
  for (const Claim& c : read_claims(seat_ids)) {
    if (c.reservation_id == *reservation_id) continue;
    if (c.live) taken.push_back(c.seat_id);
    else run_out.push_back(c.reservation_id);
  }
  if (!taken.empty())
    throw Error(sqlstate::seats_unavailable, "some of the seats you selected were just taken",
                "After the hold ended, seats " + join_ids(taken) + " went to another buyer.",
                "The payment is refunded; choose again from the current seat map.");
  Performance performance = on_sale(read_performance(performance_id), performance_id);
  check_user_limit(performance_id, user_id, seat_ids.size(), performance.max_seats_per_customer);
  end_expired(run_out);

  // Through the claims trigger: the sale claims its seats again.
  static Plan sell(
      "UPDATE boxoffice.reservations r"
      "   SET status = 'confirmed', confirmed_at = $2, expires_at = $2, ended_at = NULL, reservation_number = $3,"
      "       buyer_name = coalesce(r.buyer_name, (SELECT u.name FROM boxoffice.users u WHERE u.id = r.user_id))"
      " WHERE r.id = $1 AND r.status IN ('hold', 'expired')",
      {INT8OID, TIMESTAMPTZOID, TEXTOID});
  settings::commit_durably(true);
  std::string number = reservation_number(*reservation_id);
  sell.run(Args().bigint(reservation_id).timestamptz(GetCurrentTimestamp()).string(&number));
  return booking_result(fcinfo, spi, *reservation_id);
}

}  // namespace
}  // namespace boxoffice

extern "C" {
PG_FUNCTION_INFO_V1(boxoffice_confirm_v4);
Datum boxoffice_confirm_v4(PG_FUNCTION_ARGS) { return boxoffice::call_sql_function(fcinfo, boxoffice::confirm); }
}
extern "C" {
PG_FUNCTION_INFO_V1(boxoffice_confirm_late);
Datum boxoffice_confirm_late(PG_FUNCTION_ARGS) { return boxoffice::call_sql_function(fcinfo, boxoffice::confirm_late); }
}
