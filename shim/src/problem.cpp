#include "problem.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

namespace shim {

int http_status_for_sqlstate(const std::string& sqlstate) {
  // First match wins: five characters match one code, two match a class.
  // This table is the README's; change both together.
  static const struct {
    const char* sqlstate;
    int status;
  } table[] = {
      // boxoffice
      {"TK001", 404},  // performance_not_found
      {"TK002", 409},  // performance_not_on_sale
      {"TK003", 409},  // seats_unavailable
      {"TK004", 422},  // seats_not_in_performance
      {"TK005", 422},  // no_seats_requested
      {"TK006", 422},  // duplicate_seats
      {"TK007", 422},  // too_many_seats
      {"TK008", 409},  // customer_limit_reached
      {"TK009", 404},  // reservation_not_found
      {"TK010", 410},  // hold_expired
      {"TK011", 409},  // invalid_state
      {"TK012", 404},  // no_matching_reservation
      {"TK013", 422},  // invalid_phone
      {"TK014", 422},  // invalid_pin
      {"TK015", 401},  // invalid_credentials
      {"TK016", 409},  // email_taken
      {"TK017", 422},  // invalid_argument
      {"TK018", 404},  // venue_not_found
      {"TK019", 404},  // concert_not_found
      {"TK020", 404},  // user_not_found
      {"TK021", 422},  // buyer_details_required
      {"TK022", 429},  // guest_lookup_locked (Retry-After from the hint)
      {"TK023", 422},  // guest_key_required
      {"TK", 400},     // a TK code newer than this table
      // PostgreSQL
      {"23505", 409},  // unique_violation
      {"23503", 409},  // foreign_key_violation
      {"23514", 409},  // check_violation
      {"22", 400},     // data exception: bad number, bad value, ...
      {"42501", 403},  // insufficient_privilege
      {"54", 400},     // program limit exceeded: a body nested or sized past what PostgreSQL takes
      {"42883", 500},  // undefined_function: our bug, not the client's
      {"08", 503},     // connection exception
      {"53", 503},     // insufficient resources
      {"57P01", 503},  // admin_shutdown
      {"57P02", 503},  // crash_shutdown
      {"57P03", 503},  // cannot_connect_now
      {"57014", 504},  // query_canceled: statement_timeout
      {"40001", 409},  // serialization_failure
      {"40P01", 409},  // deadlock_detected
      {"55P03", 409},  // lock_not_available
  };
  if (sqlstate.size() == 5) {
    for (const auto& row : table) {
      std::string key = row.sqlstate;
      if (key.size() == 5 ? sqlstate == key : sqlstate.compare(0, key.size(), key) == 0) return row.status;
    }
  }
  return 500;  // XX000, 42P01 and everything else
}

int retry_after_for_status(int status) {
  return status == 503 ? 1 : 0;  // 503 here means "busy or restarting": worth a quick retry
}

int seconds_to_wait(const std::string& hint) {
  size_t at = hint.find_first_of("0123456789");
  if (at == std::string::npos) return 60;
  size_t end = hint.find_first_not_of("0123456789", at);
  std::string digits = hint.substr(at, end == std::string::npos ? std::string::npos : end - at);
  return digits.size() > 6 ? 60 : std::max(1, std::stoi(digits));
}

const char* reason_phrase(int status) {
  switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 413: return "Content Too Large";  // RFC 9110 names
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 416: return "Range Not Satisfiable";
    case 422: return "Unprocessable Content";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
  }
  return "Error";
}

std::string problem_json(int status, const std::string& code, const std::string& message, const std::string& detail,
                         const std::string& hint, const std::string& error_id) {
  nlohmann::ordered_json body;
  body["type"] = "about:blank";
  body["title"] = reason_phrase(status);
  body["status"] = status;
  if (!code.empty()) body["code"] = code;
  if (!message.empty()) body["message"] = message;
  if (!detail.empty()) body["detail"] = detail;
  if (!hint.empty()) body["hint"] = hint;
  if (!error_id.empty()) body["error_id"] = error_id;
  // An error path must not throw: bytes that are not UTF-8 (a client's input
  // echoed by PostgreSQL) become U+FFFD instead of a type_error.
  return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace shim
