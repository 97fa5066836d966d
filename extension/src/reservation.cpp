#include "reservation.hpp"

#include <algorithm>

#include "errors.hpp"
#include "guard.hpp"

extern "C" {
#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/builtins.h"
}

namespace boxoffice {

OwnedReservation find_owned(std::optional<int64_t> reservation_id, const Owner& owner) {
  static Plan owned(
      "SELECT r.status::text, r.expires_at <= clock_timestamp(), r.seat_ids, r.user_id, r.performance_id,"
      "       p.max_seats_per_customer"
      "  FROM boxoffice.reservations r JOIN boxoffice.performances p ON p.id = r.performance_id"
      " WHERE r.id = $1 AND (r.user_id = $2 OR r.hold_token_hash = sha256(convert_to($3, 'UTF8')))",
      {INT8OID, INT8OID, TEXTOID});
  const std::string* token = owner.hold_token ? &*owner.hold_token : nullptr;
  if (!reservation_id || (!owner.user_id && !owner.hold_token) ||
      owned.run(Args().bigint(reservation_id).bigint(owner.user_id).string(token), 1) == 0)
    throw Error(sqlstate::reservation_not_found, "reservation not found",
                "There is no reservation " + (reservation_id ? std::to_string(*reservation_id) : std::string("null")) +
                    " that belongs to you.",
                "Act as the user who made the hold, or give the hold token it returned.");
  Row row(0);
  OwnedReservation r;
  r.status = row.string(1);
  r.hold_expired = r.status == "hold" && row.boolean(2);
  r.seat_ids = row.bigint_array(3);
  std::sort(r.seat_ids.begin(), r.seat_ids.end());
  if (!row.is_null(4)) r.user_id = row.bigint(4);
  r.performance_id = row.bigint(5);
  r.max_seats_per_customer = row.integer(6);
  return r;
}

std::optional<int64_t> arg_int64(FunctionCallInfo fcinfo, int n) {
  if (PG_ARGISNULL(n)) return std::nullopt;
  return PG_GETARG_INT64(n);
}

std::optional<std::string> arg_text(FunctionCallInfo fcinfo, int n) {
  if (PG_ARGISNULL(n)) return std::nullopt;
  char* s = pg_call([&] { return text_to_cstring(PG_GETARG_TEXT_PP(n)); });
  return std::string(s);
}

std::vector<int64_t> arg_int64_array(FunctionCallInfo fcinfo, int n, bool* has_nulls) {
  *has_nulls = false;
  if (PG_ARGISNULL(n)) return {};
  Datum* elems = nullptr;
  bool* elem_nulls = nullptr;
  int count = 0;
  ArrayType* array = pg_call([&] { return PG_GETARG_ARRAYTYPE_P(n); });
  if (ARR_NDIM(array) > 1)
    throw Error(sqlstate::invalid_argument, "seat ids must be a flat list", "Pass a one-dimensional array such as ARRAY[1,2,3].");
  pg_call([&] { deconstruct_array(array, INT8OID, sizeof(int64), true, TYPALIGN_DOUBLE, &elems, &elem_nulls, &count); });
  std::vector<int64_t> out;
  out.reserve(count);
  for (int i = 0; i < count; i++) {
    if (elem_nulls[i])
      *has_nulls = true;
    else
      out.push_back(DatumGetInt64(elems[i]));
  }
  return out;
}

std::string join_ids(const std::vector<int64_t>& ids) {
  std::string out;
  for (size_t i = 0; i < ids.size(); i++) {
    if (i > 0) out += ", ";
    out += std::to_string(ids[i]);
  }
  return out;
}

}  // namespace boxoffice
