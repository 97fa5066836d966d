#include "rate_limit.hpp"

#include <gtest/gtest.h>

using shim::RateLimiter;
using namespace std::chrono_literals;

TEST(RateLimit, AllowsTheBudgetThenRefuses) {
  RateLimiter limiter(3);
  auto t = RateLimiter::Clock::now();
  int retry = 0;
  EXPECT_TRUE(limiter.allow("a", &retry, t));
  EXPECT_TRUE(limiter.allow("a", &retry, t));
  EXPECT_TRUE(limiter.allow("a", &retry, t));
  EXPECT_FALSE(limiter.allow("a", &retry, t));
  EXPECT_EQ(retry, 20);  // 3 per minute: one every 20 s
}

TEST(RateLimit, KeysAreIndependent) {
  RateLimiter limiter(1);
  auto t = RateLimiter::Clock::now();
  int retry = 0;
  EXPECT_TRUE(limiter.allow("login:10.0.0.1", &retry, t));
  EXPECT_FALSE(limiter.allow("login:10.0.0.1", &retry, t));
  EXPECT_TRUE(limiter.allow("login:10.0.0.2", &retry, t));
  EXPECT_TRUE(limiter.allow("guest_lookup:10.0.0.1", &retry, t));
}

TEST(RateLimit, RefillsEvenlyAndNeverAboveTheBudget) {
  RateLimiter limiter(60);  // one a second
  auto t = RateLimiter::Clock::now();
  int retry = 0;
  for (int i = 0; i < 60; i++) EXPECT_TRUE(limiter.allow("k", &retry, t));
  EXPECT_FALSE(limiter.allow("k", &retry, t));
  EXPECT_EQ(retry, 1);
  EXPECT_TRUE(limiter.allow("k", &retry, t + 1s));
  EXPECT_FALSE(limiter.allow("k", &retry, t + 1s));
  // an hour of rest refills to the budget, not beyond
  int allowed = 0;
  for (int i = 0; i < 100; i++) allowed += limiter.allow("k", &retry, t + 3600s);
  EXPECT_EQ(allowed, 60);
}
