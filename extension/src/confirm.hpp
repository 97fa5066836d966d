// Selling a hold: the part of confirm() after the buyer is known, which
// paying with points (pay_with_points.cpp) does too.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "owned_reservation.hpp"

namespace boxoffice {

struct Buyer {
  std::optional<std::string> name, phone, pin;  // a guest gives all three; a user none or a name
};

// Takes the customer's and the seats' locks, re-reads the reservation, checks
// that it can still be sold and its performance is on sale, and sells it.
// False when it had been sold already (nothing to do). r: the reservation as
// first read, not ended.
bool sell_hold(int64_t reservation_id, const Owner& owner, const OwnedReservation& r, const Buyer& buyer);

// The reservation number of a sale (BX-XXXX-XXXX), from its id.
std::string reservation_number(int64_t id);

}  // namespace boxoffice
