// The checker of the HTTP tests (test/http/openapi_check.hpp), against the
// document the shim serves: it must accept what the API answers and refuse
// what it must not answer, or the HTTP tests would prove nothing.
#include "openapi_check.hpp"

#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "openapi.hpp"

namespace {

using json = nlohmann::json;
using openapi_check::Contract;
using openapi_check::Response;

const json& document() {
  static const json doc = shim::openapi_json();
  return doc;
}

json booking() {
  return json::parse(R"({
    "reservation_id": 7, "reservation_number": null, "status": "hold", "performance_id": 1,
    "concert_title": "IU Concert 2026", "venue_name": "KSPO DOME", "starts_at": "2026-12-21T19:00:00+09:00",
    "seats": [{"seat_id": 5, "section": "A", "row": 1, "number": 5, "tier": "SPECIAL", "price": 250000}],
    "total_amount": 250000, "expires_at": "2026-11-21T21:51:42.272592+09:00",
    "hold_token": "529185eaba0fc7e4a4fb3c19281e3835", "buyer_name": null,
    "created_at": "2026-11-21T21:46:42.272592+09:00", "confirmed_at": null, "ended_at": null})");
}

std::string problem(int status, const std::string& title, const std::string& code) {
  return json{{"type", "about:blank"}, {"title", title}, {"status", status}, {"code", code}, {"message", "m"}}.dump();
}

Response answer(const std::string& method, const std::string& path, int status, const std::string& body,
                const std::string& content_type = "application/json") {
  return {method, path, status, content_type, body, {"x-request-id", "content-type"}};
}

// The mismatch, or "" when the value conforms.
std::string mismatch(const json& value, const std::string& schema) {
  auto m = openapi_check::validate(document(), value, schema);
  return m ? m->text() : "";
}

TEST(OpenapiCheck, AcceptsABookingAsPostgresWritesIt) {
  EXPECT_EQ(mismatch(booking(), "#/components/schemas/Booking"), "");
  json confirmed = booking();  // a sold reservation has a number, a buyer and no expiry
  confirmed["status"] = "confirmed";
  confirmed["reservation_number"] = "BX-02F3-EYDH";
  confirmed["buyer_name"] = "Kim Minji";
  confirmed["confirmed_at"] = "2026-11-21T12:47:00+00:00";
  confirmed["expires_at"] = nullptr;
  confirmed["hold_token"] = nullptr;
  EXPECT_EQ(mismatch(confirmed, "#/components/schemas/Booking"), "");
  EXPECT_EQ(mismatch(json::array({booking(), confirmed}), "#/paths/~1v1~1reservations/get/responses/200/content/application~1json/schema"), "");
}

TEST(OpenapiCheck, RejectsAWrongType) {
  json b = booking();
  b["total_amount"] = "250000";
  EXPECT_NE(mismatch(b, "#/components/schemas/Booking").find("at /total_amount: expected integer, got string"),
            std::string::npos);
  b = booking();
  b["seats"][0]["price"] = 2.5;
  std::string why = mismatch(b, "#/components/schemas/Booking");
  EXPECT_NE(why.find("at /seats/0/price"), std::string::npos) << why;
  EXPECT_NE(why.find("#/components/schemas/BookedSeat/properties/price/type"), std::string::npos) << why;
  EXPECT_EQ(mismatch(json(2000.0), "#/components/schemas/Booking/properties/total_amount"), "");  // integral
}

TEST(OpenapiCheck, RejectsAMissingRequiredField) {
  json b = booking();
  b.erase("status");
  EXPECT_NE(mismatch(b, "#/components/schemas/Booking").find("the required property status is missing"),
            std::string::npos);
}

TEST(OpenapiCheck, RejectsWhatTheSchemaDoesNotAllow) {
  json b = booking();
  b["guest_key"] = "x";
  EXPECT_NE(mismatch(b, "#/components/schemas/Booking").find("the property guest_key is not documented"),
            std::string::npos);
  b = booking();
  b["status"] = "pending";
  EXPECT_NE(mismatch(b, "#/components/schemas/Booking").find("is not one of"), std::string::npos);
  b = booking();
  b["created_at"] = nullptr;
  EXPECT_NE(mismatch(b, "#/components/schemas/Booking").find("not nullable"), std::string::npos);
  b = booking();
  b["starts_at"] = "2026-12-21 19:00:00";
  EXPECT_NE(mismatch(b, "#/components/schemas/Booking").find("RFC 3339"), std::string::npos);
  b = booking();
  b["seats"] = json::array();
  EXPECT_NE(mismatch(b, "#/components/schemas/Booking").find("fewer than 1 items"), std::string::npos);
  b = booking();
  b["hold_token"] = "not hex";
  EXPECT_NE(mismatch(b, "#/components/schemas/Booking").find("does not match"), std::string::npos);
  EXPECT_NE(mismatch(json::object(), "#/components/schemas/Nothing").find("does not exist"), std::string::npos);
}

TEST(OpenapiCheck, CombinatorsAndUnknownKeywords) {
  json doc = {{"components",
               {{"schemas",
                 {{"Either", {{"oneOf", json::array({{{"type", "integer"}}, {{"type", "number"}}})}}},
                  {"Any", {{"anyOf", json::array({{{"type", "string"}}, {{"type", "integer"}}})}}},
                  {"Odd", {{"type", "integer"}, {"multipleOf", 2}}},
                  {"Sibling", {{"$ref", "#/components/schemas/Any"}, {"nullable", true}}}}}}}};
  EXPECT_TRUE(openapi_check::validate(doc, json(1.5), "#/components/schemas/Either") == std::nullopt);
  EXPECT_TRUE(openapi_check::validate(doc, json(1), "#/components/schemas/Either").has_value());  // both match
  EXPECT_TRUE(openapi_check::validate(doc, json("a"), "#/components/schemas/Any") == std::nullopt);
  EXPECT_TRUE(openapi_check::validate(doc, json(true), "#/components/schemas/Any").has_value());
  // a keyword it cannot check is a mismatch, never a silent pass
  auto odd = openapi_check::validate(doc, json(3), "#/components/schemas/Odd");
  ASSERT_TRUE(odd.has_value());
  EXPECT_NE(odd->reason.find("multipleOf"), std::string::npos);
  EXPECT_TRUE(openapi_check::validate(doc, json("a"), "#/components/schemas/Sibling").has_value());
}

TEST(OpenapiCheck, ADocumentedAnswerPasses) {
  Contract c(document());
  EXPECT_EQ(c.check(answer("GET", "/v1/reservations/7", 200, booking().dump())), std::nullopt);
  EXPECT_EQ(c.check(answer("GET", "/v1/reservations/7?x=1", 404, problem(404, "Not Found", "TK009"),
                           "application/problem+json")),
            std::nullopt);
  EXPECT_EQ(c.check(answer("POST", "/v1/guest-lookup", 429, problem(429, "Too Many Requests", "TK022"),
                           "application/problem+json")),
            std::nullopt);
  EXPECT_EQ(c.check(answer("GET", "/metrics", 200, "# HELP x\n", "text/plain; version=0.0.4")), std::nullopt);
  EXPECT_EQ(c.check(answer("GET", "/v1/concerts", 200, "[]", "application/json; charset=utf-8")), std::nullopt);
}

TEST(OpenapiCheck, RejectsAnUndocumentedStatus) {
  Contract c(document());
  auto why = c.check(answer("GET", "/v1/reservations/7", 418, problem(418, "Error", "teapot"), "application/problem+json"));
  ASSERT_TRUE(why.has_value());
  EXPECT_NE(why->find("status 418 is not documented for GET /v1/reservations/{reservation_id}"), std::string::npos)
      << *why;
  // a 410 is documented for confirm, not for the read
  EXPECT_TRUE(c.check(answer("GET", "/v1/reservations/7", 410, problem(410, "Gone", "TK010"), "application/problem+json")));
}

TEST(OpenapiCheck, RejectsACodeTheRouteDoesNotAnswer) {
  Contract c(document());
  auto why = c.check(answer("GET", "/v1/reservations/7", 404, problem(404, "Not Found", "TK001"), "application/problem+json"));
  ASSERT_TRUE(why.has_value());
  EXPECT_NE(why->find("/code"), std::string::npos) << *why;
  // the body's status must be the HTTP status
  EXPECT_TRUE(c.check(answer("GET", "/v1/reservations/7", 404, problem(409, "Not Found", "TK009"), "application/problem+json")));
  // 22xxx stands for every data exception, nothing else
  EXPECT_EQ(c.check(answer("GET", "/v1/reservations/99999999999999999999", 400, problem(400, "Bad Request", "22003"),
                           "application/problem+json")),
            std::nullopt);
  EXPECT_TRUE(c.check(answer("GET", "/v1/reservations/7", 400, problem(400, "Bad Request", "23003"), "application/problem+json")));
}

TEST(OpenapiCheck, RejectsAWrongContentTypeOrAMissingHeader) {
  Contract c(document());
  EXPECT_TRUE(c.check(answer("GET", "/v1/reservations/7", 200, booking().dump(), "text/html")));
  EXPECT_TRUE(c.check(answer("GET", "/v1/reservations/7", 404, problem(404, "Not Found", "TK009"), "application/json")));
  EXPECT_TRUE(c.check(answer("GET", "/v1/reservations/7", 200, "{", "application/json")));
  Response no_id = answer("GET", "/v1/reservations/7", 200, booking().dump());
  no_id.header_names = {"content-type"};
  auto why = c.check(no_id);
  ASSERT_TRUE(why.has_value());
  EXPECT_NE(why->find("X-Request-Id"), std::string::npos) << *why;
}

TEST(OpenapiCheck, OtherRequestsMustStillAnswerProblems) {
  Contract c(document());
  EXPECT_EQ(c.path_template("/v1/reservations/12"), "/v1/reservations/{reservation_id}");
  EXPECT_EQ(c.path_template("/v1/reservations/abc"), "");  // the server routes digits only
  EXPECT_EQ(c.path_template("/v1/reservations"), "/v1/reservations");
  EXPECT_EQ(c.check(answer("GET", "/v2/nothing", 404, problem(404, "Not Found", "not_found"), "application/problem+json")),
            std::nullopt);
  EXPECT_EQ(c.check(answer("PUT", "/v1/login", 405, problem(405, "Method Not Allowed", "method_not_allowed"),
                           "application/problem+json")),
            std::nullopt);
  EXPECT_TRUE(c.check(answer("GET", "/v2/nothing", 404, "not found", "text/plain")));
  EXPECT_TRUE(c.check(answer("GET", "/v2/nothing", 404, R"({"status": 404})", "application/problem+json")));
}

}  // namespace
