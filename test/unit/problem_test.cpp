#include "problem.hpp"

#include "error_catalogue.hpp"

#include <string>
#include <utility>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace {

using nlohmann::json;
using shim::http_status_for_sqlstate;

TEST(Problem, EveryBoxofficeCodeHasItsCataloguedStatus) {
  size_t codes = 0;
  for (const shim::error_catalogue::Entry& e : shim::error_catalogue::entries) {
    EXPECT_EQ(http_status_for_sqlstate(e.sqlstate), e.http_status) << e.sqlstate;
    codes++;
  }
  EXPECT_GE(codes, 23u);  // TK001..TK023 at least: the catalogue only grows
  EXPECT_EQ(http_status_for_sqlstate(shim::error_catalogue::seats_unavailable), 409);
  EXPECT_EQ(http_status_for_sqlstate(shim::error_catalogue::guest_lookup_locked), 429);
}

TEST(Problem, TheWaitOfALockedLookUpComesFromItsHint) {
  EXPECT_EQ(shim::seconds_to_wait("Try again in 842 seconds."), 842);
  EXPECT_EQ(shim::seconds_to_wait("Try again in 0 seconds."), 1);
  EXPECT_EQ(shim::seconds_to_wait("Try again later."), 60);
  EXPECT_EQ(shim::seconds_to_wait(""), 60);
  EXPECT_EQ(shim::seconds_to_wait("in 99999999999 seconds"), 60);
}

TEST(Problem, UnlistedBoxofficeCodeIsBadRequest) {
  EXPECT_EQ(http_status_for_sqlstate("TK099"), 400);
  EXPECT_EQ(http_status_for_sqlstate("TK000"), 400);
  EXPECT_EQ(http_status_for_sqlstate("TK999"), 400);
}

TEST(Problem, PostgresCodes) {
  const std::pair<const char*, int> expected[] = {
      {"23505", 409}, {"23503", 409}, {"23514", 409},                  // integrity
      {"22P02", 400}, {"22023", 400}, {"22003", 400}, {"22001", 400},  // data exceptions
      {"42501", 403}, {"42883", 500},                                  // privilege; our own bug
      {"08000", 503}, {"08006", 503}, {"08001", 503},                  // connection
      {"53300", 503}, {"53100", 503}, {"53200", 503},                  // resources
      {"57P01", 503}, {"57P02", 503}, {"57P03", 503},                  // shutdown
      {"57014", 504},                                                  // statement timeout
      {"40001", 409}, {"40P01", 409}, {"55P03", 409},                  // concurrency
      {"XX000", 500}, {"42P01", 500}, {"42703", 500}, {"P0001", 500},  // the rest
      {"23502", 500}, {"57000", 500}, {"55000", 500}, {"40000", 500},
  };
  for (const auto& [code, status] : expected) EXPECT_EQ(http_status_for_sqlstate(code), status) << code;
}

TEST(Problem, NotASqlstate) {
  EXPECT_EQ(http_status_for_sqlstate(""), 500);
  EXPECT_EQ(http_status_for_sqlstate("TK"), 500);
  EXPECT_EQ(http_status_for_sqlstate("22"), 500);
  EXPECT_EQ(http_status_for_sqlstate("TK0011"), 500);
  EXPECT_EQ(http_status_for_sqlstate("tk001"), 500);
}

TEST(Problem, RetryAfter) {
  EXPECT_EQ(shim::retry_after_for_status(503), 1);
  EXPECT_EQ(shim::retry_after_for_status(504), 0);
  EXPECT_EQ(shim::retry_after_for_status(500), 0);
  EXPECT_EQ(shim::retry_after_for_status(409), 0);
  EXPECT_EQ(shim::retry_after_for_status(200), 0);
}

TEST(Problem, ReasonPhrases) {
  EXPECT_STREQ(shim::reason_phrase(200), "OK");
  EXPECT_STREQ(shim::reason_phrase(201), "Created");
  EXPECT_STREQ(shim::reason_phrase(204), "No Content");
  EXPECT_STREQ(shim::reason_phrase(400), "Bad Request");
  EXPECT_STREQ(shim::reason_phrase(401), "Unauthorized");
  EXPECT_STREQ(shim::reason_phrase(403), "Forbidden");
  EXPECT_STREQ(shim::reason_phrase(404), "Not Found");
  EXPECT_STREQ(shim::reason_phrase(405), "Method Not Allowed");
  EXPECT_STREQ(shim::reason_phrase(409), "Conflict");
  EXPECT_STREQ(shim::reason_phrase(410), "Gone");
  EXPECT_STREQ(shim::reason_phrase(413), "Content Too Large");
  EXPECT_STREQ(shim::reason_phrase(414), "URI Too Long");
  EXPECT_STREQ(shim::reason_phrase(415), "Unsupported Media Type");
  EXPECT_STREQ(shim::reason_phrase(416), "Range Not Satisfiable");
  EXPECT_STREQ(shim::reason_phrase(422), "Unprocessable Content");
  EXPECT_STREQ(shim::reason_phrase(429), "Too Many Requests");
  EXPECT_STREQ(shim::reason_phrase(500), "Internal Server Error");
  EXPECT_STREQ(shim::reason_phrase(503), "Service Unavailable");
  EXPECT_STREQ(shim::reason_phrase(504), "Gateway Timeout");
  EXPECT_STREQ(shim::reason_phrase(418), "Error");
  EXPECT_STREQ(shim::reason_phrase(0), "Error");
}

TEST(Problem, BodyHasEveryField) {
  json body = json::parse(shim::problem_json(409, "seats_unavailable", "seats are taken", "seat 12 is sold",
                                             "pick other seats", "0123abcd"));
  EXPECT_EQ(body, json({{"type", "about:blank"},
                        {"title", "Conflict"},
                        {"status", 409},
                        {"code", "seats_unavailable"},
                        {"message", "seats are taken"},
                        {"detail", "seat 12 is sold"},
                        {"hint", "pick other seats"},
                        {"error_id", "0123abcd"}}));
  EXPECT_TRUE(body["status"].is_number_integer());
}

TEST(Problem, OmitsEmptyFields) {
  json body = json::parse(shim::problem_json(404, "", "no such route"));
  EXPECT_EQ(body,
            json({{"type", "about:blank"}, {"title", "Not Found"}, {"status", 404}, {"message", "no such route"}}));
  body = json::parse(shim::problem_json(500, "", ""));
  EXPECT_EQ(body, json({{"type", "about:blank"}, {"title", "Internal Server Error"}, {"status", 500}}));
  body = json::parse(shim::problem_json(418, "x", "", "", "", "id"));
  EXPECT_EQ(body, json({{"type", "about:blank"},
                        {"title", "Error"},
                        {"status", 418},
                        {"code", "x"},
                        {"error_id", "id"}}));
}

TEST(Problem, Escapes) {
  const std::string nasty = "say \"hi\"\n\tback\\slash </script> \x01";
  std::string text = shim::problem_json(400, "c", nasty, nasty, nasty);
  EXPECT_EQ(text.find('\n'), std::string::npos);
  json body = json::parse(text);
  EXPECT_EQ(body["message"], nasty);
  EXPECT_EQ(body["detail"], nasty);
  EXPECT_EQ(body["hint"], nasty);
}

TEST(Problem, InvalidUtf8DoesNotThrow) {
  std::string text;
  ASSERT_NO_THROW(text = shim::problem_json(400, "c", "bad \xff\xfe bytes"));
  json body = json::parse(text);
  EXPECT_EQ(body["message"], "bad \xEF\xBF\xBD\xEF\xBF\xBD bytes");  // U+FFFD twice
}

}  // namespace
