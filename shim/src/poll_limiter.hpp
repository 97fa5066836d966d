// Pacing of queue polls (GET /v1/queue): each answer says when to ask again
// (poll_after_seconds, also sent as Retry-After). A client that asks much
// earlier than told gets 429 from the shim, without touching the database:
// a crowd polling in a tight loop costs the database nothing more.
// One record per (user, queue token): the earliest time of the next poll,
// now + 0.8 * poll_after_seconds of the last answer (a little slack for
// clocks and networks). The map stays bounded: once it grows past
// max_records, records whose time has passed are dropped.
#pragma once

#include <chrono>
#include <mutex>
#include <string>
#include <unordered_map>

namespace shim {

class PollLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  explicit PollLimiter(size_t max_records = 100000) : max_records_(max_records) {}
  // True when key may poll now; else false and the whole seconds left (at least 1).
  bool allow(const std::string& key, int* retry_after_s, Clock::time_point now = Clock::now());
  // The answer told key to come back in poll_after_s seconds.
  void told(const std::string& key, int poll_after_s, Clock::time_point now = Clock::now());
  size_t size();

 private:
  size_t max_records_;
  std::mutex mutex_;
  std::unordered_map<std::string, Clock::time_point> next_poll_;
};

}  // namespace shim
