// What the C++ load clients of bench/ report about latencies, one way for
// all: nearest-rank percentiles, and the distribution as "microseconds count"
// lines (the format bench/http/common.lua writes for wrk), so that the
// scripts merge the rounds of a run exactly.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace bench {

// sorted: ascending microseconds; p in [0, 1]; the answer in milliseconds.
inline double percentile_ms(const std::vector<uint32_t>& sorted, double p) {
  if (sorted.empty()) return 0;
  size_t rank = static_cast<size_t>(std::ceil(p * sorted.size()));
  rank = std::clamp<size_t>(rank, 1, sorted.size());
  return sorted[rank - 1] / 1000.0;
}

inline double round2(double v) { return std::round(v * 100) / 100; }

// Writes sorted (ascending microseconds) to path; false if it cannot.
inline bool write_histogram(const std::string& path, const std::vector<uint32_t>& sorted) {
  std::FILE* f = std::fopen(path.c_str(), "w");
  if (!f) return false;
  for (size_t i = 0; i < sorted.size();) {
    size_t j = i;
    while (j < sorted.size() && sorted[j] == sorted[i]) ++j;
    std::fprintf(f, "%u %zu\n", sorted[i], j - i);
    i = j;
  }
  return std::fclose(f) == 0;
}

}  // namespace bench
