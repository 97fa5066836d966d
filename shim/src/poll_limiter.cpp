#include "poll_limiter.hpp"

#include <algorithm>
#include <cmath>

namespace shim {

bool PollLimiter::allow(const std::string& key, int* retry_after_s, Clock::time_point now) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = next_poll_.find(key);
  if (it == next_poll_.end() || it->second <= now) return true;
  double left = std::chrono::duration<double>(it->second - now).count();
  *retry_after_s = std::max(1, static_cast<int>(std::ceil(left)));
  return false;
}

void PollLimiter::told(const std::string& key, int poll_after_s, Clock::time_point now) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (poll_after_s <= 0) {
    next_poll_.erase(key);
    return;
  }
  if (next_poll_.size() >= max_records_)
    for (auto it = next_poll_.begin(); it != next_poll_.end();) it = it->second <= now ? next_poll_.erase(it) : std::next(it);
  if (next_poll_.size() >= max_records_ && !next_poll_.count(key)) return;  // full of live records: do not pace this one
  next_poll_[key] = now + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(0.8 * poll_after_s));
}

size_t PollLimiter::size() {
  std::lock_guard<std::mutex> lock(mutex_);
  return next_poll_.size();
}

}  // namespace shim
