#include "rate_limit.hpp"

#include <algorithm>
#include <cmath>

namespace shim {

bool RateLimiter::allow(const std::string& key, int* retry_after_s, Clock::time_point now) {
  std::lock_guard<std::mutex> lock(mutex_);
  double per_second = per_minute_ / 60.0;
  // Forget full buckets now and then, so the map stays as small as the set of
  // clients that are actually trying.
  if (buckets_.size() > 10000)
    for (auto it = buckets_.begin(); it != buckets_.end();)
      it = std::chrono::duration<double>(now - it->second.updated).count() * per_second >= per_minute_
               ? buckets_.erase(it)
               : std::next(it);
  auto [it, fresh] = buckets_.try_emplace(key, Bucket{per_minute_, now});
  Bucket& b = it->second;
  if (!fresh) {
    b.tokens = std::min(per_minute_, b.tokens + std::chrono::duration<double>(now - b.updated).count() * per_second);
    b.updated = now;
  }
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    return true;
  }
  *retry_after_s = std::max(1, static_cast<int>(std::ceil((1.0 - b.tokens) / per_second)));
  return false;
}

}  // namespace shim
