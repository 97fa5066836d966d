#include "metrics.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <sstream>

namespace shim {

namespace {

// Upper bounds of the finite duration buckets; +Inf is the count.
constexpr std::array<double, 11> kBounds{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5};
constexpr std::array<const char*, 11> kBoundLabels{"0.001", "0.0025", "0.005", "0.01", "0.025", "0.05",
                                                   "0.1",   "0.25",   "0.5",   "1",    "2.5"};

std::string escape(const std::string& v) {
  std::string out;
  out.reserve(v.size());
  for (char ch : v) {
    if (ch == '\\') out += "\\\\";
    else if (ch == '"') out += "\\\"";
    else if (ch == '\n') out += "\\n";
    else out += ch;
  }
  return out;
}

// Shortest text that reads back as the same double.
std::string number(double v) {
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, res.ptr);
}

void header(std::ostringstream& out, const char* name, const char* type, const char* help) {
  out << "# HELP " << name << ' ' << help << '\n' << "# TYPE " << name << ' ' << type << '\n';
}

}  // namespace

void Metrics::observe(const std::string& method, const std::string& route, int status, double seconds) {
  if (!(seconds >= 0) || std::isinf(seconds)) seconds = 0;  // NaN or a clock step must not poison _sum
  std::lock_guard<std::mutex> lock(mutex_);
  ++requests_[{method, route, status}];
  Histogram& h = durations_[{method, route}];
  // buckets holds per-bucket counts; render() makes them cumulative.
  if (h.buckets.empty()) h.buckets.assign(kBounds.size(), 0);
  for (size_t i = 0; i < kBounds.size(); ++i) {
    if (seconds <= kBounds[i]) {
      ++h.buckets[i];
      break;
    }
  }
  h.sum += seconds;
  ++h.count;
}

void Metrics::begin_request() {
  std::lock_guard<std::mutex> lock(mutex_);
  ++in_flight_;
}

void Metrics::end_request() {
  std::lock_guard<std::mutex> lock(mutex_);
  --in_flight_;
}

std::string Metrics::render(const Pool::Stats& pool, uint64_t seat_map_refreshes) const {
  std::ostringstream out;
  std::lock_guard<std::mutex> lock(mutex_);

  header(out, "boxoffice_http_requests_total", "counter", "HTTP requests answered, by method, route and status.");
  for (const auto& [key, n] : requests_) {
    const auto& [method, route, status] = key;
    out << "boxoffice_http_requests_total{method=\"" << escape(method) << "\",route=\"" << escape(route)
        << "\",status=\"" << status << "\"} " << n << '\n';
  }

  header(out, "boxoffice_http_request_duration_seconds", "histogram",
         "Time to answer HTTP requests, by method and route.");
  for (const auto& [key, h] : durations_) {
    const std::string labels = "method=\"" + escape(key.first) + "\",route=\"" + escape(key.second) + "\"";
    uint64_t cumulative = 0;
    for (size_t i = 0; i < kBounds.size(); ++i) {
      cumulative += i < h.buckets.size() ? h.buckets[i] : 0;
      out << "boxoffice_http_request_duration_seconds_bucket{" << labels << ",le=\"" << kBoundLabels[i]
          << "\"} " << cumulative << '\n';
    }
    out << "boxoffice_http_request_duration_seconds_bucket{" << labels << ",le=\"+Inf\"} " << h.count << '\n';
    out << "boxoffice_http_request_duration_seconds_sum{" << labels << "} " << number(h.sum) << '\n';
    out << "boxoffice_http_request_duration_seconds_count{" << labels << "} " << h.count << '\n';
  }

  header(out, "boxoffice_http_in_flight", "gauge", "HTTP requests being answered now.");
  out << "boxoffice_http_in_flight " << in_flight_ << '\n';

  const std::pair<const char*, int> gauges[] = {
      {"size", pool.size}, {"open", pool.open}, {"in_use", pool.in_use}, {"waiting", pool.waiting}};
  const char* gauge_help[] = {"Database connections the pool may open.", "Database connections open now.",
                              "Database connections serving a request now.",
                              "Requests waiting for a database connection now."};
  for (size_t i = 0; i < 4; ++i) {
    const std::string name = std::string("boxoffice_db_pool_") + gauges[i].first;
    header(out, name.c_str(), "gauge", gauge_help[i]);
    out << name << ' ' << gauges[i].second << '\n';
  }

  const std::pair<const char*, uint64_t> counters[] = {{"acquired", pool.acquired},
                                                       {"timeouts", pool.timeouts},
                                                       {"connects", pool.connects},
                                                       {"connection_errors", pool.connection_errors}};
  const char* counter_help[] = {"Database connections handed to a request.",
                                "Requests that found no free database connection within the wait.",
                                "Database connections opened.", "Database connections that failed or broke."};
  for (size_t i = 0; i < 4; ++i) {
    const std::string name = std::string("boxoffice_db_pool_") + counters[i].first + "_total";
    header(out, name.c_str(), "counter", counter_help[i]);
    out << name << ' ' << counters[i].second << '\n';
  }
  header(out, "boxoffice_http_seat_map_refreshes_total", "counter",
         "Seat statuses read from the database for the seat map cache.");
  out << "boxoffice_http_seat_map_refreshes_total " << seat_map_refreshes << '\n';
  return out.str();
}

}  // namespace shim
