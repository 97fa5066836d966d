// What the engine's functions share: finding a reservation that belongs to
// the caller, and reading their arguments.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "spi.hpp"

extern "C" {
#include "fmgr.h"
}

namespace boxoffice {

// A reservation as its owner's actions see it.
struct OwnedReservation {
  std::string status;             // hold, confirmed, cancelled, released, expired
  bool hold_expired = false;      // status is hold but expires_at has passed
  std::vector<int64_t> seat_ids;  // ascending: the lock order
  std::optional<int64_t> user_id;
  int64_t performance_id = 0;
  int32_t max_seats_per_customer = 0;
  bool is_live_hold() const { return status == "hold" && !hold_expired; }
};

// Who is acting: a user id, a hold token, or both.
struct Owner {
  std::optional<int64_t> user_id;
  std::optional<std::string> hold_token;
};

// Reads the reservation if it exists and the owner may act on it; otherwise
// raises reservation_not_found (the same error either way: ids leak nothing).
OwnedReservation find_owned(std::optional<int64_t> reservation_id, const Owner& owner);

// Argument helpers for SQL-callable functions.
std::optional<int64_t> arg_int64(FunctionCallInfo fcinfo, int n);
std::optional<std::string> arg_text(FunctionCallInfo fcinfo, int n);
std::vector<int64_t> arg_int64_array(FunctionCallInfo fcinfo, int n, bool* has_nulls);

// "12, 15, 17": ids for error details.
std::string join_ids(const std::vector<int64_t>& ids);

}  // namespace boxoffice
