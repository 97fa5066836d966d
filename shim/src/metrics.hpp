// Prometheus metrics in the text exposition format (version 0.0.4).
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <tuple>
#include <vector>

#include "pool.hpp"

namespace shim {

class Metrics {
 public:
  // One finished request: route is the route template ("/v1/performances/{id}/seats"),
  // or "unmatched" for 404s, so label cardinality stays bounded.
  void observe(const std::string& method, const std::string& route, int status, double seconds);
  // boxoffice_http_requests_total{method,route,status} counter,
  // boxoffice_http_request_duration_seconds{method,route} histogram
  //   (buckets .001 .0025 .005 .01 .025 .05 .1 .25 .5 1 2.5 +Inf, with _sum and _count),
  // boxoffice_http_in_flight gauge (begin/end below),
  // boxoffice_db_pool_{size,open,in_use,waiting} gauges and
  // boxoffice_db_pool_{acquired,timeouts,connects,connection_errors}_total counters from `pool`,
  // each with # HELP and # TYPE lines.
  // boxoffice_http_seat_map_refreshes_total counter (seat_map_cache.hpp).
  std::string render(const Pool::Stats& pool, uint64_t seat_map_refreshes = 0) const;
  void begin_request();
  void end_request();

 private:
  mutable std::mutex mutex_;
  std::map<std::tuple<std::string, std::string, int>, uint64_t> requests_;
  struct Histogram {
    std::vector<uint64_t> buckets;
    double sum = 0;
    uint64_t count = 0;
  };
  std::map<std::pair<std::string, std::string>, Histogram> durations_;
  int64_t in_flight_ = 0;
};

}  // namespace shim
