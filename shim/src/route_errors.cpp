#include "route_errors.hpp"

#include <algorithm>

#include "problem.hpp"

namespace shim {

namespace {

bool has_input(const Route& r, Input input) {
  return std::find(r.inputs.begin(), r.inputs.end(), input) != r.inputs.end();
}

// The shim's own codes, then boxoffice's (extension/sql/errors.sql, by name).
const struct {
  const char* code;
  const char* meaning;
} kMeanings[] = {
    {"invalid_token", "a token was sent but is malformed, expired, not yet valid, for another issuer or audience, or "
                      "not signed by this server: a token, when sent, must be valid on every route"},
    {"authentication_required", "this route needs a bearer token"},
    {"admin_required", "the token's role is not admin"},
    {"malformed_json", "the body is not one JSON object"},
    {"bad_request", "the request could not be read: a malformed header, a body without a usable Content-Length or "
                    "one that does not decode as its Content-Encoding says (400), a request line past 8192 bytes "
                    "(414), a Range header that cannot be parsed (416)"},
    {"body_too_large", "the body is larger than the server takes (--max-body-bytes)"},
    {"unsupported_media_type", "the body is not sent as application/json"},
    {"too_many_attempts", "this client address has used its attempts per minute at this route; wait Retry-After seconds"},
    {"database_busy", "no database connection was free in time; retry after Retry-After seconds"},
    {"database_unavailable", "the database does not answer, or the connection failed (after a write, look the result "
                             "up before repeating it)"},
    {"internal_error", "something went wrong and nothing was changed; quote error_id (also in the server log). With "
                       "503 the database is shutting down or out of resources"},
    {"timeout", "the statement ran past the statement timeout; nothing was changed"},
    {"42501", "insufficient_privilege: the token's user is not an admin (any more); every admin request asks the database"},
    {"22xxx", "data exception: a field of the wrong type, a number out of range or an unreadable timestamp "
              "(e.g. \"seat_ids\": [\"abc\"])"},
    {"54xxx", "program limit exceeded: a body nested or sized past what PostgreSQL takes"},
    {"TK001", "performance_not_found: no such performance, or it is not visible to buyers"},
    {"TK002", "performance_not_on_sale: the performance is not selling now (not open yet, closed, cancelled)"},
    {"TK003", "seats_unavailable: some requested seats are held, sold or being taken right now; nothing was held"},
    {"TK004", "seats_not_in_performance: some seat ids do not exist or belong to another performance"},
    {"TK005", "no_seats_requested: the seat list is missing or empty"},
    {"TK006", "duplicate_seats: the seat list names a seat more than once"},
    {"TK007", "too_many_seats: more seats than one hold may take"},
    {"TK008", "customer_limit_reached: the customer would pass the seats allowed per customer for the performance"},
    {"TK009", "reservation_not_found: no such reservation, or it is not yours"},
    {"TK010", "hold_expired: the seat hold expired before confirmation"},
    {"TK011", "invalid_state: the object is not in a state that allows this action"},
    {"TK012", "no_matching_reservation: nothing matches that phone number and PIN"},
    {"TK013", "invalid_phone: the phone number is not 10-11 digits starting with 01"},
    {"TK014", "invalid_pin: the PIN is not exactly 4 digits"},
    {"TK015", "invalid_credentials: the email or the password is wrong"},
    {"TK016", "email_taken: an account with this email exists"},
    {"TK017", "invalid_argument: an argument is missing or out of range"},
    {"TK018", "venue_not_found: no such venue"},
    {"TK019", "concert_not_found: no such concert"},
    {"TK020", "user_not_found: no such user"},
    {"TK021", "buyer_details_required: a guest must give buyer_name, buyer_phone and guest_pin to confirm"},
    {"TK022", "the phone number is locked after 5 wrong PINs; wait Retry-After seconds"},
};

}  // namespace

bool is_sqlstate_class(const std::string& code) { return code.size() == 5 && code.compare(2, 3, "xxx") == 0; }

std::map<int, std::set<std::string>> error_answers(const Route& r) {
  std::map<int, std::set<std::string>> out;
  auto add = [&](int status, const std::string& code) { out[status].insert(code); };
  const std::string method = r.method;
  const bool body = has_input(r, Input::body);
  const bool runs_sql = r.kind == Kind::sql || r.kind == Kind::login;

  // server.cpp, before the route runs: the token, then the access rule.
  add(401, "invalid_token");
  if (r.access == Access::user || r.access == Access::admin) add(401, "authentication_required");
  if (r.access == Access::admin) {
    add(403, "admin_required");
    add(403, "42501");  // pool.cpp's admin context calls boxoffice.require_admin
  }
  // httplib 0.11.4 refuses a request it cannot read before any handler runs:
  // a malformed header (400), a request line past 8192 bytes (414), a Range
  // header it cannot parse (416); server.cpp's error handler answers.
  add(400, "bad_request");
  add(414, "bad_request");
  add(416, "bad_request");
  // It also reads (and decodes, gzip or br) the body of a POST or DELETE
  // before any handler runs, whether or not the route uses it; server.cpp's
  // error handler answers what it cannot read.
  if (method == "POST" || method == "DELETE") add(413, "body_too_large");
  if (runs_sql && r.checks_secret) add(429, "too_many_attempts");
  if (body) {
    add(415, "unsupported_media_type");
    add(400, "malformed_json");
  }
  if (r.kind == Kind::readyz) add(503, "database_unavailable");
  if (!runs_sql) return out;

  // The pool and the statement: no connection, a lost one, a timeout, our bug.
  add(503, "database_busy");
  add(503, "database_unavailable");
  add(503, "internal_error");  // 08xxx/53xxx/57P0x raised by the server
  add(504, "timeout");
  add(500, "internal_error");
  // PostgreSQL refuses what the statement casts: the path id (bigint), body
  // fields (::int, ::timestamptz, jsonb_array_elements) and the body as jsonb.
  if (body || has_input(r, Input::path_id)) add(400, "22xxx");
  if (body) add(400, "54xxx");
  for (const char* code : r.refusals) {
    int status = http_status_for_sqlstate(code);
    // server.cpp hides the SQLSTATE of a 5xx behind its own code
    add(status, status >= 500 ? (status == 504 ? "timeout" : "internal_error") : code);
  }
  return out;
}

std::string describe_error_code(const std::string& code) {
  for (const auto& m : kMeanings)
    if (code == m.code) return m.meaning;
  return "";
}

}  // namespace shim
