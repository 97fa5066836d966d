// The route table's look-up by operation_id (what bench/http's direct client
// prepares its statements from).
#include "routes.hpp"

#include <set>
#include <string>

#include <gtest/gtest.h>

namespace {

TEST(Routes, OperationIdsAreUnique) {
  // They name the prepared statements, and find_route returns the first.
  std::set<std::string> seen;
  for (const shim::Route& r : shim::routes()) EXPECT_TRUE(seen.insert(r.operation_id).second) << r.operation_id;
}

TEST(Routes, FindRoute) {
  const shim::Route* hold = shim::find_route("hold");
  ASSERT_NE(hold, nullptr);
  EXPECT_STREQ(hold->path, "/v1/performances/{performance_id}/holds");
  EXPECT_STREQ(hold->method, "POST");
  EXPECT_EQ(shim::find_route("seat_map")->inputs, std::vector<shim::Input>{shim::Input::path_id});
  EXPECT_EQ(shim::find_route("no_such_operation"), nullptr);
  EXPECT_EQ(shim::find_route(""), nullptr);
}

}  // namespace
