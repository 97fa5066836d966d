#include "route_errors.hpp"

#include <algorithm>

#include "error_catalogue.hpp"
#include "problem.hpp"

namespace shim {

namespace {

bool has_input(const Route& r, Input input) {
  return std::find(r.inputs.begin(), r.inputs.end(), input) != r.inputs.end();
}

// The shim's own codes and PostgreSQL's; boxoffice's come from the catalogue.
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
    {"poll_too_soon", "this token's user polled the waiting room sooner than the last answer's poll_after_seconds "
                      "said; the database was not asked. Wait Retry-After seconds"},
    {"database_busy", "no database connection was free in time; retry after Retry-After seconds"},
    {"database_unavailable", "the database does not answer, or the connection failed (after a write, look the result "
                             "up before repeating it)"},
    {"internal_error", "something went wrong and nothing was changed; quote error_id (also in the server log). With "
                       "503 the database is shutting down or out of resources"},
    {"timeout", "the statement ran past the statement timeout; nothing was changed"},
    {"42501", "insufficient_privilege: the token's user is not an admin (any more); every admin request asks the database"},
    {"payments_unavailable", "this server has no payment gateway (--gateway-url): card payments cannot be confirmed"},
    {"22xxx", "data exception: a field of the wrong type, a number out of range or an unreadable timestamp "
              "(e.g. \"seat_ids\": [\"abc\"])"},
    {"54xxx", "program limit exceeded: a body nested or sized past what PostgreSQL takes"},
};

}  // namespace

bool is_sqlstate_class(const std::string& code) { return code.size() == 5 && code.compare(2, 3, "xxx") == 0; }

std::map<int, std::set<std::string>> error_answers(const Route& r) {
  std::map<int, std::set<std::string>> out;
  auto add = [&](int status, const std::string& code) { out[status].insert(code); };
  const std::string method = r.method;
  const bool body = has_input(r, Input::body);
  const bool runs_sql = r.kind == Kind::sql || r.kind == Kind::login || r.kind == Kind::card_confirm;

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
  if (runs_sql && r.paces_polls) add(429, "poll_too_soon");
  if (body) {
    add(415, "unsupported_media_type");
    add(400, "malformed_json");
  }
  if (r.kind == Kind::readyz) add(503, "database_unavailable");
  if (!runs_sql) return out;
  if (r.kind == Kind::card_confirm) add(503, "payments_unavailable");  // no --gateway-url

  // The pool and the statement: no connection, a lost one, a timeout, our bug.
  add(503, "database_busy");
  add(503, "database_unavailable");
  add(503, "internal_error");  // 08xxx/53xxx/57P0x raised by the server
  add(504, "timeout");
  add(500, "internal_error");
  // PostgreSQL refuses what the statement casts: the path id (bigint), body
  // fields (::int, ::timestamptz, jsonb_array_elements) and the body as jsonb.
  if (body || has_input(r, Input::path_id) || has_input(r, Input::before)) add(400, "22xxx");
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
  for (const error_catalogue::Entry& e : error_catalogue::entries)
    if (code == e.sqlstate) return std::string(e.name) + ": " + e.meaning;
  return "";
}

}  // namespace shim
