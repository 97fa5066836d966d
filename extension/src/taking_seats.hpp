// What every taking of seats checks and does under its locks (the customer
// key, then the seats): a new hold (hold.cpp) and the late sale of a hold
// whose card payment was approved after it ran out (confirm.cpp).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "guard.hpp"

namespace boxoffice {

// who_has: "You already hold or bought", "This client already holds".
Error customer_limit_error(const std::string& who_has, int64_t already, int32_t limit);

// Refuses (customer_limit_reached, user_not_found) a user who would hold or
// own more than limit seats of the performance with `wanted` more. The caller
// holds the customer lock, so two parallel takings cannot both squeeze under.
void check_user_limit(int64_t performance_id, int64_t user_id, size_t wanted, int32_t limit);

// A claim on one of the requested seats.
struct Claim {
  int64_t seat_id;
  int64_t performance_id;
  int64_t reservation_id;
  bool live;  // its reservation holds the seat right now
};

// The claims on the seats (read on the latest state: the caller holds their locks).
std::vector<Claim> read_claims(const std::vector<int64_t>& seat_ids);

// Ends holds whose time is up and frees all their seats (expiry never waits
// for the sweeper).
void end_expired(const std::vector<int64_t>& reservation_ids);

}  // namespace boxoffice
