#include "idempotency.hpp"

#include "guard.hpp"

extern "C" {
#include "catalog/pg_type.h"
}

namespace boxoffice {
namespace {

// Starts the keyed call and reads a stored answer back as the result type.
// OFFSET 0 keeps the start a subquery of its own: it runs once, first.
#define BOXOFFICE_START_SQL(result_type)                                                                          \
  "SELECT a.* FROM (SELECT boxoffice._idempotency_start(boxoffice._customer_scope($1, $2, $3), $4, $5, $6::jsonb)" \
  "                   AS answer OFFSET 0) k,"                                                                       \
  "       LATERAL jsonb_populate_record(NULL::" result_type ", k.answer) a"                                         \
  " WHERE k.answer IS NOT NULL"

Plan& start_plan(Answer answer) {
  static const std::initializer_list<Oid> types = {INT8OID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID};
  static Plan booking(BOXOFFICE_START_SQL("boxoffice.booking"), types);
  static Plan receipt(BOXOFFICE_START_SQL("boxoffice.payment_receipt"), types);
  return answer == Answer::booking ? booking : receipt;
}

// One plan per result type: its last parameter has that type.
Plan& keep_plan(FunctionCallInfo fcinfo, Answer answer) {
  static std::optional<Plan> plans[2];
  std::optional<Plan>& plan = plans[answer == Answer::booking ? 0 : 1];
  if (!plan) {
    Oid result_type = pg_call([&] { return get_fn_expr_rettype(fcinfo->flinfo); });
    plan.emplace(
        "SELECT boxoffice._idempotency_finish(boxoffice._customer_scope($1, $2, $3), $4, $5, $6::jsonb, to_jsonb($7))",
        std::initializer_list<Oid>{INT8OID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, result_type});
  }
  return *plan;
}

Args call_args(const KeyedCall& call, const std::string& name) {
  const auto text = [](const std::optional<std::string>& s) { return s ? &*s : nullptr; };
  Args args;
  args.bigint(call.user_id)
      .string(text(call.guest_key))
      .string(text(call.hold_token))
      .string(&call.key)
      .string(&name)
      .string(&call.arguments);
  return args;
}

}  // namespace

std::optional<Datum> replayed_answer(FunctionCallInfo fcinfo, const SpiConnection& spi, const KeyedCall& call) {
  std::string name = call.call;
  Result stored = start_plan(call.answer).run(call_args(call, name));
  if (stored.empty()) return std::nullopt;
  return first_row_as_result(fcinfo, spi, stored);
}

void keep_answer(FunctionCallInfo fcinfo, const KeyedCall& call, Datum answer) {
  std::string name = call.call;
  keep_plan(fcinfo, call.answer).run(call_args(call, name).datum(answer));
}

std::string json_array(const std::vector<int64_t>& ids) {
  std::string json = "[";
  for (size_t i = 0; i < ids.size(); i++) json += (i ? ", " : "") + std::to_string(ids[i]);
  return json + "]";
}

}  // namespace boxoffice
