#include "metrics/metrics.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace latchkey::metrics {
namespace {

bool contains(const std::string& text, std::string_view needle) {
  return text.find(needle) != std::string::npos;
}

TEST(MetricsTest, CounterWithLabelsRendersOneLinePerChild) {
  Registry r;
  auto& requests = r.counter_family("x_requests_total", "Requests.", {"route", "status"});
  requests.with({"/a", "200"}).inc();
  requests.with({"/a", "200"}).inc(2);
  requests.with({"/b", "404"}).inc();
  const std::string text = r.render();
  EXPECT_TRUE(
      contains(text, "# HELP x_requests_total Requests.\n# TYPE x_requests_total counter\n"));
  EXPECT_TRUE(contains(text, "x_requests_total{route=\"/a\",status=\"200\"} 3\n"));
  EXPECT_TRUE(contains(text, "x_requests_total{route=\"/b\",status=\"404\"} 1\n"));
}

TEST(MetricsTest, SameNameIsSameMetricAndMismatchIsRefused) {
  Registry r;
  r.counter("x_total", "X.").inc();
  r.counter("x_total", "X.").inc();
  EXPECT_EQ(r.counter("x_total", "X.").value(), 2u);
  EXPECT_THROW(r.gauge("x_total", "X."), std::invalid_argument);
  EXPECT_THROW(r.counter_family("x_total", "X.", {"a"}), std::invalid_argument);
}

TEST(MetricsTest, HistogramBucketsAreCumulative) {
  Registry r;
  auto& h = r.histogram("x_seconds", "Latency.", {0.1, 1});
  h.observe(0.05);
  h.observe(0.5);
  h.observe(5);
  const std::string text = r.render();
  EXPECT_TRUE(contains(text, "x_seconds_bucket{le=\"0.1\"} 1\n"));
  EXPECT_TRUE(contains(text, "x_seconds_bucket{le=\"1\"} 2\n"));
  EXPECT_TRUE(contains(text, "x_seconds_bucket{le=\"+Inf\"} 3\n"));
  EXPECT_TRUE(contains(text, "x_seconds_count 3\n"));
  EXPECT_TRUE(contains(text, "x_seconds_sum 5.55\n"));
}

TEST(MetricsTest, LabelValuesAreEscaped) {
  Registry r;
  r.counter_family("x_total", "X.", {"path"}).with({"a\"b\\c\nd"}).inc();
  EXPECT_TRUE(contains(r.render(), "x_total{path=\"a\\\"b\\\\c\\nd\"} 1\n"));
}

TEST(MetricsTest, CallbackGaugeIsReadWhenRendered) {
  Registry r;
  double value = 1;
  r.gauge_callback("x_size", "Size.", [&value] { return value; });
  value = 7;
  EXPECT_TRUE(contains(r.render(), "x_size 7\n"));
  r.remove_callback("x_size");
  EXPECT_FALSE(contains(r.render(), "x_size"));
  // A callback never replaces a counter whose children may be held.
  r.counter("x_total", "X.").inc();
  EXPECT_THROW(r.gauge_callback("x_total", "X.", [] { return 1.0; }), std::invalid_argument);
  EXPECT_TRUE(contains(r.render(), "x_total 1\n"));
}

TEST(MetricsTest, ConcurrentIncrementsAreNotLost) {
  Registry r;
  auto& family = r.counter_family("x_total", "X.", {"t"});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&family] {
      for (int i = 0; i < 10000; ++i) family.with({"same"}).inc();
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(family.with({"same"}).value(), 40000u);
}

}  // namespace
}  // namespace latchkey::metrics
