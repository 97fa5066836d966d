// hold(performance_id, seat_ids, user_id, guest_key): all the seats or none.
// try_hold(...): the same, answering a refusal with NULL and a NOTICE.
//
// The order of work is what makes it safe and fast:
//   1. check the input (no locks yet, nothing read);
//   2. lock the customer key (the user, or the guest client), then try-lock
//      every seat in ascending id order: a seat another transaction is taking
//      fails the hold at once, before any SQL, and nobody queues;
//   3. read the seats' claims under those locks: a claimed seat refuses a
//      quiet hold (try_hold) after this one read; then read the seats;
//   4. check the performance and the customer's seat count, and end expired
//      claims here and now (expiry never waits for the sweeper);
//   5. write the reservation and one claim per seat, in one statement. The
//      claims' primary key would refuse a double booking even if steps 2-4
//      were wrong.
#include <algorithm>
#include <string>
#include <vector>

#include "arguments.hpp"
#include "booking.hpp"
#include "claims.hpp"
#include "errors.hpp"
#include "guard.hpp"
#include "id_list.hpp"
#include "identity.hpp"
#include "idempotency.hpp"
#include "locks.hpp"
#include "performance.hpp"
#include "settings.hpp"
#include "spi.hpp"
#include "taking_seats.hpp"

extern "C" {
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "port.h"
#include "utils/builtins.h"
}

namespace boxoffice {
namespace {

// Who the seats are for: a user, or a guest client named by its guest key.
struct Customer {
  std::optional<int64_t> user_id;
  std::optional<std::string> guest_key;

  uint32_t lock_key() const {
    if (user_id) return static_cast<uint32_t>(*user_id);
    return hash_bytes(reinterpret_cast<const unsigned char*>(guest_key->data()), static_cast<int>(guest_key->size()));
  }
};

Customer customer_of(FunctionCallInfo fcinfo) {
  Customer c{acting_user(arg_int64(fcinfo, 2)), arg_text(fcinfo, 3)};
  if (c.user_id) c.guest_key.reset();  // a user's limit is the user's
  if (!c.user_id && (!c.guest_key || c.guest_key->empty()))
    throw Error(sqlstate::guest_key_required, "guest key required",
                "A guest hold names the client it is for, so that one client cannot hold more than the limit per "
                "customer.",
                "Pass guest_key: the client's address, or a session id of your application.");
  if (c.guest_key && c.guest_key->size() > 200)
    throw Error(sqlstate::invalid_argument, "guest key too long", "A guest key has at most 200 bytes.");
  return c;
}

// The seat ids, sorted, after rejecting empty, null and duplicate entries.
std::vector<int64_t> requested_seats(FunctionCallInfo fcinfo) {
  bool has_nulls;
  std::vector<int64_t> seats = arg_int64_array(fcinfo, 1, &has_nulls);
  if (has_nulls)
    throw Error(sqlstate::invalid_argument, "seat ids must not be null", "The seat list contains a null.");
  if (seats.empty())
    throw Error(sqlstate::no_seats_requested, "no seats requested", "The seat list is empty.",
                "Choose at least one seat from the seat map.");
  // No performance allows more (max_seats_per_hold <= 100); refusing here, before
  // one lock per seat is taken, keeps a huge list from filling the lock table.
  constexpr size_t most_seats_any_hold = 100;
  if (seats.size() > most_seats_any_hold)
    throw Error(sqlstate::too_many_seats, "too many seats requested",
                "You asked for " + std::to_string(seats.size()) + " seats; no hold may take more than " +
                    std::to_string(most_seats_any_hold) + ".",
                "Choose fewer seats.");
  std::sort(seats.begin(), seats.end());
  std::vector<int64_t> duplicates;
  for (size_t i = 1; i < seats.size(); i++)
    if (seats[i] == seats[i - 1] && (duplicates.empty() || duplicates.back() != seats[i])) duplicates.push_back(seats[i]);
  if (!duplicates.empty())
    throw Error(sqlstate::duplicate_seats, "duplicate seats requested", "Seats listed more than once: " + join_ids(duplicates) + ".",
                "List each seat once.");
  return seats;
}

struct SeatRow {
  BookedSeat seat;
  int64_t performance_id;

  std::string label() const {
    return seat.section + "-" + std::to_string(seat.row_number) + "-" + std::to_string(seat.seat_number) + " (" +
           std::to_string(seat.id) + ")";
  }
};

// The seats that exist among the requested ones, in booking order (section,
// row, number), the performance asked for, and the seats the guest client
// holds for it already, in one statement: a hold that can succeed reads all
// three, and one statement costs less than two. Read on the latest state, as
// the caller holds the customer lock (see Plan::run_on_latest).
struct SeatsRead {
  std::vector<SeatRow> seats;
  std::optional<Performance> performance;  // unknown if no seat was found
  int64_t guest_seats = 0;                  // live holds of this guest key
};

SeatsRead read_seats(const std::vector<int64_t>& seat_ids, std::optional<int64_t> performance_id,
                     const std::optional<std::string>& guest_key) {
  static Plan plan(
      "WITH p AS MATERIALIZED (" PERFORMANCE_SELECT " WHERE p.id = $2)"
      "SELECT s.id AS seat_id, s.performance_id AS seat_performance_id, s.price, s.section, s.row_number,"
      "       s.seat_number, t.label AS tier,"
      "       (SELECT coalesce(sum(cardinality(r.seat_ids)), 0)::int8 FROM boxoffice.reservations r"
      "         WHERE r.performance_id = $2 AND r.guest_key_hash = sha256(convert_to($3, 'UTF8'))"
      "           AND r.status = 'hold' AND r.live_until > clock_timestamp()) AS guest_seats,"
      "       p.*"
      "  FROM boxoffice.seats s JOIN boxoffice.price_tiers t ON t.id = s.tier_id LEFT JOIN p ON true"
      " WHERE s.id = ANY ($1) ORDER BY s.section, s.row_number, s.seat_number",
      {INT8ARRAYOID, INT8OID, TEXTOID});
  Result found = plan.run_on_latest(
      Args().bigint_array(seat_ids).bigint(performance_id).string(guest_key ? &*guest_key : nullptr));
  SeatsRead read;
  read.seats.reserve(found.size());
  for (uint64_t i = 0; i < found.size(); i++) {
    ResultRow row = found.row(i);
    read.seats.push_back({{row.bigint("seat_id"), row.string("section"), row.integer("row_number"),
                           row.integer("seat_number"), row.string("tier"), row.bigint("price")},
                          row.bigint("seat_performance_id")});
  }
  if (!found.empty()) {
    read.guest_seats = found.first().bigint("guest_seats");
    read.performance = performance_from(found.first());
  }
  return read;
}

std::string new_hold_token() {
  unsigned char bytes[16];
  if (!pg_strong_random(bytes, sizeof bytes)) throw Error(ERRCODE_INTERNAL_ERROR, "could not generate a hold token");
  static const char hex[] = "0123456789abcdef";
  std::string token;
  for (unsigned char b : bytes) {
    token += hex[b >> 4];
    token += hex[b & 15];
  }
  return token;
}

// The locks a hold took, so that a quiet refusal can give them back and
// leave no trace.
struct HoldLocks {
  std::optional<uint64_t> customer;
  std::vector<int64_t> seats;

  void give_back() {
    unlock_seats(seats);
    seats.clear();
    if (customer) unlock(LockSpace::customer, *customer);
    customer.reset();
  }
};

Error seats_taken(const std::string& detail) {
  return Error(sqlstate::seats_unavailable, "some of the seats you selected were just taken", detail,
               "Choose again from the current seat map.");
}

// Lock order: the customer, then the seats. A seat another transaction is
// taking (or giving back) right now decides the answer before any SQL runs:
// a refused hold costs a few lock-table probes and writes nothing.
void lock_customer_and_seats(std::optional<int64_t> performance_id, const std::vector<int64_t>& seat_ids,
                             const Customer& customer, HoldLocks& locks) {
  if (performance_id) {
    locks.customer = customer_key(*performance_id, customer.lock_key());
    lock(LockSpace::customer, *locks.customer);
  }
  std::vector<int64_t> busy = try_lock_seats(seat_ids);
  for (int64_t seat : seat_ids)
    if (!std::binary_search(busy.begin(), busy.end(), seat)) locks.seats.push_back(seat);
  if (!busy.empty())
    throw seats_taken("Being taken by another buyer right now: seats " + join_ids(busy) + ". Nothing was held.");
}

bool is_live_here(const Claim& c, std::optional<int64_t> performance_id) {
  return c.live && performance_id && c.performance_id == *performance_id;
}

// A seat of this performance held or sold is the answer, before anything
// else is looked at; the detail names every such seat.
void refuse_taken_seats(const std::vector<SeatRow>& seats, const std::vector<Claim>& claims,
                        std::optional<int64_t> performance_id) {
  std::string unavailable;
  for (const SeatRow& s : seats) {
    if (!performance_id || s.performance_id != *performance_id) continue;
    auto claim = std::find_if(claims.begin(), claims.end(), [&](const Claim& c) { return c.seat_id == s.seat.id; });
    if (claim != claims.end() && claim->live)
      unavailable += (unavailable.empty() ? "" : ", ") + s.label();
  }
  if (!unavailable.empty()) throw seats_taken("Not available: " + unavailable + ". Nothing was held.");
}

// Seat ids that are unknown or of another performance. No such performance,
// or one not on sale, is the answer that comes first.
void refuse_foreign_seats(const SeatsRead& read, const std::vector<int64_t>& seat_ids,
                          std::optional<int64_t> performance_id) {
  std::vector<int64_t> found;  // of this performance, ascending
  for (const SeatRow& s : read.seats)
    if (performance_id && s.performance_id == *performance_id) found.push_back(s.seat.id);
  std::sort(found.begin(), found.end());
  std::vector<int64_t> foreign;
  for (int64_t id : seat_ids)
    if (!std::binary_search(found.begin(), found.end(), id)) foreign.push_back(id);
  if (foreign.empty()) return;
  on_sale(read_performance(performance_id), performance_id);
  throw Error(sqlstate::seats_not_in_performance, "seats not in this performance",
              "Performance " + std::to_string(*performance_id) + " has no seats with ids " + join_ids(foreign) + ".",
              "Take seat ids from the seat map of this performance.");
}

// The performance's rules: seats per hold, and the customer's seat count.
void check_limits(const Performance& performance, size_t wanted, const Customer& customer, int64_t performance_id,
                  int64_t guest_seats) {
  if (wanted > static_cast<size_t>(performance.max_seats_per_hold))
    throw Error(sqlstate::too_many_seats, "too many seats requested",
                "You asked for " + std::to_string(wanted) + " seats; one hold may take at most " +
                    std::to_string(performance.max_seats_per_hold) + ".",
                "Choose fewer seats.");
  if (customer.user_id)
    check_user_limit(performance_id, *customer.user_id, wanted, performance.max_seats_per_customer);
  else if (guest_seats + static_cast<int64_t>(wanted) > performance.max_seats_per_customer)
    throw customer_limit_error("This client already holds", guest_seats, performance.max_seats_per_customer);
}

int64_t total_price(const std::vector<SeatRow>& seats) {
  int64_t total = 0;
  for (const SeatRow& s : seats)
    if (__builtin_add_overflow(total, s.seat.price, &total))
      throw Error(sqlstate::invalid_argument, "total price out of range", "The seat prices add up past the largest amount.");
  return total;
}

// The reservations whose claims on the requested seats have run out.
std::vector<int64_t> run_out_holds(const std::vector<Claim>& claims) {
  std::vector<int64_t> ids;
  for (const Claim& c : claims)
    if (!c.live) ids.push_back(c.reservation_id);
  return ids;
}

// One statement writes the reservation and its claims; returns its id.
int64_t write_hold(int64_t performance_id, const std::vector<int64_t>& seat_ids, const Customer& customer, int64_t total,
                   const std::string& token, TimestampTz expires_at) {
  static Plan insert_hold(
      "WITH r AS ("
      "  INSERT INTO boxoffice.reservations"
      "    (performance_id, user_id, seat_ids, total_amount, hold_token_hash, expires_at, guest_key_hash)"
      "  VALUES ($1, $2, $3, $4, sha256(convert_to($5, 'UTF8')), $6, sha256(convert_to($7, 'UTF8'))) RETURNING id),"
      " claims AS ("
      "  INSERT INTO boxoffice.seat_claims (seat_id, performance_id, reservation_id)"
      "  SELECT unnest($3), $1, r.id FROM r)"
      "SELECT id FROM r",
      {INT8OID, INT8OID, INT8ARRAYOID, INT8OID, TEXTOID, TIMESTAMPTZOID, TEXTOID});
  try {
    return run_writing_claims(insert_hold, Args()
                                               .bigint(performance_id)
                                               .bigint(customer.user_id)
                                               .bigint_array(seat_ids)
                                               .bigint(total)
                                               .string(&token)
                                               .timestamptz(expires_at)
                                               .string(customer.guest_key ? &*customer.guest_key : nullptr))
        .first()
        .bigint("id");
  } catch (const Error& e) {
    // Only a caller whose snapshot is older than its locks (REPEATABLE READ)
    // gets here: the primary key found a claim the read did not see.
    if (e.sqlstate() != ERRCODE_UNIQUE_VIOLATION) throw;
    throw seats_taken("A seat was claimed after this transaction's snapshot was taken. Nothing was held.")
        .replacing_postgres_error();
  }
}

Booking new_booking(int64_t reservation_id, int64_t performance_id, Performance&& performance,
                    std::vector<SeatRow>&& seats, int64_t total, std::string&& token) {
  Booking booking;
  booking.reservation_id = reservation_id;
  booking.status = ReservationStatus::hold;
  booking.performance_id = performance_id;
  booking.concert_title = std::move(performance.concert_title);
  booking.venue_name = std::move(performance.venue_name);
  booking.starts_at = performance.starts_at;
  booking.seats.reserve(seats.size());
  for (SeatRow& s : seats) booking.seats.push_back(std::move(s.seat));
  booking.total_amount = total;
  booking.expires_at = performance.hold_expires_at;
  booking.hold_token = std::move(token);
  booking.created_at = GetCurrentTransactionStartTimestamp();  // reservations.created_at defaults to now()
  return booking;
}

// Steps 2-5 above; any refusal is thrown. refuse_early: a refusal nobody
// will read (a quiet hold whose NOTICE is filtered out) need not name the
// seats, so a claimed seat refuses after the first read.
Booking take_seats(std::optional<int64_t> performance_id, const std::vector<int64_t>& seat_ids, const Customer& customer,
                   HoldLocks& locks, bool refuse_early) {
  bool first_write = !settings::transaction_has_written();
  lock_customer_and_seats(performance_id, seat_ids, customer, locks);

  // The claims first: a quiet hold of a seat already claimed for this
  // performance is refused after this one small read. Only a hold that can
  // succeed, or must explain itself, reads the seats, and only one that can
  // succeed pays for the checks of the performance.
  std::vector<Claim> claims = read_claims(seat_ids);
  if (refuse_early && std::any_of(claims.begin(), claims.end(), [&](const Claim& c) { return is_live_here(c, performance_id); }))
    throw seats_taken("A seat you asked for is held or sold. Nothing was held.");
  SeatsRead read = read_seats(seat_ids, performance_id, customer.guest_key);
  refuse_taken_seats(read.seats, claims, performance_id);
  refuse_foreign_seats(read, seat_ids, performance_id);
  int64_t total = total_price(read.seats);
  Performance performance = on_sale(std::move(read.performance), performance_id);
  check_limits(performance, seat_ids.size(), customer, *performance_id, read.guest_seats);

  end_expired(run_out_holds(claims));
  if (!settings::durable_holds && first_write) settings::commit_durably(false);
  if (settings::durable_holds) settings::undo_weakening();
  std::string token = new_hold_token();
  int64_t reservation_id = write_hold(*performance_id, seat_ids, customer, total, token, performance.hold_expires_at);
  return new_booking(reservation_id, *performance_id, std::move(performance), std::move(read.seats), total, std::move(token));
}

// The refusals try_hold answers instead of raising: outcomes of the moment
// (409 over HTTP), not mistakes in the request.
bool is_refusal(const Error& e) {
  return !e.transaction_failed() &&
         (e.sqlstate() == sqlstate::seats_unavailable || e.sqlstate() == sqlstate::customer_limit_reached ||
          e.sqlstate() == sqlstate::performance_not_on_sale);
}

// A refusal told as a NOTICE: the caller learns why, the server log (at its
// default log_min_messages = warning) records nothing.
void notice(const Error& e) {
  pg_call([&] {
    if (!message_level_is_interesting(NOTICE)) return;
    ereport(NOTICE, (errcode(e.sqlstate()), errmsg_internal("%s", e.message().c_str()),
                     e.detail().empty() ? 0 : errdetail_internal("%s", e.detail().c_str()),
                     e.hint().empty() ? 0 : errhint("%s", e.hint().c_str())));
  });
}

// A hold named by an idempotency key (the fifth argument, since 0.5.1): a
// retry whose first answer was lost gets the same hold and its token back. A
// refusal keeps nothing, so its retry tries again.
std::optional<KeyedCall> keyed_hold(FunctionCallInfo fcinfo, std::optional<int64_t> performance_id,
                                    const std::vector<int64_t>& seat_ids, const Customer& customer) {
  std::optional<std::string> key = PG_NARGS() > 4 ? arg_text(fcinfo, 4) : std::nullopt;
  if (!key) return std::nullopt;
  std::string arguments = "{\"performance_id\": " + (performance_id ? std::to_string(*performance_id) : "null") +
                          ", \"seat_ids\": " + json_array(seat_ids) + "}";
  return KeyedCall{customer.user_id, customer.guest_key, std::nullopt, std::move(*key), "hold", std::move(arguments),
                   Answer::booking};
}

Datum hold_or_answer(FunctionCallInfo fcinfo, bool quiet) {
  std::optional<int64_t> performance_id = arg_int64(fcinfo, 0);
  std::vector<int64_t> seat_ids = requested_seats(fcinfo);
  Customer customer = customer_of(fcinfo);
  std::optional<KeyedCall> keyed = keyed_hold(fcinfo, performance_id, seat_ids, customer);
  SpiConnection spi;
  if (keyed)
    if (std::optional<Datum> answer = replayed_answer(fcinfo, spi, *keyed)) return *answer;
  HoldLocks locks;
  bool refuse_early = quiet && !message_level_is_interesting(NOTICE);
  try {
    Datum booking = booking_result(fcinfo, spi, take_seats(performance_id, seat_ids, customer, locks, refuse_early));
    if (keyed) keep_answer(fcinfo, *keyed, booking);
    return booking;
  } catch (const Error& e) {
    if (!quiet || !is_refusal(e)) throw;
    // The transaction goes on: a quiet refusal leaves nothing behind, not even a
    // seat lock. (A key's lock stays to the end of the transaction: a retry of
    // the key from elsewhere meanwhile is told it is in flight.)
    locks.give_back();
    notice(e);
  }
  fcinfo->isnull = true;
  return Datum(0);
}

Datum hold(FunctionCallInfo fcinfo) { return hold_or_answer(fcinfo, false); }

Datum try_hold(FunctionCallInfo fcinfo) { return hold_or_answer(fcinfo, true); }

}  // namespace
}  // namespace boxoffice

extern "C" {
PG_FUNCTION_INFO_V1(boxoffice_hold_v4);
Datum boxoffice_hold_v4(PG_FUNCTION_ARGS) { return boxoffice::call_sql_function(fcinfo, boxoffice::hold); }
PG_FUNCTION_INFO_V1(boxoffice_try_hold_v4);
Datum boxoffice_try_hold_v4(PG_FUNCTION_ARGS) { return boxoffice::call_sql_function(fcinfo, boxoffice::try_hold); }
}
