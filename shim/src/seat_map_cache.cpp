#include "seat_map_cache.hpp"

#include <cstdio>
#include <unordered_map>

#include <nlohmann/json.hpp>
#include <openssl/sha.h>

namespace shim {
namespace {
using json = nlohmann::json;

// A strong ETag from the bytes: the first 16 bytes of their SHA-256.
std::string etag_of(const std::string& body) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(body.data()), body.size(), digest);
  std::string tag = "\"";
  char hex[3];
  for (int i = 0; i < 16; i++) {
    std::snprintf(hex, sizeof hex, "%02x", digest[i]);
    tag += hex;
  }
  return tag + "\"";
}

// A database answer the cache can keep: one JSON value.
bool usable(const std::optional<QueryResult>& r) {
  return r && r->outcome == QueryResult::Outcome::ok && r->has_row && r->value != "null";
}

bool is_not_found(const std::optional<QueryResult>& r) {
  return r && r->outcome == QueryResult::Outcome::sql_error && r->sqlstate == "TK001";
}
}  // namespace

SeatMapCache::SeatMapCache(std::chrono::milliseconds max_age, Fetch fetch)
    : max_age_(max_age), fetch_(std::move(fetch)) {}

uint64_t SeatMapCache::refreshes() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return refreshes_;
}

SeatMapCache::Answer SeatMapCache::get(const std::string& performance_id) {
  std::unique_lock<std::mutex> lock(mutex_);
  std::shared_ptr<Entry>& slot = entries_[performance_id];
  if (!slot) slot = std::make_shared<Entry>();
  std::shared_ptr<Entry> entry = slot;
  while (true) {
    if (entry->snapshot && Clock::now() - entry->asked_at <= max_age_) return {entry->snapshot, std::nullopt};
    if (!entry->refreshing) break;
    // Someone is refreshing: wait for that answer rather than ask again.
    uint64_t awaited = entry->refresh_count;
    refreshed_.wait(lock, [&] { return entry->refresh_count != awaited; });
    if (entry->last_failed) return {nullptr, entry->failure};
  }

  entry->refreshing = true;
  lock.unlock();
  Clock::time_point asked = Clock::now();
  std::optional<QueryResult> failure;
  std::shared_ptr<const Snapshot> built;
  try {
    built = build(*entry, performance_id, &failure);
  } catch (...) {  // an answer that is not the JSON it should be: the waiters answer 500 too
    lock.lock();
    entry->refreshing = false;
    entry->refresh_count++;
    entry->last_failed = true;
    entry->failure = QueryResult{};  // "the database answered nothing"
    refreshed_.notify_all();
    throw;
  }
  lock.lock();
  entry->refreshing = false;
  entry->refresh_count++;
  entry->last_failed = !built;
  entry->failure = failure;
  if (built) {
    entry->snapshot = built;
    entry->asked_at = asked;
    refreshes_++;
  } else if (is_not_found(failure) || !entry->snapshot) {
    // gone, or never there: keep no entry (a stream of unknown ids grows nothing)
    auto it = entries_.find(performance_id);
    if (it != entries_.end() && it->second == entry) entries_.erase(it);
  }
  refreshed_.notify_all();
  if (built) return {built, std::nullopt};
  return {nullptr, failure};
}

std::shared_ptr<const SeatMapCache::Snapshot> SeatMapCache::build(Entry& e, const std::string& performance_id,
                                                                  std::optional<QueryResult>* failure) {
  if (e.layout.empty()) {
    std::optional<QueryResult> layout = fetch_("layout", performance_id);
    if (!usable(layout)) {
      *failure = layout;
      return nullptr;
    }
    std::vector<int64_t> ids;
    std::vector<std::string> prefixes;
    for (const json& seat : json::parse(layout->value)) {
      ids.push_back(seat.at("seat_id").get<int64_t>());
      std::string text = seat.dump();
      text.pop_back();  // the closing brace: the status goes before it
      prefixes.push_back(std::move(text));
    }
    e.seat_ids = std::move(ids);
    e.seat_prefixes = std::move(prefixes);
    e.layout = layout->value;
    e.layout_etag = etag_of(e.layout);
  }
  std::optional<QueryResult> statuses = fetch_("statuses", performance_id);
  if (!usable(statuses)) {
    *failure = statuses;
    return nullptr;
  }
  // Nothing changed since the last refresh: the same answers, fresh again.
  if (e.snapshot && e.snapshot->statuses == statuses->value) return e.snapshot;

  std::unordered_map<int64_t, const char*> status_of;
  json changed = json::parse(statuses->value);
  for (const char* status : {"held", "sold"})
    for (const json& id : changed.at(status)) status_of[id.get<int64_t>()] = status;
  auto snapshot = std::make_shared<Snapshot>();
  snapshot->layout = e.layout;
  snapshot->layout_etag = e.layout_etag;
  snapshot->statuses = statuses->value;
  snapshot->statuses_etag = etag_of(snapshot->statuses);
  std::string& seats = snapshot->seats;
  seats.reserve(e.layout.size() + e.seat_ids.size() * 24);
  seats += '[';
  for (size_t i = 0; i < e.seat_ids.size(); i++) {
    auto found = status_of.find(e.seat_ids[i]);
    if (i > 0) seats += ',';
    seats += e.seat_prefixes[i];
    seats += ",\"status\":\"";
    seats += found == status_of.end() ? "available" : found->second;
    seats += "\"}";
  }
  seats += ']';
  snapshot->seats_etag = etag_of(seats);
  return snapshot;
}

bool etag_matches(const std::string& if_none_match, const std::string& etag) {
  size_t start = 0;
  while (start <= if_none_match.size()) {
    size_t end = if_none_match.find(',', start);
    if (end == std::string::npos) end = if_none_match.size();
    std::string tag = if_none_match.substr(start, end - start);
    while (!tag.empty() && (tag.front() == ' ' || tag.front() == '\t')) tag.erase(0, 1);
    while (!tag.empty() && (tag.back() == ' ' || tag.back() == '\t')) tag.pop_back();
    if (tag.rfind("W/", 0) == 0) tag.erase(0, 2);  // If-None-Match compares weakly (RFC 9110)
    if (tag == "*" || (!tag.empty() && tag == etag)) return true;
    start = end + 1;
  }
  return false;
}

}  // namespace shim
