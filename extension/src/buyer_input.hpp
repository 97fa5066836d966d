// Checks on what people type in: phone number, 4-digit PIN, and names that
// are really there. The same code serves confirm() and, through SQL wrappers
// (extension/sql/input.sql), guest_lookup(), register_user() and the catalog.
#pragma once

#include <optional>
#include <string>

namespace boxoffice {

// "010-1234-5678" -> "01012345678"; raises invalid_phone for anything else.
std::string normalize_phone(const std::optional<std::string>& phone);
// Raises invalid_pin unless the PIN is exactly 4 digits.
void check_pin(const std::optional<std::string>& pin);
// True for a name nobody could read: empty, or only white space and invisible
// characters of any kind (newline, no-break space, ideographic space,
// zero-width space, Hangul filler, ...). The text is in the database encoding.
bool is_blank(const std::string& name);

}  // namespace boxoffice
