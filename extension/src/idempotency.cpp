#include "idempotency.hpp"

#include "guard.hpp"

extern "C" {
#include "catalog/pg_type.h"
}

namespace boxoffice {
namespace {

// The SQL type of an answer: replays are read back as it.
#define BOXOFFICE_ANSWER_TYPES(plan) \
  static Plan booking(plan("boxoffice.booking"), types); \
  static Plan receipt(plan("boxoffice.payment_receipt"), types); \
  return answer == Answer::booking ? booking : receipt

// The key's scope, and whether the key has its form and this transaction its
// lock (_idempotency_key_ok, _idempotency_try_lock).
struct Start {
  std::string scope;
  bool ready;
};

Start start(const KeyedCall& call) {
  static Plan plan(
      "SELECT s.scope, boxoffice._idempotency_key_ok(s.scope, $4) IS TRUE"
      "                AND boxoffice._idempotency_try_lock(s.scope, $4) AS ready"
      "  FROM (SELECT boxoffice._customer_scope($1, $2, $3) AS scope) s",
      {INT8OID, TEXTOID, TEXTOID, TEXTOID});
  const auto text = [](const std::optional<std::string>& s) { return s ? &*s : nullptr; };
  ResultRow row = plan.run(Args()
                               .bigint(call.user_id)
                               .string(text(call.guest_key))
                               .string(text(call.hold_token))
                               .string(&call.key),
                           1)
                      .first();
  return Start{row.string("scope"), row.boolean("ready")};
}

// Under the key's lock (a statement of its own, so that it sees a first run
// that committed while this one waited for nothing): whether the key has an
// answer, and whether it was for this call.
enum class Kept { none, same_call, other_call };

Kept kept(const KeyedCall& call, const std::string& scope) {
  static Plan plan(
      "SELECT k.call = $3 AND k.arguments = $4::jsonb AS same FROM boxoffice.idempotency_keys k"
      " WHERE k.scope = $1 AND k.key = $2",
      {TEXTOID, TEXTOID, TEXTOID, TEXTOID});
  std::string name = call.call;
  Result found = plan.run(Args().string(&scope).string(&call.key).string(&name).string(&call.arguments), 1);
  if (found.empty()) return Kept::none;
  return found.first().boolean("same") ? Kept::same_call : Kept::other_call;
}

#define BOXOFFICE_REPLAY_SQL(result_type)                                                                   \
  "SELECT a.* FROM boxoffice.idempotency_keys k, LATERAL jsonb_populate_record(NULL::" result_type ", k.answer) a" \
  " WHERE k.scope = $1 AND k.key = $2"

Plan& replay_plan(Answer answer) {
  static const std::initializer_list<Oid> types = {TEXTOID, TEXTOID};
  BOXOFFICE_ANSWER_TYPES(BOXOFFICE_REPLAY_SQL);
}

// The SQL start (_idempotency_start), for what the fast path does not answer:
// it raises the refusal in its words (or, if the other run has just ended,
// finds what that left) and answers as a replay does.
#define BOXOFFICE_START_SQL(result_type)                                                          \
  "SELECT a.* FROM (SELECT boxoffice._idempotency_start($1, $2, $3, $4::jsonb) AS answer OFFSET 0) k," \
  "       LATERAL jsonb_populate_record(NULL::" result_type ", k.answer) a"                          \
  " WHERE k.answer IS NOT NULL"

Plan& sql_start_plan(Answer answer) {
  static const std::initializer_list<Oid> types = {TEXTOID, TEXTOID, TEXTOID, TEXTOID};
  BOXOFFICE_ANSWER_TYPES(BOXOFFICE_START_SQL);
}

// One plan per result type: its last parameter has that type.
Plan& keep_plan(FunctionCallInfo fcinfo, Answer answer) {
  static std::optional<Plan> plans[2];
  std::optional<Plan>& plan = plans[answer == Answer::booking ? 0 : 1];
  if (!plan) {
    Oid result_type = pg_call([&] { return get_fn_expr_rettype(fcinfo->flinfo); });
    plan.emplace(
        "INSERT INTO boxoffice.idempotency_keys (scope, key, call, arguments, answer)"
        " VALUES ($1, $2, $3, $4::jsonb, boxoffice._kept_answer($1, to_jsonb($5)))",
        std::initializer_list<Oid>{TEXTOID, TEXTOID, TEXTOID, TEXTOID, result_type});
  }
  return *plan;
}

}  // namespace

std::optional<Datum> replayed_answer(FunctionCallInfo fcinfo, const SpiConnection& spi, KeyedCall& call) {
  Start s = start(call);
  call.scope = s.scope;
  Kept k = s.ready ? kept(call, s.scope) : Kept::other_call;
  if (k == Kept::none) return std::nullopt;
  std::string name = call.call;
  Result stored = k == Kept::same_call
                      ? replay_plan(call.answer).run(Args().string(&s.scope).string(&call.key))
                      : sql_start_plan(call.answer)
                            .run(Args().string(&s.scope).string(&call.key).string(&name).string(&call.arguments));
  if (stored.empty()) return std::nullopt;
  return first_row_as_result(fcinfo, spi, stored);
}

void keep_answer(FunctionCallInfo fcinfo, const KeyedCall& call, Datum answer) {
  std::string name = call.call;
  keep_plan(fcinfo, call.answer)
      .run(Args().string(&call.scope).string(&call.key).string(&name).string(&call.arguments).datum(answer));
}

std::string json_array(const std::vector<int64_t>& ids) {
  std::string json = "[";
  for (size_t i = 0; i < ids.size(); i++) json += (i ? ", " : "") + std::to_string(ids[i]);
  return json + "]";
}

}  // namespace boxoffice
