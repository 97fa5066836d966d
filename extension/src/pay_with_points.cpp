// pay_with_points(reservation_id, idempotency_key, user_id): the caller's
// points pay for a live hold and confirm it, in one transaction, exactly once
// per key. The usual case runs here, in prepared statements:
//   1. the user is logged in; the key's stored answer, if any, is the answer;
//   2. the caller's hold, under its row lock (the lock order of every payment:
//      the reservation, then the wallet, then the sale's customer and seats);
//   3. one statement takes the points, approves the payment and writes its
//      ledger entry, and writes nothing unless the reservation has no other
//      payment and the wallet holds enough;
//   4. the sale (sell_hold, as confirm() sells), then the receipt and its key.
// Anything else (no login, no key, another's or an ended reservation, a
// payment under way, too few points, no wallet yet) is answered by the SQL
// version, _pay_with_points_in_sql (payments.sql): it holds every rule's
// words, and it sees what this saw, since nothing has been written yet. The
// database's constraints (one approved payment per reservation, no balance
// below zero, no sale of a paid performance without its payment) hold either
// way.
#include <string>

#include "arguments.hpp"
#include "confirm.hpp"
#include "errors.hpp"
#include "guard.hpp"
#include "idempotency.hpp"
#include "identity.hpp"
#include "owned_reservation.hpp"
#include "spi.hpp"

extern "C" {
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"
}

namespace boxoffice {
namespace {

Datum in_sql(FunctionCallInfo fcinfo, const SpiConnection& spi) {
  static Plan pay(
      "SELECT * FROM boxoffice._pay_with_points_in_sql($1, $2, $3)",
      {INT8OID, TEXTOID, INT8OID});
  std::optional<std::string> key = arg_text(fcinfo, 1);
  return first_row_as_result(fcinfo, spi,
                             pay.run(Args().bigint(arg_int64(fcinfo, 0)).string(key ? &*key : nullptr).bigint(arg_int64(fcinfo, 2))));
}

bool logged_in(int64_t user_id) {
  static Plan user(
      "SELECT EXISTS (SELECT FROM boxoffice.users u WHERE u.id = $1 AND u.deleted_at IS NULL) AS found", {INT8OID});
  return user.run(Args().bigint(user_id), 1).first().boolean("found");
}

// The caller's hold under its row lock: its price when it is live.
std::optional<int64_t> locked_live_hold(int64_t reservation_id, int64_t user_id) {
  static Plan lock_hold(
      "SELECT r.total_amount FROM boxoffice.reservations r"
      " WHERE r.id = $1 AND r.user_id = $2 AND r.status = 'hold' AND r.live_until > clock_timestamp()"
      "   FOR NO KEY UPDATE",
      {INT8OID, INT8OID});
  Result found = lock_hold.run(Args().bigint(reservation_id).bigint(user_id), 1);
  if (found.empty()) return std::nullopt;
  return found.first().bigint("total_amount");
}

struct Taken {
  int64_t payment_id;
  std::string order_id;
  TimestampTz created_at;
  int64_t balance;
};

// Step 3. The wallet's UPDATE takes its row lock; the payment and its entry
// follow only from a row it changed.
std::optional<Taken> take_points(int64_t reservation_id, int64_t user_id, int64_t amount, TimestampTz approved_at) {
  static Plan take(
      "WITH w AS ("
      "  UPDATE boxoffice.wallets w SET balance = w.balance - $3,"
      "         updated_at = CASE WHEN $3 > 0 THEN now() ELSE w.updated_at END"  // a free sale moves no points
      "   WHERE w.user_id = $2 AND w.balance >= $3"
      "     AND NOT EXISTS (SELECT FROM boxoffice.payments p WHERE p.reservation_id = $1 AND p.status <> 'failed')"
      "  RETURNING w.balance),"
      " p AS ("
      "  INSERT INTO boxoffice.payments (reservation_id, user_id, method, amount, status, approved_at)"
      "  SELECT $1, $2, 'points', $3, 'approved', $4 FROM w RETURNING id, order_id, created_at),"
      " entry AS ("
      "  INSERT INTO boxoffice.ledger_entries (user_id, kind, amount, balance_after, payment_id)"
      "  SELECT $2, 'payment', -$3, w.balance, p.id FROM w, p WHERE $3 > 0)"
      "SELECT p.id, p.order_id, p.created_at, w.balance FROM p, w",
      {INT8OID, INT8OID, INT8OID, TIMESTAMPTZOID});
  Result taken =
      take.run(Args().bigint(reservation_id).bigint(user_id).bigint(amount).timestamptz(approved_at), 1);
  if (taken.empty()) return std::nullopt;
  ResultRow row = taken.first();
  return Taken{row.bigint("id"), row.string("order_id"), row.timestamptz("created_at"), row.bigint("balance")};
}

// The boxoffice.payment_receipt of a points payment just approved and sold.
Datum receipt(FunctionCallInfo fcinfo, const SpiConnection& spi, int64_t reservation_id, int64_t amount,
              const Taken& taken, TimestampTz approved_at) {
  enum { payment_id, order_id, reservation, reservation_number_, reservation_status, method, amount_, status,
         points_balance, created_at, approved_at_, refunded_at, failure, refund_reason, column_count };
  Datum values[column_count];
  bool nulls[column_count];
  for (int i = 0; i < column_count; i++) nulls[i] = false;
  nulls[refunded_at] = nulls[failure] = nulls[refund_reason] = true;
  values[payment_id] = Int64GetDatum(taken.payment_id);
  values[reservation] = Int64GetDatum(reservation_id);
  values[amount_] = Int64GetDatum(amount);
  values[points_balance] = Int64GetDatum(taken.balance);
  values[created_at] = TimestampTzGetDatum(taken.created_at);
  values[approved_at_] = TimestampTzGetDatum(approved_at);
  std::string number = reservation_number(reservation_id);
  pg_call([&] {  // no C++ object is made in here: a PostgreSQL error would skip its destructor
    auto text = [](const char* s, size_t n) { return PointerGetDatum(cstring_to_text_with_len(s, static_cast<int>(n))); };
    values[order_id] = text(taken.order_id.data(), taken.order_id.size());
    values[reservation_number_] = text(number.data(), number.size());
    values[reservation_status] = text("confirmed", 9);
    values[method] = text("points", 6);
    values[status] = text("approved", 8);
  });
  return form_result_row(fcinfo, spi, values, nulls, column_count);
}

Datum pay_with_points(FunctionCallInfo fcinfo) {
  std::optional<int64_t> reservation_id = arg_int64(fcinfo, 0);
  std::optional<std::string> key = arg_text(fcinfo, 1);
  std::optional<int64_t> user_id = acting_user(arg_int64(fcinfo, 2));
  SpiConnection spi;
  if (!reservation_id || !key || !user_id || !logged_in(*user_id)) return in_sql(fcinfo, spi);

  KeyedCall keyed{user_id, std::nullopt, std::nullopt, *key, "pay_with_points",
                  "{\"reservation_id\": " + std::to_string(*reservation_id) + "}", Answer::payment_receipt};
  if (std::optional<Datum> answer = replayed_answer(fcinfo, spi, keyed)) return *answer;

  std::optional<int64_t> amount = locked_live_hold(*reservation_id, *user_id);
  if (!amount) return in_sql(fcinfo, spi);
  TimestampTz approved_at = GetCurrentTimestamp();  // clock_timestamp(), as the SQL version dates it
  std::optional<Taken> taken = take_points(*reservation_id, *user_id, *amount, approved_at);
  if (!taken) return in_sql(fcinfo, spi);

  Owner owner{user_id, std::nullopt};
  OwnedReservation r = find_owned(reservation_id, owner);
  if (!sell_hold(*reservation_id, owner, r, Buyer{}))
    throw Error(ERRCODE_INTERNAL_ERROR, "reservation sold while it was being paid for");
  Datum answer = receipt(fcinfo, spi, *reservation_id, *amount, *taken, approved_at);
  keep_answer(fcinfo, keyed, answer);
  return answer;
}

}  // namespace
}  // namespace boxoffice

extern "C" {
PG_FUNCTION_INFO_V1(boxoffice_pay_with_points);
Datum boxoffice_pay_with_points(PG_FUNCTION_ARGS) { return boxoffice::call_sql_function(fcinfo, boxoffice::pay_with_points); }
}
