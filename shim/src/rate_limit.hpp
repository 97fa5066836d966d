// A per-client limit on attempts at routes that check a secret (login, guest
// lookup): a 4-digit PIN falls to 10,000 tries unless tries are rationed.
// A token bucket per key: `per_minute` attempts, refilled evenly.
#pragma once

#include <chrono>
#include <mutex>
#include <string>
#include <unordered_map>

namespace shim {

class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  explicit RateLimiter(int per_minute) : per_minute_(per_minute) {}
  // Takes one attempt for key; false (and the seconds until the next one) when none is left.
  bool allow(const std::string& key, int* retry_after_s, Clock::time_point now = Clock::now());

 private:
  struct Bucket {
    double tokens;
    Clock::time_point updated;
  };
  double per_minute_;
  std::mutex mutex_;
  std::unordered_map<std::string, Bucket> buckets_;
};

}  // namespace shim
