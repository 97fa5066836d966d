// Finding a reservation that belongs to the caller: what confirm, release and
// cancel act on.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "reservation_status.hpp"

namespace boxoffice {

// A reservation as its owner's actions see it.
struct OwnedReservation {
  ReservationStatus status;
  bool live = false;              // it holds its seats right now (live_until has not passed)
  bool ended = false;             // it holds no seats any more, whatever the clock says
  std::vector<int64_t> seat_ids;  // ascending: the lock order
  std::optional<int64_t> user_id;
  int64_t performance_id = 0;
  int32_t max_seats_per_customer = 0;
  // not ended, yet no longer live: its time ran out and nobody has ended it yet
  bool ran_out() const { return !ended && !live; }
};

// Who is acting: a user id, a hold token, or both.
struct Owner {
  std::optional<int64_t> user_id;
  std::optional<std::string> hold_token;
};

// Reads the reservation if it exists and the owner may act on it; otherwise
// raises reservation_not_found (the same error either way: ids leak nothing).
OwnedReservation find_owned(std::optional<int64_t> reservation_id, const Owner& owner);

}  // namespace boxoffice
