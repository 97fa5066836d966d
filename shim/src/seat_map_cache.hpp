// The seat map under a crowd: ten thousand buyers asking for one
// performance's map must not mean ten thousand aggregations. Per performance
// the cache keeps the layout (seats, tiers, prices: fixed when the
// performance is created, so fetched once) apart from the statuses (the ids
// held and sold: small, fetched again once older than max_age). One request
// refreshes; the others wait for its answer (single flight). So a map served
// is never older than max_age, and each performance costs the database at
// most one statuses query per max_age.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "pool.hpp"

namespace shim {

class SeatMapCache {
 public:
  // One refresh: the three answers and their ETags (the same bytes give the
  // same ETag in every shim process).
  struct Snapshot {
    std::string layout, layout_etag;      // GET .../seat-layout: boxoffice.seat_layout()
    std::string statuses, statuses_etag;  // GET .../seat-status: boxoffice.seat_statuses()
    std::string seats, seats_etag;        // GET .../seats: the layout, each seat with its status
  };
  struct Answer {
    std::shared_ptr<const Snapshot> snapshot;  // or, when null,
    std::optional<QueryResult> failure;        // what the database answered instead (nullopt: no connection)
  };
  // Asks the database for one part ("layout" or "statuses") of a performance's map.
  using Fetch = std::function<std::optional<QueryResult>(const std::string& part, const std::string& performance_id)>;

  SeatMapCache(std::chrono::milliseconds max_age, Fetch fetch);
  // The map of a performance, at most max_age old. A performance the
  // database does not show (TK001) is dropped from the cache.
  Answer get(const std::string& performance_id);
  uint64_t refreshes() const;  // statuses queries so far, for /metrics and tests

 private:
  using Clock = std::chrono::steady_clock;
  struct Entry {
    std::vector<std::string> seat_prefixes;  // each layout seat's JSON without its closing brace
    std::vector<int64_t> seat_ids;
    std::string layout, layout_etag;
    std::shared_ptr<const Snapshot> snapshot;
    Clock::time_point asked_at{};  // when the snapshot's statuses query began
    bool refreshing = false;
    uint64_t refresh_count = 0;             // refreshes finished: waiters see theirs end
    std::optional<QueryResult> failure;     // what the last refresh got instead of a map
    bool last_failed = false;
  };
  // Runs without the lock, by the one request refreshing this entry.
  std::shared_ptr<const Snapshot> build(Entry& entry, const std::string& performance_id,
                                        std::optional<QueryResult>* failure);
  const std::chrono::milliseconds max_age_;
  const Fetch fetch_;
  mutable std::mutex mutex_;
  std::condition_variable refreshed_;
  std::map<std::string, std::shared_ptr<Entry>> entries_;
  uint64_t refreshes_ = 0;
};

// True when an If-None-Match header names this ETag (or is "*").
bool etag_matches(const std::string& if_none_match, const std::string& etag);

}  // namespace shim
