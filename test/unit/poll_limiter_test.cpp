#include "poll_limiter.hpp"

#include <gtest/gtest.h>

using shim::PollLimiter;
using namespace std::chrono_literals;

TEST(PollLimiter, UnknownKeysMayPoll) {
  PollLimiter limiter;
  int retry = 0;
  EXPECT_TRUE(limiter.allow("a", &retry));
}

TEST(PollLimiter, RefusesUntilEightTenthsOfTheTimeToldHavePassed) {
  PollLimiter limiter;
  auto t = PollLimiter::Clock::now();
  int retry = 0;
  limiter.told("a", 10, t);
  EXPECT_FALSE(limiter.allow("a", &retry, t));
  EXPECT_EQ(retry, 8);
  EXPECT_FALSE(limiter.allow("a", &retry, t + 7500ms));
  EXPECT_EQ(retry, 1);  // ceil of 0.5 s
  EXPECT_TRUE(limiter.allow("a", &retry, t + 8s));
  EXPECT_TRUE(limiter.allow("b", &retry, t));  // keys are independent
}

TEST(PollLimiter, NoPollAfterForgetsTheKey) {
  PollLimiter limiter;
  auto t = PollLimiter::Clock::now();
  int retry = 0;
  limiter.told("a", 5, t);
  limiter.told("a", 0, t);
  EXPECT_TRUE(limiter.allow("a", &retry, t));
  EXPECT_EQ(limiter.size(), 0u);
}

TEST(PollLimiter, StaysBoundedDroppingPassedRecords) {
  PollLimiter limiter(3);
  auto t = PollLimiter::Clock::now();
  int retry = 0;
  limiter.told("a", 1, t);
  limiter.told("b", 1, t);
  limiter.told("c", 10, t);
  limiter.told("d", 10, t + 2s);  // a and b have passed: dropped
  EXPECT_EQ(limiter.size(), 2u);
  limiter.told("e", 10, t + 2s);
  limiter.told("f", 10, t + 2s);  // full of live records: f is not paced
  EXPECT_EQ(limiter.size(), 3u);
  EXPECT_TRUE(limiter.allow("f", &retry, t + 2s));
  EXPECT_FALSE(limiter.allow("c", &retry, t + 2s));
}
