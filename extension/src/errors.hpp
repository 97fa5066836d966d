// boxoffice's own SQLSTATEs, class TK ("ticket"). The catalogue with meanings
// is the view boxoffice.error_codes (extension/sql/errors.sql).
#pragma once

extern "C" {
#include "postgres.h"
}

namespace boxoffice::sqlstate {

constexpr int tk(char a, char b, char c) { return MAKE_SQLSTATE('T', 'K', a, b, c); }

constexpr int performance_not_found = tk('0', '0', '1');
constexpr int performance_not_on_sale = tk('0', '0', '2');
constexpr int seats_unavailable = tk('0', '0', '3');
constexpr int seats_not_in_performance = tk('0', '0', '4');
constexpr int no_seats_requested = tk('0', '0', '5');
constexpr int duplicate_seats = tk('0', '0', '6');
constexpr int too_many_seats = tk('0', '0', '7');
constexpr int customer_limit_reached = tk('0', '0', '8');
constexpr int reservation_not_found = tk('0', '0', '9');
constexpr int hold_expired = tk('0', '1', '0');
constexpr int invalid_state = tk('0', '1', '1');
constexpr int invalid_phone = tk('0', '1', '3');
constexpr int invalid_pin = tk('0', '1', '4');
constexpr int invalid_argument = tk('0', '1', '7');
constexpr int user_not_found = tk('0', '2', '0');
constexpr int buyer_details_required = tk('0', '2', '1');
constexpr int guest_lookup_locked = tk('0', '2', '2');
constexpr int guest_key_required = tk('0', '2', '3');

}  // namespace boxoffice::sqlstate
