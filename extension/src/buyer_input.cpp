#include "buyer_input.hpp"

#include "errors.hpp"
#include "guard.hpp"
#include "arguments.hpp"

extern "C" {
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
}

namespace boxoffice {

std::string normalize_phone(const std::optional<std::string>& phone) {
  std::string digits;
  bool valid = phone.has_value();
  if (valid)
    for (char c : *phone) {
      if (c >= '0' && c <= '9')
        digits += c;
      else if (c != '-' && c != ' ')
        valid = false;
    }
  if (!valid || digits.size() < 10 || digits.size() > 11 || digits.compare(0, 2, "01") != 0)
    throw Error(sqlstate::invalid_phone, "invalid phone number", "A phone number has 10 or 11 digits and starts with 01.",
                "For example 010-1234-5678.");
  return digits;
}

void check_pin(const std::optional<std::string>& pin) {
  bool valid = pin.has_value() && pin->size() == 4;
  if (valid)
    for (char c : *pin) valid = valid && c >= '0' && c <= '9';
  if (!valid) throw Error(sqlstate::invalid_pin, "invalid pin", "The PIN must be exactly 4 digits.");
}

namespace {
// Unicode's White_Space characters, the format characters that show nothing,
// the C0 and C1 controls, and the fillers of Hangul that render as nothing.
bool invisible(char32_t c) {
  return c <= 0x20 || (c >= 0x7f && c <= 0xa0) || c == 0xad || c == 0x115f || c == 0x1160 || c == 0x1680 ||
         c == 0x180e || (c >= 0x2000 && c <= 0x200f) || (c >= 0x2028 && c <= 0x202f) || (c >= 0x205f && c <= 0x2064) ||
         c == 0x2800 || c == 0x3000 || c == 0x3164 || c == 0xfeff || c == 0xffa0;
}

// The code points of UTF-8 text; nullopt if it is not valid UTF-8.
std::optional<std::u32string> code_points(const std::string& utf8) {
  std::u32string out;
  for (size_t i = 0; i < utf8.size();) {
    unsigned char b = static_cast<unsigned char>(utf8[i]);
    int len = b < 0x80 ? 1 : (b >> 5) == 6 ? 2 : (b >> 4) == 14 ? 3 : (b >> 3) == 30 ? 4 : 0;
    if (len == 0 || i + len > utf8.size()) return std::nullopt;
    char32_t c = len == 1 ? b : b & (0x7f >> len);
    for (int k = 1; k < len; k++) c = (c << 6) | (static_cast<unsigned char>(utf8[i + k]) & 0x3f);
    out.push_back(c);
    i += len;
  }
  return out;
}
}  // namespace

bool is_blank(const std::string& name) {
  std::string utf8 = name;
  if (GetDatabaseEncoding() != PG_UTF8) {
    const char* in = name.c_str();
    int n = static_cast<int>(name.size());
    utf8 = pg_call([&] { return pg_server_to_any(in, n, PG_UTF8); });
  }
  std::optional<std::u32string> chars = code_points(utf8);
  if (!chars) return false;  // PostgreSQL only stores valid text: not reached
  for (char32_t c : *chars)
    if (!invisible(c)) return false;
  return true;
}

namespace {
Datum normalize_phone_sql(FunctionCallInfo fcinfo) {
  std::string phone = normalize_phone(arg_text(fcinfo, 0));
  return pg_call([&] { return PointerGetDatum(cstring_to_text(phone.c_str())); });
}

Datum check_pin_sql(FunctionCallInfo fcinfo) {
  check_pin(arg_text(fcinfo, 0));
  return Datum(0);
}

Datum is_blank_sql(FunctionCallInfo fcinfo) {
  std::optional<std::string> name = arg_text(fcinfo, 0);
  return BoolGetDatum(!name || is_blank(*name));
}
}  // namespace

}  // namespace boxoffice

extern "C" {
PG_FUNCTION_INFO_V1(boxoffice_normalize_phone);
Datum boxoffice_normalize_phone(PG_FUNCTION_ARGS) { return boxoffice::call_sql_function(fcinfo, boxoffice::normalize_phone_sql); }
PG_FUNCTION_INFO_V1(boxoffice_check_pin);
Datum boxoffice_check_pin(PG_FUNCTION_ARGS) { return boxoffice::call_sql_function(fcinfo, boxoffice::check_pin_sql); }
PG_FUNCTION_INFO_V1(boxoffice_is_blank);
Datum boxoffice_is_blank(PG_FUNCTION_ARGS) { return boxoffice::call_sql_function(fcinfo, boxoffice::is_blank_sql); }
}
