#include "openapi.hpp"

#include <regex>

#include <nlohmann/json.hpp>

#include "routes.hpp"

namespace shim {

namespace {
using json = nlohmann::json;

json problem_response(const char* description) {
  return {{"description", description},
          {"content", {{"application/problem+json", {{"schema", {{"$ref", "#/components/schemas/Problem"}}}}}}}};
}

json operation(const Route& r) {
  json op = {{"operationId", r.operation_id}, {"summary", r.summary}, {"tags", {r.tag}}};
  json params = json::array();
  static const std::regex name(R"(\{([a-z_]+)\})");
  std::string path = r.path;
  for (std::sregex_iterator it(path.begin(), path.end(), name), end; it != end; ++it)
    params.push_back({{"name", (*it)[1].str()}, {"in", "path"}, {"required", true},
                      {"schema", {{"type", "integer"}, {"format", "int64"}}}});
  for (Input in : r.inputs)
    if (in == Input::hold_token)
      params.push_back({{"name", "X-Hold-Token"}, {"in", "header"}, {"required", false},
                        {"description", "the hold_token of a guest's hold (instead of a user token)"},
                        {"schema", {{"type", "string"}}}});
  if (!params.empty()) op["parameters"] = params;
  if (r.body_example)
    op["requestBody"] = {{"required", true},
                         {"content", {{"application/json", {{"schema", {{"type", "object"}}},
                                                            {"example", json::parse(r.body_example)}}}}}};
  switch (r.access) {
    case Access::anyone: op["security"] = json::array({json::object()}); break;
    case Access::optional_user: op["security"] = json::array({json::object(), {{"bearer", json::array()}}}); break;
    case Access::user:
    case Access::admin: op["security"] = json::array({{{"bearer", json::array()}}}); break;
  }
  const char* media = r.kind == Kind::metrics ? "text/plain" : "application/json";
  json responses = {{std::to_string(r.success_status),
                     {{"description", "success"}, {"content", {{media, {{"schema", json::object()}}}}}}}};
  if (r.kind == Kind::sql || r.kind == Kind::login) {
    responses["400"] = problem_response("malformed request (JSON, numbers, dates)");
    responses["404"] = problem_response("not found (also: not yours)");
    responses["409"] = problem_response("conflict with the current state (seats taken, limits, state)");
    responses["422"] = problem_response("invalid input");
    responses["503"] = problem_response("database unavailable or busy; retry after the Retry-After seconds");
  }
  if (r.access == Access::user || r.access == Access::admin || r.access == Access::optional_user)
    responses["401"] = problem_response("missing, expired or invalid token");
  if (r.access == Access::admin) responses["403"] = problem_response("the token's role is not admin");
  if (r.kind == Kind::readyz) responses["503"] = problem_response("the database does not answer");
  if (r.checks_secret) responses["429"] = problem_response("too many attempts from this address; see Retry-After");
  op["responses"] = responses;
  return op;
}
}  // namespace

std::string openapi_document() {
  json paths = json::object();
  for (const Route& r : routes()) {
    std::string method = r.method;
    for (char& c : method) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    paths[r.path][method] = operation(r);
  }
  json doc = {
      {"openapi", "3.0.3"},
      {"info",
       {{"title", "boxoffice"},
        {"version", "0.1.0"},
        {"description", "Concert ticketing over PostgreSQL: all-or-nothing seat holds, confirmation, cancellation. "
                        "Errors are application/problem+json with the SQLSTATE as code."}}},
      {"paths", paths},
      {"components",
       {{"securitySchemes", {{"bearer", {{"type", "http"}, {"scheme", "bearer"}, {"bearerFormat", "JWT"}}}}},
        {"schemas",
         {{"Problem",
           {{"type", "object"},
            {"properties",
             {{"type", {{"type", "string"}}},
              {"title", {{"type", "string"}}},
              {"status", {{"type", "integer"}}},
              {"code", {{"type", "string"}, {"description", "SQLSTATE (TK001...) or a shim code"}}},
              {"message", {{"type", "string"}}},
              {"detail", {{"type", "string"}}},
              {"hint", {{"type", "string"}}},
              {"error_id", {{"type", "string"}, {"description", "for 500s: also in the server log"}}}}}}}}}}},
  };
  return doc.dump();
}

}  // namespace shim
