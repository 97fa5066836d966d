#include "request.hpp"

#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace {

using shim::bearer_token;

bool is_hex32(const std::string& s) {
  if (s.size() != 32) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

TEST(Request, BearerToken) {
  EXPECT_EQ(bearer_token(""), std::nullopt);  // no header
  EXPECT_EQ(bearer_token("Bearer abc.def.ghi"), "abc.def.ghi");
  EXPECT_EQ(bearer_token("bearer abc"), "abc");
  EXPECT_EQ(bearer_token("BEARER abc"), "abc");
  EXPECT_EQ(bearer_token("BeArEr abc"), "abc");
  EXPECT_EQ(bearer_token("Bearer    abc"), "abc");
  EXPECT_EQ(bearer_token("Bearer\tabc"), "abc");
  EXPECT_EQ(bearer_token("  Bearer abc  "), "abc");
  EXPECT_EQ(bearer_token("Bearer abc-_.~+/="), "abc-_.~+/=");
}

TEST(Request, NotABearerToken) {
  EXPECT_EQ(bearer_token("Basic dXNlcjpwYXNz"), "");
  EXPECT_EQ(bearer_token("Bearer"), "");
  EXPECT_EQ(bearer_token("Bearer "), "");
  EXPECT_EQ(bearer_token("Bearer   "), "");
  EXPECT_EQ(bearer_token("   "), "");
  EXPECT_EQ(bearer_token("Bearerabc"), "");
  EXPECT_EQ(bearer_token("Bearer: abc"), "");
  EXPECT_EQ(bearer_token("Token abc"), "");
  EXPECT_EQ(bearer_token("abc.def.ghi"), "");
  EXPECT_EQ(bearer_token("Bearer abc def"), "");
}

TEST(Request, SuppliedRequestIdIsKept) {
  EXPECT_EQ(shim::request_id_or_new("abc"), "abc");
  EXPECT_EQ(shim::request_id_or_new("x"), "x");
  EXPECT_EQ(shim::request_id_or_new("Req-1.2_3:4"), "Req-1.2_3:4");
  EXPECT_EQ(shim::request_id_or_new("123e4567-e89b-12d3-a456-426614174000"), "123e4567-e89b-12d3-a456-426614174000");
  const std::string longest(128, 'a');
  EXPECT_EQ(shim::request_id_or_new(longest), longest);
}

TEST(Request, UnacceptableRequestIdIsReplaced) {
  for (const std::string& bad : {std::string(""), std::string(129, 'a'), std::string("a b"), std::string("a\r\nb"),
                                 std::string("a/b"), std::string("<script>"), std::string("id\""),
                                 std::string("caf\xc3\xa9"), std::string("a\0b", 3)}) {
    std::string id = shim::request_id_or_new(bad);
    EXPECT_TRUE(is_hex32(id)) << id;
    EXPECT_NE(id, bad);
  }
}

TEST(Request, RandomIds) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    std::string id = shim::random_hex_id();
    EXPECT_TRUE(is_hex32(id)) << id;
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 1000u);
}

TEST(Request, RandomIdsFromManyThreads) {
  std::vector<std::vector<std::string>> ids(8);
  std::vector<std::thread> threads;
  for (auto& mine : ids)
    threads.emplace_back([&mine] {
      for (int i = 0; i < 200; ++i) mine.push_back(shim::random_hex_id());
    });
  for (auto& t : threads) t.join();
  std::set<std::string> seen;
  for (const auto& mine : ids) seen.insert(mine.begin(), mine.end());
  EXPECT_EQ(seen.size(), 8u * 200u);
}

TEST(Request, JsonObject) {
  EXPECT_TRUE(shim::is_json_object("{}"));
  EXPECT_TRUE(shim::is_json_object(" { \"a\": 1, \"b\": [1, {\"c\": null}] }\n"));
  EXPECT_TRUE(shim::is_json_object("{\"name\":\"\xec\x9d\xb4\"}"));
  EXPECT_FALSE(shim::is_json_object(""));
  EXPECT_FALSE(shim::is_json_object("[]"));
  EXPECT_FALSE(shim::is_json_object("[{}]"));
  EXPECT_FALSE(shim::is_json_object("\"x\""));
  EXPECT_FALSE(shim::is_json_object("1"));
  EXPECT_FALSE(shim::is_json_object("null"));
  EXPECT_FALSE(shim::is_json_object("{"));
  EXPECT_FALSE(shim::is_json_object("{a:1}"));
  EXPECT_FALSE(shim::is_json_object("{\"a\":1,}"));
  EXPECT_FALSE(shim::is_json_object("{\"a\":1} trailing"));
  EXPECT_FALSE(shim::is_json_object("{} {}"));
  EXPECT_FALSE(shim::is_json_object("{\"a\":1} // comment"));
  EXPECT_FALSE(shim::is_json_object("{\"a\":\"\xff\"}"));  // not UTF-8
}

TEST(Request, DeeplyNestedJsonIsNotACrash) {
  std::string deep = "{\"a\":" + std::string(20000, '[') + std::string(20000, ']') + "}";
  EXPECT_TRUE(shim::is_json_object(deep));
}

}  // namespace
