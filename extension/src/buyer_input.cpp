#include "buyer_input.hpp"

#include "errors.hpp"
#include "guard.hpp"
#include "reservation.hpp"

extern "C" {
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
Datum normalize_phone_sql(FunctionCallInfo fcinfo) {
  std::string phone = normalize_phone(arg_text(fcinfo, 0));
  return pg_call([&] { return PointerGetDatum(cstring_to_text(phone.c_str())); });
}

Datum check_pin_sql(FunctionCallInfo fcinfo) {
  check_pin(arg_text(fcinfo, 0));
  return Datum(0);
}
}  // namespace

}  // namespace boxoffice

extern "C" {
PG_FUNCTION_INFO_V1(boxoffice_normalize_phone);
Datum boxoffice_normalize_phone(PG_FUNCTION_ARGS) { return boxoffice::call_sql_function(fcinfo, boxoffice::normalize_phone_sql); }
PG_FUNCTION_INFO_V1(boxoffice_check_pin);
Datum boxoffice_check_pin(PG_FUNCTION_ARGS) { return boxoffice::call_sql_function(fcinfo, boxoffice::check_pin_sql); }
}
