// Per-key metrics (usage/usage_metrics.h): only the top N keys by requests
// get their own key_id, the rest are summed as "other", so N + 5 keys in
// use give at most N + 1 key_id values; the sums stay exact.
#include "usage/usage_metrics.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace latchkey::usage {
namespace {

const Instant kAt = from_unix_millis(1'795'000'000'000);

std::set<std::string> key_ids(const std::vector<metrics::LabelledValue>& series) {
  std::set<std::string> out;
  for (const auto& s : series) out.insert(s.labels.at(0));
  return out;
}

double sum(const std::vector<metrics::LabelledValue>& series) {
  double n = 0;
  for (const auto& s : series) n += s.value;
  return n;
}

// Test the cardinality bound: N + 5 keys used, at most N + 1 key_id values
// on both metrics; the busiest N keep their own series, the sums are exact.
TEST(KeyUsageMetrics, TopNKeysAndOther) {
  constexpr std::size_t kTop = 3;
  UsageCounter counter;
  double requests = 0;
  for (std::size_t k = 0; k < kTop + 5; ++k) {
    const std::string key = "key_" + std::to_string(k);
    for (std::size_t i = 0; i <= k; ++i) {  // key_7 busiest, key_0 quietest
      counter.record(key, "GET /x", 200, "", kAt);
      ++requests;
    }
    counter.record(key, "GET /x", 429, "rate_limited", kAt);
    ++requests;
  }
  const KeySeries series = key_series(counter.totals(), kTop);
  const auto ids = key_ids(series.requests);
  EXPECT_EQ(ids, (std::set<std::string>{"key_7", "key_6", "key_5", "other"}));
  EXPECT_LE(ids.size(), kTop + 1);
  EXPECT_EQ(key_ids(series.rejections), ids);
  EXPECT_DOUBLE_EQ(sum(series.requests), requests);
  EXPECT_DOUBLE_EQ(sum(series.rejections), double(kTop + 5));
  for (const auto& s : series.requests) {
    if (s.labels[0] == "other" && s.labels[1] == "2xx") {
      EXPECT_DOUBLE_EQ(s.value, 1 + 2 + 3 + 4 + 5);
    }
    if (s.labels[0] == "key_7" && s.labels[1] == "4xx") {
      EXPECT_DOUBLE_EQ(s.value, 1);
    }
  }
}

// Test that 0 turns the metrics off and that fewer keys than N need no
// "other".
TEST(KeyUsageMetrics, OffAndFewKeys) {
  UsageCounter counter;
  counter.record("key_a", "GET /x", 200, "", kAt);
  EXPECT_TRUE(key_series(counter.totals(), 0).requests.empty());
  const KeySeries few = key_series(counter.totals(), 10);
  EXPECT_EQ(key_ids(few.requests), std::set<std::string>{"key_a"});
  EXPECT_TRUE(few.rejections.empty());
}

// Test that the registry renders the family with its labels, and forgets it
// when unregistered.
TEST(KeyUsageMetrics, RenderedOnTheRegistry) {
  metrics::Registry registry;
  UsageCounter counter;
  counter.record("key_a", "GET /x", 403, "no_application_entitlement", kAt);
  register_key_usage_metrics(registry, counter, 10);
  const std::string text = registry.render();
  EXPECT_NE(text.find("# TYPE latchkey_key_requests_total counter"), std::string::npos);
  EXPECT_NE(text.find("latchkey_key_requests_total{key_id=\"key_a\",status_class=\"4xx\"} 1"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("latchkey_key_rejections_total{key_id=\"key_a\",reason=\"no_application_"
                      "entitlement\"} 1"),
            std::string::npos)
      << text;
  unregister_key_usage_metrics(registry);
  EXPECT_EQ(registry.render().find("latchkey_key_requests_total"), std::string::npos);
}

}  // namespace
}  // namespace latchkey::usage
