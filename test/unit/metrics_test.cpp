#include "metrics.hpp"

#include <gtest/gtest.h>

#include <sstream>
#include <thread>

using shim::Metrics;
using shim::Pool;

namespace {

bool has_line(const std::string& text, const std::string& line) {
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);)
    if (l == line) return true;
  return false;
}

const std::string kDuration = "boxoffice_http_request_duration_seconds";
const std::string kLabels = "method=\"GET\",route=\"/v1/performances/{id}/seats\"";

}  // namespace

TEST(Metrics, CountsRequestsByMethodRouteAndStatus) {
  Metrics m;
  m.observe("GET", "/v1/performances/{id}/seats", 200, 0.01);
  m.observe("GET", "/v1/performances/{id}/seats", 200, 0.02);
  m.observe("GET", "/v1/performances/{id}/seats", 404, 0.02);
  m.observe("POST", "/v1/holds", 201, 0.02);
  const std::string text = m.render({});
  EXPECT_TRUE(has_line(text, "# HELP boxoffice_http_requests_total HTTP requests answered, by method, route and status."));
  EXPECT_TRUE(has_line(text, "# TYPE boxoffice_http_requests_total counter"));
  EXPECT_TRUE(has_line(text, "boxoffice_http_requests_total{" + kLabels + ",status=\"200\"} 2"));
  EXPECT_TRUE(has_line(text, "boxoffice_http_requests_total{" + kLabels + ",status=\"404\"} 1"));
  EXPECT_TRUE(has_line(text, "boxoffice_http_requests_total{method=\"POST\",route=\"/v1/holds\",status=\"201\"} 1"));
}

TEST(Metrics, HistogramBucketsAreCumulative) {
  Metrics m;
  m.observe("GET", "/v1/performances/{id}/seats", 200, 0.0005);  // first bucket
  m.observe("GET", "/v1/performances/{id}/seats", 200, 0.001);   // le is inclusive
  m.observe("GET", "/v1/performances/{id}/seats", 500, 0.3);     // status does not split the histogram
  m.observe("GET", "/v1/performances/{id}/seats", 200, 10);      // only +Inf
  const std::string text = m.render({});
  EXPECT_TRUE(has_line(text, "# TYPE " + kDuration + " histogram"));
  const std::pair<const char*, int> expected[] = {
      {"0.001", 2}, {"0.0025", 2}, {"0.005", 2}, {"0.01", 2}, {"0.025", 2}, {"0.05", 2},
      {"0.1", 2},   {"0.25", 2},   {"0.5", 3},   {"1", 3},    {"2.5", 3},   {"+Inf", 4}};
  for (const auto& [le, n] : expected)
    EXPECT_TRUE(has_line(text, kDuration + "_bucket{" + kLabels + ",le=\"" + le + "\"} " + std::to_string(n)))
        << "le=" << le << "\n" << text;
  EXPECT_TRUE(has_line(text, kDuration + "_count{" + kLabels + "} 4"));
  EXPECT_TRUE(has_line(text, kDuration + "_sum{" + kLabels + "} 10.3015")) << text;
}

TEST(Metrics, EscapesLabelValues) {
  Metrics m;
  m.observe("GET", "a\\b\"c\nd", 200, 0.1);
  const std::string text = m.render({});
  EXPECT_TRUE(has_line(text, "boxoffice_http_requests_total{method=\"GET\",route=\"a\\\\b\\\"c\\nd\",status=\"200\"} 1"))
      << text;
  EXPECT_TRUE(has_line(text, kDuration + "_count{method=\"GET\",route=\"a\\\\b\\\"c\\nd\"} 1")) << text;
}

TEST(Metrics, InFlightGauge) {
  Metrics m;
  EXPECT_TRUE(has_line(m.render({}), "boxoffice_http_in_flight 0"));
  m.begin_request();
  m.begin_request();
  m.end_request();
  const std::string text = m.render({});
  EXPECT_TRUE(has_line(text, "# TYPE boxoffice_http_in_flight gauge"));
  EXPECT_TRUE(has_line(text, "boxoffice_http_in_flight 1"));
}

TEST(Metrics, PoolGaugesAndCounters) {
  Metrics m;
  Pool::Stats s;
  s.size = 8;
  s.open = 3;
  s.in_use = 2;
  s.waiting = 1;
  s.acquired = 100;
  s.timeouts = 4;
  s.connects = 5;
  s.connection_errors = 2;
  const std::string text = m.render(s);
  const std::pair<std::string, std::string> gauges[] = {
      {"size", "8"}, {"open", "3"}, {"in_use", "2"}, {"waiting", "1"}};
  for (const auto& [name, v] : gauges) {
    EXPECT_TRUE(has_line(text, "# TYPE boxoffice_db_pool_" + name + " gauge")) << name;
    EXPECT_TRUE(has_line(text, "boxoffice_db_pool_" + name + " " + v)) << name;
  }
  const std::pair<std::string, std::string> counters[] = {
      {"acquired", "100"}, {"timeouts", "4"}, {"connects", "5"}, {"connection_errors", "2"}};
  for (const auto& [name, v] : counters) {
    EXPECT_TRUE(has_line(text, "# TYPE boxoffice_db_pool_" + name + "_total counter")) << name;
    EXPECT_TRUE(has_line(text, "boxoffice_db_pool_" + name + "_total " + v)) << name;
  }
}

TEST(Metrics, EveryFamilyHasHelpAndTypeAndTextEndsInNewline) {
  Metrics m;
  m.observe("GET", "unmatched", 404, 0.001);
  const std::string text = m.render({});
  ASSERT_FALSE(text.empty());
  EXPECT_EQ(text.back(), '\n');
  std::istringstream in(text);
  std::string previous_help;
  int families = 0;
  for (std::string l; std::getline(in, l);) {
    if (l.rfind("# HELP ", 0) == 0) {
      previous_help = l.substr(7, l.find(' ', 7) - 7);
    } else if (l.rfind("# TYPE ", 0) == 0) {
      EXPECT_EQ(l.substr(7, l.find(' ', 7) - 7), previous_help) << "TYPE must follow its HELP: " << l;
      ++families;
    } else {
      ASSERT_FALSE(previous_help.empty()) << l;
      EXPECT_EQ(l.rfind(previous_help, 0), 0u) << "sample outside its family: " << l;
    }
  }
  EXPECT_EQ(families, 3 + 8 + 1);  // requests, durations, in flight; the pool's 8; seat map refreshes
}

TEST(Metrics, ConcurrentObservations) {
  Metrics m;
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) {
        m.begin_request();
        m.observe("GET", "/v1/health", 200, 0.002);
        m.end_request();
      }
    });
  for (auto& t : threads) t.join();
  const std::string text = m.render({});
  EXPECT_TRUE(has_line(text, "boxoffice_http_requests_total{method=\"GET\",route=\"/v1/health\",status=\"200\"} 8000"));
  EXPECT_TRUE(has_line(text, kDuration + "_bucket{method=\"GET\",route=\"/v1/health\",le=\"0.0025\"} 8000"));
  EXPECT_TRUE(has_line(text, "boxoffice_http_in_flight 0"));
}
