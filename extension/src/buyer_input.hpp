// Checks on what a guest types in: phone number and 4-digit PIN. The same code
// serves confirm() and, through SQL wrappers, guest_lookup().
#pragma once

#include <optional>
#include <string>

namespace boxoffice {

// "010-1234-5678" -> "01012345678"; raises invalid_phone for anything else.
std::string normalize_phone(const std::optional<std::string>& phone);
// Raises invalid_pin unless the PIN is exactly 4 digits.
void check_pin(const std::optional<std::string>& pin);

}  // namespace boxoffice
