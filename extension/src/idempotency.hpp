// Engine calls named by an idempotency key: hold, try_hold, cancel and
// pay_with_points. The rules (the key's form, its scope, replay or refusal)
// are those of extension/sql/idempotency.sql, which this asks; the answer is
// kept in the same transaction as the call's effect.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "spi.hpp"

namespace boxoffice {

// What the call answers: its SQL result type.
enum class Answer { booking, payment_receipt };

struct KeyedCall {
  // whose key (_customer_scope): a user, else the holder of a hold token,
  // else a guest client
  std::optional<int64_t> user_id;
  std::optional<std::string> guest_key;
  std::optional<std::string> hold_token;
  std::string key;
  const char* call;       // the SQL function's name
  std::string arguments;  // JSON: what it was called with, the key aside
  Answer answer;
  std::string scope = {};  // filled in by replayed_answer
};

// The answer of the key's first run, as this call's result, or nothing on a
// first run. Raises idempotency_key_required, _reused or _in_flight.
std::optional<Datum> replayed_answer(FunctionCallInfo fcinfo, const SpiConnection& spi, KeyedCall& call);

// Keeps a first run's answer (this call's result) for the key's retries (after
// replayed_answer, which found its scope).
void keep_answer(FunctionCallInfo fcinfo, const KeyedCall& call, Datum answer);

// The JSON of a bigint array, for KeyedCall::arguments.
std::string json_array(const std::vector<int64_t>& ids);

}  // namespace boxoffice
