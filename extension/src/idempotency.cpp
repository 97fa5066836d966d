#include "idempotency.hpp"

#include <vector>

#include "guard.hpp"

extern "C" {
#include "access/htup_details.h"
#include "catalog/pg_type.h"
}

namespace boxoffice {

std::optional<Datum> replayed_booking(FunctionCallInfo fcinfo, const SpiConnection& spi, const KeyedCall& call) {
  // OFFSET 0 keeps the start a subquery of its own: it runs once, before the
  // stored answer (if any) is read back as a booking.
  static Plan start(
      "SELECT b.* FROM (SELECT boxoffice._idempotency_start(boxoffice._customer_scope($1, $2, $3), $4, $5, $6::jsonb)"
      "                   AS answer OFFSET 0) k,"
      "       LATERAL jsonb_populate_record(NULL::boxoffice.booking, k.answer) b"
      " WHERE k.answer IS NOT NULL",
      {INT8OID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID});
  std::string name = call.call;
  const auto text = [](const std::optional<std::string>& s) { return s ? &*s : nullptr; };
  Result stored = start.run(Args()
                                .bigint(call.user_id)
                                .string(text(call.guest_key))
                                .string(text(call.hold_token))
                                .string(&call.key)
                                .string(&name)
                                .string(&call.arguments));
  if (stored.empty()) return std::nullopt;
  TupleDesc desc = stored.descriptor();
  std::vector<Datum> values(desc->natts);
  std::vector<char> nulls(desc->natts);
  pg_call([&] { heap_deform_tuple(stored.first().tuple(), desc, values.data(), reinterpret_cast<bool*>(nulls.data())); });
  return form_result_row(fcinfo, spi, values.data(), reinterpret_cast<const bool*>(nulls.data()), desc->natts);
}

void keep_booking(FunctionCallInfo fcinfo, const KeyedCall& call, Datum booking) {
  static Oid booking_type = InvalidOid;
  if (booking_type == InvalidOid) booking_type = pg_call([&] { return get_fn_expr_rettype(fcinfo->flinfo); });
  static Plan keep(
      "SELECT boxoffice._idempotency_finish(boxoffice._customer_scope($1, $2, $3), $4, $5, $6::jsonb, to_jsonb($7))",
      {INT8OID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, booking_type});
  std::string name = call.call;
  const auto text = [](const std::optional<std::string>& s) { return s ? &*s : nullptr; };
  keep.run(Args()
               .bigint(call.user_id)
               .string(text(call.guest_key))
               .string(text(call.hold_token))
               .string(&call.key)
               .string(&name)
               .string(&call.arguments)
               .datum(booking));
}

std::string json_array(const std::vector<int64_t>& ids) {
  std::string json = "[";
  for (size_t i = 0; i < ids.size(); i++) json += (i ? ", " : "") + std::to_string(ids[i]);
  return json + "]";
}

}  // namespace boxoffice
