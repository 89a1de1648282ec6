// Per-key metrics (usage/usage_metrics.h): at most N keys are ever promoted
// to their own key_id, the rest is summed as "other", so there are at most
// N + 1 key_id values, every series only grows, and the sums stay exact.
#include "usage/usage_metrics.h"

#include <gtest/gtest.h>

#include <map>
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

using SeriesValues = std::map<std::vector<std::string>, double>;

SeriesValues values(const std::vector<metrics::LabelledValue>& series) {
  SeriesValues out;
  for (const auto& s : series) out[s.labels] = s.value;
  return out;
}

// Every series of `before` is still in `after`, with a value at least as
// high: what Prometheus needs to read them as counters without resets.
void expect_monotonic(const SeriesValues& before, const SeriesValues& after) {
  for (const auto& [labels, value] : before) {
    const auto it = after.find(labels);
    ASSERT_NE(it, after.end()) << labels[0] << "/" << labels[1] << " disappeared";
    EXPECT_GE(it->second, value) << labels[0] << "/" << labels[1] << " decreased";
  }
}

// Test the cardinality bound: N + 5 keys used, at most N + 1 key_id values
// on both metrics; the busiest N are promoted at the first scrape and count
// from there on, their earlier requests stay in "other"; the sums are exact.
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
  KeySeriesSelector selector(kTop);
  const KeySeries first = selector.series(counter.totals());
  const auto ids = key_ids(first.requests);
  EXPECT_EQ(ids, (std::set<std::string>{"key_7", "key_6", "key_5", "other"}));
  EXPECT_EQ(key_ids(first.rejections), ids);
  EXPECT_DOUBLE_EQ(sum(first.requests), requests);
  EXPECT_DOUBLE_EQ(sum(first.rejections), double(kTop + 5));
  EXPECT_DOUBLE_EQ(values(first.requests).at({"key_7", "2xx"}), 0);

  counter.record("key_7", "GET /x", 200, "", kAt);
  counter.record("key_7", "GET /x", 403, "insufficient_scope", kAt);
  counter.record("key_0", "GET /x", 200, "", kAt);
  const KeySeries second = selector.series(counter.totals());
  EXPECT_EQ(key_ids(second.requests), ids);
  const SeriesValues v = values(second.requests);
  EXPECT_DOUBLE_EQ(v.at({"key_7", "2xx"}), 1);
  EXPECT_DOUBLE_EQ(v.at({"key_7", "4xx"}), 1);
  EXPECT_DOUBLE_EQ(v.at({"other", "2xx"}), (1 + 2 + 3 + 4 + 5 + 6 + 7 + 8) + 1);
  EXPECT_DOUBLE_EQ(values(second.rejections).at({"key_7", "insufficient_scope"}), 1);
  EXPECT_DOUBLE_EQ(sum(second.requests), requests + 3);
}

// Test that shifting the ranking between scrapes never makes a series
// decrease or disappear: once N keys are promoted the set is fixed, a key
// that becomes the busiest later stays in "other", and there are never more
// than N + 1 key_id values.
TEST(KeyUsageMetrics, SeriesStayMonotonicWhenTheRankingShifts) {
  constexpr std::size_t kTop = 2;
  UsageCounter counter;
  KeySeriesSelector selector(kTop);
  auto hit = [&](const std::string& key, int n, int status = 200) {
    for (int i = 0; i < n; ++i) {
      counter.record(key, "GET /x", status, status == 429 ? "rate_limited" : "", kAt);
    }
  };
  hit("key_a", 3);
  const KeySeries s1 = selector.series(counter.totals());  // promotes key_a
  hit("key_b", 5);
  hit("key_c", 9, 429);
  const KeySeries s2 = selector.series(counter.totals());  // promotes key_c: set full
  hit("key_b", 50);
  hit("key_d", 40, 429);
  hit("key_a", 1);
  const KeySeries s3 = selector.series(counter.totals());  // key_b, key_d busiest: in "other"
  for (const KeySeries* s : {&s1, &s2, &s3}) {
    EXPECT_LE(key_ids(s->requests).size(), kTop + 1);
    EXPECT_LE(key_ids(s->rejections).size(), kTop + 1);
  }
  expect_monotonic(values(s1.requests), values(s2.requests));
  expect_monotonic(values(s2.requests), values(s3.requests));
  expect_monotonic(values(s1.rejections), values(s2.rejections));
  expect_monotonic(values(s2.rejections), values(s3.rejections));
  EXPECT_EQ(key_ids(s3.requests), (std::set<std::string>{"key_a", "key_c", "other"}));
  EXPECT_DOUBLE_EQ(values(s3.requests).at({"key_a", "2xx"}), 1);
  EXPECT_DOUBLE_EQ(values(s3.requests).at({"other", "2xx"}), 3 + 5 + 50);
  EXPECT_DOUBLE_EQ(values(s3.rejections).at({"other", "rate_limited"}), 9 + 40);
  EXPECT_DOUBLE_EQ(sum(s3.requests), 3 + 5 + 9 + 50 + 40 + 1);
}

// Test that 0 turns the metrics off and that a key used before the first
// scrape is promoted with its earlier requests in "other".
TEST(KeyUsageMetrics, OffAndFewKeys) {
  UsageCounter counter;
  counter.record("key_a", "GET /x", 200, "", kAt);
  EXPECT_TRUE(KeySeriesSelector(0).series(counter.totals()).requests.empty());
  KeySeriesSelector selector(10);
  const KeySeries few = selector.series(counter.totals());
  EXPECT_EQ(key_ids(few.requests), (std::set<std::string>{"key_a", "other"}));
  EXPECT_TRUE(few.rejections.empty());
  counter.record("key_a", "GET /x", 200, "", kAt);
  EXPECT_DOUBLE_EQ(values(selector.series(counter.totals()).requests).at({"key_a", "2xx"}), 1);
}

// Test that the registry renders the family with its labels, and forgets it
// when unregistered.
TEST(KeyUsageMetrics, RenderedOnTheRegistry) {
  metrics::Registry registry;
  UsageCounter counter;
  counter.record("key_a", "GET /x", 200, "", kAt);
  register_key_usage_metrics(registry, counter, 10);
  registry.render();  // promotes key_a
  counter.record("key_a", "GET /x", 403, "no_application_entitlement", kAt);
  const std::string text = registry.render();
  EXPECT_NE(text.find("# TYPE latchkey_key_requests_total counter"), std::string::npos);
  EXPECT_NE(text.find("latchkey_key_requests_total{key_id=\"key_a\",status_"
                      "class=\"4xx\"} 1"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("latchkey_key_rejections_total{key_id=\"key_a\",reason="
                      "\"no_application_"
                      "entitlement\"} 1"),
            std::string::npos)
      << text;
  unregister_key_usage_metrics(registry);
  EXPECT_EQ(registry.render().find("latchkey_key_requests_total"), std::string::npos);
}

}  // namespace
}  // namespace latchkey::usage
