// Engine calls named by an idempotency key: hold, try_hold and cancel. The
// rules (the key's form, its scope, replay or refusal) are those of
// extension/sql/idempotency.sql, which this asks; the answer is kept in the
// same transaction as the call's effect.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "spi.hpp"

namespace boxoffice {

struct KeyedCall {
  // whose key (_customer_scope): a user, else the holder of a hold token,
  // else a guest client
  std::optional<int64_t> user_id;
  std::optional<std::string> guest_key;
  std::optional<std::string> hold_token;
  std::string key;
  const char* call;       // the SQL function's name
  std::string arguments;  // JSON: what it was called with, the key aside
};

// The booking the key's first run answered, as this call's result, or nothing
// on a first run. Raises idempotency_key_required, _reused or _in_flight.
std::optional<Datum> replayed_booking(FunctionCallInfo fcinfo, const SpiConnection& spi, const KeyedCall& call);

// Keeps a first run's booking (this call's result) for the key's retries.
void keep_booking(FunctionCallInfo fcinfo, const KeyedCall& call, Datum booking);

// The JSON of a bigint array, for KeyedCall::arguments.
std::string json_array(const std::vector<int64_t>& ids);

}  // namespace boxoffice
