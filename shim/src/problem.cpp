#include "problem.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "error_catalogue.hpp"  // generated from extension/sql/errors.sql

namespace shim {

int http_status_for_sqlstate(const std::string& sqlstate) {
  // boxoffice's own codes: the catalogue's statuses (extension/sql/errors.sql).
  for (const error_catalogue::Entry& e : error_catalogue::entries)
    if (sqlstate == e.sqlstate) return e.http_status;
  // PostgreSQL's codes, by what they mean for the caller (the README's table
  // says why each differs from PostgREST's). First match wins: five
  // characters match one code, two match a class.
  static const struct {
    const char* sqlstate;
    int status;
  } table[] = {
      {"TK", 400},     // a TK code newer than this build: the client's request, not our failure
      {"23505", 409},  // unique_violation
      {"23503", 409},  // foreign_key_violation
      {"23514", 409},  // check_violation
      {"22", 400},     // data exception: bad number, bad value, ...
      {"42501", 403},  // insufficient_privilege: the token is valid, the act is not allowed
      {"54", 400},     // program limit exceeded: a body nested or sized past what PostgreSQL takes
      {"42883", 500},  // undefined_function: our bug, not the client's
      {"08", 503},     // connection exception
      {"53", 503},     // insufficient resources
      {"57P01", 503},  // admin_shutdown
      {"57P02", 503},  // crash_shutdown
      {"57P03", 503},  // cannot_connect_now
      {"57014", 504},  // query_canceled: statement_timeout
      {"40001", 409},  // serialization_failure: a retry may succeed
      {"40P01", 409},  // deadlock_detected: a retry may succeed
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
