#include "openapi.hpp"

#include <algorithm>
#include <cctype>
#include <regex>

#include "openapi_schemas.hpp"
#include "problem.hpp"
#include "route_errors.hpp"
#include "routes.hpp"

namespace shim {

namespace {
using json = nlohmann::json;

json schema_ref(const std::string& name) { return {{"$ref", "#/components/schemas/" + name}}; }
json header_ref(const std::string& name) { return {{"$ref", "#/components/headers/" + name}}; }

// "Booking" -> its $ref; "Booking[]" -> a list of them.
json answer_schema(const std::string& answer) {
  const std::string list = "[]";
  if (answer.size() > list.size() && answer.compare(answer.size() - list.size(), list.size(), list) == 0)
    return {{"type", "array"}, {"items", schema_ref(answer.substr(0, answer.size() - list.size()))}};
  return schema_ref(answer);
}

// "create_venue" -> "CreateVenueRequest", the component of its body.
std::string request_schema_name(const Route& r) {
  std::string name;
  bool upper = true;
  for (const char* c = r.operation_id; *c; ++c) {
    if (*c == '_') {
      upper = true;
      continue;
    }
    name += upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(*c))) : *c;
    upper = false;
  }
  return name + "Request";
}

json request_schema(const Route& r) {
  json schema = json::parse(r.body_schema);
  schema["type"] = "object";
  schema["description"] = "A JSON object; an empty body counts as {}.";
  return schema;
}

// The codes of one problem response: an enum, or a pattern once a class
// ("22xxx": any data exception) is among them.
json code_schema(const std::set<std::string>& codes) {
  bool has_class = std::any_of(codes.begin(), codes.end(), is_sqlstate_class);
  if (!has_class) return {{"type", "string"}, {"enum", json(codes)}};
  std::string alternatives;
  for (const std::string& code : codes)
    alternatives += (alternatives.empty() ? "" : "|") + (is_sqlstate_class(code) ? code.substr(0, 2) + "[0-9A-Z]{3}" : code);
  return {{"type", "string"}, {"pattern", "^(" + alternatives + ")$"}};
}

json problem_response(int status, const std::set<std::string>& codes) {
  std::string description = std::string(reason_phrase(status)) + ":\n";
  for (const std::string& code : codes) description += "\n- `" + code + "` " + describe_error_code(code);
  json headers = {{"X-Request-Id", header_ref("X-Request-Id")}};
  if (status == 401) headers["WWW-Authenticate"] = header_ref("WWW-Authenticate");
  if (status == 429 || status == 503) headers["Retry-After"] = header_ref("Retry-After");
  // The Problem, narrowed to this status and to the codes answered with it.
  json narrowed = {{"type", {{"type", "string"}, {"enum", json::array({"about:blank"})}}},
                   {"title", {{"type", "string"}, {"enum", json::array({reason_phrase(status)})}}},
                   {"status", {{"type", "integer"}, {"enum", json::array({status})}}},
                   {"code", code_schema(codes)}};
  json schema = {{"allOf", json::array({schema_ref("Problem")})}, {"type", "object"}, {"properties", narrowed}};
  return {{"description", description},
          {"headers", headers},
          {"content", {{"application/problem+json", {{"schema", schema}}}}}};
}

json operation(const Route& r) {
  json op = {{"operationId", r.operation_id}, {"summary", r.summary}, {"tags", {r.tag}}};
  json params = json::array();
  static const std::regex name(R"(\{([a-z_]+)\})");
  std::string path = r.path;
  for (std::sregex_iterator it(path.begin(), path.end(), name), end; it != end; ++it)
    params.push_back({{"name", (*it)[1].str()}, {"in", "path"}, {"required", true},
                      {"schema", {{"type", "integer"}, {"format", "int64"}}}});
  for (Input in : r.inputs) {
    if (in == Input::hold_token)
      params.push_back({{"name", "X-Hold-Token"}, {"in", "header"}, {"required", false},
                        {"description", "the hold_token of a guest's hold (instead of a user token)"},
                        {"schema", {{"type", "string"}}}});
    if (in == Input::queue_token)
      params.push_back({{"name", "X-Queue-Token"}, {"in", "header"}, {"required", true},
                        {"description", "the token of your waiting room entry, from POST /v1/performances/{performance_id}/queue "
                                        "(without it, or with another user's, the answer is 404 TK024)"},
                        {"schema", {{"type", "string"}}}});
    if (in == Input::idempotency_key)
      params.push_back({{"name", "Idempotency-Key"}, {"in", "header"}, {"required", true},
                        {"description", "a fresh random key (a UUID) per call, the same one for its retries: a retry gets the first "
                                        "answer; the same key with other arguments 422 TK032, while the first still runs 409 TK033, "
                                        "none 400 TK031. Keys are yours alone and kept 24 hours."},
                        {"schema", {{"type", "string"}, {"pattern", "^[!-~]{1,255}$"}}}});
    if (in == Input::optional_idempotency_key)
      params.push_back({{"name", "Idempotency-Key"}, {"in", "header"}, {"required", false},
                        {"description", "optional: a fresh random key (a UUID) per call, the same one for its retries: a retry "
                                        "gets the first answer (a guest's hold with its hold_token); the same key with other "
                                        "arguments 422 TK032, while the first still runs 409 TK033. Keys are scoped to you; a guest's "
                                        "to its address, shared behind a NAT, so a guest's key has at least 16 characters. "
                                        "Kept 24 hours (a guest hold's token only until the hold expires)."},
                        {"schema", {{"type", "string"}, {"pattern", "^[!-~]{1,255}$"}}}});
    if (in == Input::before)
      params.push_back({{"name", "before"}, {"in", "query"}, {"required", false},
                        {"description", "the next page: only what comes before this id (the last one of the page you have)"},
                        {"schema", {{"type", "integer"}, {"format", "int64"}}}});
  }
  if (r.cached != Cached::no)
    params.push_back({{"name", "If-None-Match"}, {"in", "header"}, {"required", false},
                      {"description", "the ETag of the copy you have: 304 while it is current"},
                      {"schema", {{"type", "string"}}}});
  params.push_back({{"$ref", "#/components/parameters/X-Request-Id"}});
  op["parameters"] = params;
  if (r.body_schema) {
    bool required = json::parse(r.body_schema).contains("required");
    op["requestBody"] = {{"required", required},
                         {"content", {{"application/json", {{"schema", schema_ref(request_schema_name(r))},
                                                            {"example", json::parse(r.body_example)}}}}}};
  }
  switch (r.access) {
    case Access::anyone: op["security"] = json::array({json::object()}); break;
    case Access::optional_user: op["security"] = json::array({json::object(), {{"bearer", json::array()}}}); break;
    case Access::user:
    case Access::admin: op["security"] = json::array({{{"bearer", json::array()}}}); break;
  }
  const char* media = r.kind == Kind::metrics ? "text/plain" : "application/json";
  json success_headers = {{"X-Request-Id", header_ref("X-Request-Id")}};
  // server.cpp: a queue ticket's poll_after_seconds, when not null, is also Retry-After.
  if (std::string(r.answer) == "QueueTicket") success_headers["Retry-After"] = header_ref("Retry-After");
  json responses = {{std::to_string(r.success_status),
                     {{"description", reason_phrase(r.success_status)},
                      {"headers", success_headers},
                      {"content", {{media, {{"schema", answer_schema(r.answer)}}}}}}}};
  if (r.kind == Kind::card_confirm)  // server.cpp confirm_card: the gateway did not answer in time
    responses["202"] = {{"description", "Accepted: the gateway has not answered yet; the payment stays pending until "
                                        "the reconciliation settles it (look it up: GET /v1/reservations/{id}/payments)"},
                        {"headers", success_headers},
                        {"content", {{media, {{"schema", answer_schema(r.answer)}}}}}};
  if (r.cached != Cached::no) {
    // server.cpp serve_seat_map: the cache's copy, at most --seat-map-max-age-ms old
    json cache_headers = {{"X-Request-Id", header_ref("X-Request-Id")}, {"ETag", header_ref("ETag")},
                          {"Cache-Control", header_ref("Cache-Control")}};
    responses[std::to_string(r.success_status)]["headers"] = cache_headers;
    responses["304"] = {{"description", "Not Modified: the If-None-Match ETag is current"}, {"headers", cache_headers}};
  }
  for (const auto& [status, codes] : error_answers(r)) responses[std::to_string(status)] = problem_response(status, codes);
  op["responses"] = responses;
  return op;
}

json components() {
  json schemas = openapi_schemas();
  for (const Route& r : routes())
    if (r.body_schema) schemas[request_schema_name(r)] = request_schema(r);
  return {
      {"securitySchemes", {{"bearer", {{"type", "http"}, {"scheme", "bearer"}, {"bearerFormat", "JWT"}}}}},
      {"parameters",
       {{"X-Request-Id",
         {{"name", "X-Request-Id"},
          {"in", "header"},
          {"required", false},
          {"description", "an id for this request in the server log, echoed back; 1-128 of A-Z a-z 0-9 . _ : -, "
                          "else the server makes one"},
          {"schema", {{"type", "string"}, {"pattern", "^[A-Za-z0-9._:-]{1,128}$"}}}}}}},
      {"headers",
       {{"X-Request-Id",
         {{"description", "the request's id in the server log: the client's X-Request-Id, or a new one"},
          {"required", true},
          {"schema", {{"type", "string"}, {"pattern", "^[A-Za-z0-9._:-]{1,128}$"}}}}},
        {"Retry-After",
         {{"description", "seconds to wait before trying again"},
          {"schema", {{"type", "integer"}, {"minimum", 1}}}}},
        {"ETag",
         {{"description", "the answer's version: send it back as If-None-Match"},
          {"required", true},
          {"schema", {{"type", "string"}}}}},
        {"Cache-Control",
         {{"description", "no-cache: keep the answer, and revalidate it with If-None-Match"},
          {"schema", {{"type", "string"}}}}},
        {"WWW-Authenticate",
         {{"description", "Bearer, with error=\"invalid_token\" for a token that was refused"},
          {"schema", {{"type", "string"}}}}}}},
      {"schemas", schemas},
  };
}
}  // namespace

json openapi_json() {
  json paths = json::object();
  for (const Route& r : routes()) {
    std::string method = r.method;
    for (char& c : method) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    paths[r.path][method] = operation(r);
  }
  return {
      {"openapi", "3.0.3"},
      {"info",
       {{"title", "boxoffice"},
        {"version", "0.1.0"},
        {"description", "Concert ticketing over PostgreSQL: all-or-nothing seat holds, confirmation, cancellation. "
                        "Errors are application/problem+json with the SQLSTATE as code. A token, when sent, must be "
                        "valid on every route."}}},
      {"servers", {{{"url", "http://127.0.0.1:8080"}, {"description", "make run"}}}},
      {"tags",
       {{{"name", "operations"}, {"description", "Health, readiness, metrics and this document."}},
        {{"name", "accounts"}, {"description", "Buyer accounts and access tokens."}},
        {{"name", "browse"}, {"description", "What is on sale: concerts, performances, seat maps."}},
        {{"name", "reservations"}, {"description", "Holds, confirmation, release, cancellation and look-ups."}},
        {{"name", "queue"}, {"description", "The waiting room of a performance that sells through one."}},
        {{"name", "payments"}, {"description", "Points: the wallet, its ledger, charges; paying a hold. Calls that move money take an Idempotency-Key."}},
        {{"name", "admin"}, {"description", "The catalog and operations; admin tokens only."}}}},
      {"paths", paths},
      {"components", components()},
  };
}

std::string openapi_document() { return openapi_json().dump(); }

}  // namespace shim
