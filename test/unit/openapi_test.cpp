// /openapi.json: generated from the route table, so these tests hold the
// table to what the routes' SQL and the server really do.
#include "openapi.hpp"

#include <regex>
#include <set>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "openapi_check.hpp"
#include "problem.hpp"
#include "route_errors.hpp"
#include "routes.hpp"

namespace {

using json = nlohmann::json;

const json& document() {
  static const json doc = shim::openapi_json();
  return doc;
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

const json& operation(const shim::Route& r) { return document()["paths"][r.path][lower(r.method)]; }

// The codes of the operation's problem response with `status` (none when it has
// no such response): its enum, or the alternatives of its pattern ("22[0-9A-Z]{3}").
std::set<std::string> codes(const json& op, int status) {
  std::set<std::string> out;
  json::json_pointer at("/responses/" + std::to_string(status) +
                        "/content/application~1problem+json/schema/properties/code");
  if (!op.contains(at)) return out;
  const json& code = op.at(at);
  if (code.contains("enum"))
    for (const json& c : code["enum"]) out.insert(c.get<std::string>());
  if (code.contains("pattern")) {
    std::string pattern = code["pattern"].get<std::string>();  // ^(a|b|...)$
    std::istringstream alternatives(pattern.substr(2, pattern.size() - 4));
    for (std::string a; std::getline(alternatives, a, '|');) out.insert(a);
  }
  return out;
}

const shim::Route& route(const std::string& operation_id) {
  for (const shim::Route& r : shim::routes())
    if (r.operation_id == operation_id) return r;
  throw std::runtime_error("no route " + operation_id);
}

void collect_refs(const json& node, std::set<std::string>* refs) {
  if (node.is_object()) {
    for (auto& [key, value] : node.items()) {
      if (key == "$ref" && value.is_string()) refs->insert(value.get<std::string>());
      else collect_refs(value, refs);
    }
  } else if (node.is_array()) {
    for (const json& item : node) collect_refs(item, refs);
  }
}

TEST(Openapi, IsOpenapi303AndPrintsAsItIsServed) {
  EXPECT_EQ(document().value("openapi", ""), "3.0.3");
  EXPECT_EQ(json::parse(shim::openapi_document()), document());
}

TEST(Openapi, EveryRefResolves) {
  std::set<std::string> refs;
  collect_refs(document(), &refs);
  EXPECT_GT(refs.size(), 20u);
  for (const std::string& ref : refs) {
    ASSERT_EQ(ref.rfind("#/", 0), 0u) << ref;
    EXPECT_TRUE(document().contains(json::json_pointer(ref.substr(1)))) << ref;
  }
}

TEST(Openapi, EveryRouteHasItsSuccessAnswerAndHeaders) {
  for (const shim::Route& r : shim::routes()) {
    const json& op = operation(r);
    ASSERT_TRUE(op.is_object()) << r.method << " " << r.path;
    EXPECT_EQ(op.value("operationId", ""), r.operation_id);
    const json& responses = op["responses"];
    const json& success = responses[std::to_string(r.success_status)];
    ASSERT_TRUE(success.is_object()) << r.operation_id;
    std::string media = r.kind == shim::Kind::metrics ? "text~1plain" : "application~1json";
    json::json_pointer schema("/content/" + media + "/schema");
    ASSERT_TRUE(success.contains(schema)) << r.operation_id;
    EXPECT_NE(success.at(schema).dump(), "{}") << r.operation_id;
    EXPECT_EQ(responses.contains("304"), r.cached != shim::Cached::no) << r.operation_id;
    for (auto& [status, response] : responses.items()) {
      // 304 Not Modified (a cached route's current copy) has no body
      ASSERT_TRUE(response.contains("headers") && (response.contains("content") || status == "304"))
          << r.operation_id << " " << status;
      if (status == "304") {
        EXPECT_TRUE(r.cached != shim::Cached::no) << r.operation_id;
      }
      EXPECT_TRUE(response["headers"].contains("X-Request-Id")) << r.operation_id << " " << status;
      if (status == "401") {
        EXPECT_TRUE(response["headers"].contains("WWW-Authenticate")) << r.operation_id;
      }
      if (status == "429" || status == "503") {
        EXPECT_TRUE(response["headers"].contains("Retry-After")) << r.operation_id;
      }
      if (status[0] >= '4') {
        ASSERT_TRUE(response["content"].contains("application/problem+json")) << r.operation_id << " " << status;
        const json& code = response["content"]["application/problem+json"]["schema"]["properties"]["code"];
        EXPECT_TRUE(code.contains("enum") || code.contains("pattern")) << r.operation_id << " " << status << " names no code";
      }
    }
  }
}

// The statuses the server gives every route of a kind, whatever its SQL.
TEST(Openapi, TheShimsOwnAnswers) {
  for (const shim::Route& r : shim::routes()) {
    const json& op = operation(r);
    EXPECT_TRUE(codes(op, 401).count("invalid_token")) << r.operation_id << ": a sent token must be valid everywhere";
    for (int unreadable : {400, 414, 416})  // httplib, before any route runs
      EXPECT_TRUE(codes(op, unreadable).count("bad_request")) << r.operation_id << " " << unreadable;
    bool needs_token = r.access == shim::Access::user || r.access == shim::Access::admin;
    EXPECT_EQ(codes(op, 401).count("authentication_required"), needs_token ? 1u : 0u) << r.operation_id;
    EXPECT_EQ(codes(op, 403).count("admin_required"), r.access == shim::Access::admin ? 1u : 0u) << r.operation_id;
    bool runs_sql = r.kind == shim::Kind::sql || r.kind == shim::Kind::login || r.kind == shim::Kind::card_confirm;
    EXPECT_EQ(op["responses"].contains("500"), runs_sql) << r.operation_id;
    EXPECT_EQ(op["responses"].contains("504"), runs_sql) << r.operation_id;
    EXPECT_EQ(op["responses"].contains("503"), runs_sql || r.kind == shim::Kind::readyz) << r.operation_id;
    EXPECT_EQ(codes(op, 429).count("too_many_attempts"), r.checks_secret ? 1u : 0u) << r.operation_id;
    EXPECT_EQ(codes(op, 429).count("poll_too_soon"), r.paces_polls ? 1u : 0u) << r.operation_id;
    bool has_body = r.body_schema != nullptr;
    EXPECT_EQ(op.contains("requestBody"), has_body) << r.operation_id;
    EXPECT_EQ(codes(op, 415), has_body ? std::set<std::string>{"unsupported_media_type"} : std::set<std::string>{})
        << r.operation_id;
    EXPECT_EQ(codes(op, 400).count("malformed_json"), has_body ? 1u : 0u) << r.operation_id;
    bool reads_body = std::string(r.method) == "POST" || std::string(r.method) == "DELETE";
    EXPECT_EQ(op["responses"].contains("413"), reads_body) << r.operation_id;
  }
}

// What each route's function refuses with, under the status problem.cpp gives it.
TEST(Openapi, TheDatabasesRefusals) {
  EXPECT_EQ(codes(operation(route("login")), 401), (std::set<std::string>{"TK015", "invalid_token"}));
  const json& confirm = operation(route("confirm"));
  EXPECT_EQ(codes(confirm, 404), (std::set<std::string>{"TK001", "TK009"}));
  EXPECT_EQ(codes(confirm, 409), (std::set<std::string>{"TK002", "TK008", "TK011"}));
  EXPECT_EQ(codes(confirm, 410), (std::set<std::string>{"TK010"}));
  EXPECT_EQ(codes(confirm, 422), (std::set<std::string>{"TK013", "TK014", "TK017", "TK021"}));
  EXPECT_EQ(codes(operation(route("hold")), 409), (std::set<std::string>{"TK002", "TK003", "TK008", "TK033"}));
  EXPECT_EQ(codes(operation(route("hold")), 422).count("TK032"), 1u);
  EXPECT_EQ(codes(operation(route("cancel")), 400), (std::set<std::string>{"22[0-9A-Z]{3}", "TK031", "bad_request"}));
  EXPECT_EQ(codes(operation(route("guest_lookup")), 429), (std::set<std::string>{"TK022", "too_many_attempts"}));
  EXPECT_EQ(codes(operation(route("queue_status")), 429), (std::set<std::string>{"poll_too_soon"}));
  EXPECT_EQ(codes(operation(route("queue_status")), 404), (std::set<std::string>{"TK024"}));
  EXPECT_EQ(codes(operation(route("hold")), 403), (std::set<std::string>{"TK025"}));
  EXPECT_EQ(codes(operation(route("enter_queue")), 409), (std::set<std::string>{"TK002", "TK026", "TK028"}));
  EXPECT_EQ(codes(operation(route("check_invariants")), 403), (std::set<std::string>{"42501", "admin_required"}));
  EXPECT_FALSE(operation(route("get_reservation"))["responses"].contains("410"));
  const json& pay = operation(route("pay_with_points"));
  EXPECT_EQ(codes(pay, 402), (std::set<std::string>{"TK029"}));
  EXPECT_TRUE(codes(pay, 400).count("TK031"));
  EXPECT_EQ(codes(pay, 409), (std::set<std::string>{"TK002", "TK008", "TK011", "TK033", "TK035"}));
  for (const shim::Route& r : shim::routes())
    for (const char* code : r.refusals) {
      EXPECT_FALSE(shim::describe_error_code(code).empty()) << r.operation_id << " " << code << " has no meaning";
      // 4xx: the caller can act on it (400 for a request missing what the route needs, as TK031)
      int status = shim::http_status_for_sqlstate(code);
      EXPECT_TRUE(status >= 400 && status < 500) << r.operation_id << " " << code << " maps to " << status;
      EXPECT_TRUE(codes(operation(r), status).count(code)) << r.operation_id << " " << code;
    }
}

// Every field the statement reads from the body is documented, and no other.
TEST(Openapi, RequestBodiesAreTheFieldsTheSqlReads) {
  static const std::regex field(R"((?:->>?|\? )'([a-z_]+)')");
  for (const shim::Route& r : shim::routes()) {
    if (r.body_schema == nullptr) continue;
    std::set<std::string> read, documented;
    std::string sql = r.sql;
    for (std::sregex_iterator it(sql.begin(), sql.end(), field), end; it != end; ++it) read.insert((*it)[1].str());
    json schema = json::parse(r.body_schema);
    for (auto& [name, _] : schema["properties"].items()) documented.insert(name);
    EXPECT_EQ(read, documented) << r.operation_id;
    for (const json& name : schema.value("required", json::array()))
      EXPECT_TRUE(documented.count(name.get<std::string>())) << r.operation_id << " requires " << name;
  }
}

TEST(Openapi, ExamplesFitTheirRequestSchemas) {
  for (const shim::Route& r : shim::routes()) {
    if (r.body_schema == nullptr) continue;
    ASSERT_NE(r.body_example, nullptr) << r.operation_id;
    const json& media = operation(r)["requestBody"]["content"]["application/json"];
    std::string pointer = "#/paths/" + std::regex_replace(std::string(r.path), std::regex("/"), "~1") + "/" +
                          lower(r.method) + "/requestBody/content/application~1json/schema";
    auto m = openapi_check::validate(document(), media["example"], pointer);
    EXPECT_FALSE(m.has_value()) << r.operation_id << ": " << (m ? m->text() : "");
  }
}

TEST(Openapi, ProblemCodesWithAClassArePatterns) {
  const json& hold = operation(route("hold"));
  const json& code = hold["responses"]["400"]["content"]["application/problem+json"]["schema"]["properties"]["code"];
  ASSERT_TRUE(code.contains("pattern"));
  std::regex pattern(code["pattern"].get<std::string>());
  EXPECT_TRUE(std::regex_match("22P02", pattern));
  EXPECT_TRUE(std::regex_match("malformed_json", pattern));
  EXPECT_FALSE(std::regex_match("TK003", pattern));
  EXPECT_FALSE(std::regex_match("22P02x", pattern));
}

}  // namespace
