// The in-memory usage counter (usage/usage_counter.h): what the pipeline
// records is exactly what a flush takes, per key, route, status class and
// UTC hour; totals since the start feed the per-key metrics.
#include "usage/usage_counter.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <thread>
#include <vector>

namespace latchkey::usage {
namespace {

using std::chrono::hours;
using std::chrono::minutes;

const Instant kHour = from_unix_millis(1'795'000'000'000 / 3'600'000 * 3'600'000);

std::uint64_t count_of(const std::vector<PendingCount>& counts, std::string_view key,
                       std::string_view route, std::size_t cls, Instant hour) {
  std::uint64_t n = 0;
  for (const PendingCount& c : counts) {
    if (c.key_id == key && c.route == route && c.status_class == cls && c.hour == hour) {
      n += c.count;
    }
  }
  return n;
}

// Test the status classes and the UTC hour and day boundaries.
TEST(UsageCounter, StatusClassesAndBuckets) {
  EXPECT_EQ(status_class_name(status_class_index(200)), "2xx");
  EXPECT_EQ(status_class_name(status_class_index(204)), "2xx");
  EXPECT_EQ(status_class_name(status_class_index(304)), "3xx");
  EXPECT_EQ(status_class_name(status_class_index(401)), "4xx");
  EXPECT_EQ(status_class_name(status_class_index(429)), "4xx");
  EXPECT_EQ(status_class_name(status_class_index(503)), "5xx");
  EXPECT_EQ(hour_start(kHour + minutes(59)), kHour);
  EXPECT_EQ(hour_start(kHour + minutes(60)), kHour + hours(1));
  EXPECT_EQ(hour_start(kHour - std::chrono::milliseconds(1)), kHour - hours(1));
  const Instant day = from_unix_millis(1'795'000'000'000 / 86'400'000 * 86'400'000);
  EXPECT_EQ(day_start(day + hours(23)), day);
  EXPECT_EQ(day_start(day + hours(24)), day + hours(24));
  EXPECT_EQ(format_rfc3339(day).substr(11), "00:00:00.000Z");
}

// Test that records aggregate per (key, route, class, hour), that a take
// empties memory, and that requests on both sides of an hour boundary land
// in two buckets.
TEST(UsageCounter, AggregatesAndTakes) {
  UsageCounter counter;
  for (int i = 0; i < 3; ++i) counter.record("key_a", "GET /x", 200, "", kHour + minutes(10));
  counter.record("key_a", "GET /x", 429, "rate_limited", kHour + minutes(59));
  counter.record("key_a", "GET /x", 200, "", kHour + minutes(60));
  counter.record("key_b", "POST /y", 201, "", kHour);
  EXPECT_EQ(counter.pending_size(), 4u);
  const auto pending_a = counter.pending_of("key_a");
  EXPECT_EQ(count_of(pending_a, "key_a", "GET /x", 0, kHour), 3u);
  EXPECT_EQ(count_of(pending_a, "key_b", "POST /y", 0, kHour), 0u);  // another key's
  auto taken = counter.take_pending();
  EXPECT_EQ(count_of(taken, "key_a", "GET /x", 0, kHour), 3u);
  EXPECT_EQ(count_of(taken, "key_a", "GET /x", 2, kHour), 1u);
  EXPECT_EQ(count_of(taken, "key_a", "GET /x", 0, kHour + hours(1)), 1u);
  EXPECT_EQ(count_of(taken, "key_b", "POST /y", 0, kHour), 1u);
  EXPECT_EQ(counter.pending_size(), 0u);
  EXPECT_TRUE(counter.take_pending().empty());
  // Totals outlive the take: they count since the start.
  auto totals = counter.totals();
  std::sort(totals.begin(), totals.end(),
            [](const KeyTotals& a, const KeyTotals& b) { return a.key_id < b.key_id; });
  ASSERT_EQ(totals.size(), 2u);
  EXPECT_EQ(totals[0].total(), 5u);
  EXPECT_EQ(totals[0].requests[2], 1u);
  ASSERT_EQ(totals[0].rejections.size(), 1u);
  EXPECT_EQ(totals[0].rejections[0].first, "rate_limited");
  EXPECT_EQ(totals[0].rejections[0].second, 1u);
  EXPECT_EQ(totals[1].total(), 1u);
}

// Test that restored counts (a failed flush) add to what came meanwhile.
TEST(UsageCounter, RestoreAddsBack) {
  UsageCounter counter;
  counter.record("key_a", "GET /x", 200, "", kHour);
  auto taken = counter.take_pending();
  counter.record("key_a", "GET /x", 200, "", kHour);
  counter.restore(taken);
  EXPECT_EQ(count_of(counter.take_pending(), "key_a", "GET /x", 0, kHour), 2u);
  // Restoring does not count the requests twice in the totals.
  EXPECT_EQ(counter.totals().front().total(), 2u);
}

// Test that concurrent recorders lose nothing.
TEST(UsageCounter, ConcurrentRecordsAreExact) {
  UsageCounter counter;
  constexpr int kThreads = 8;
  constexpr int kEach = 5000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&counter, t] {
      for (int i = 0; i < kEach; ++i) {
        counter.record(t % 2 == 0 ? "key_even" : "key_odd", i % 2 == 0 ? "GET /a" : "GET /b", 200,
                       "", kHour);
      }
    });
  }
  for (auto& th : threads) th.join();
  const auto taken = counter.take_pending();
  std::uint64_t sum = 0;
  for (const PendingCount& c : taken) sum += c.count;
  EXPECT_EQ(sum, std::uint64_t{kThreads} * kEach);
  EXPECT_EQ(count_of(taken, "key_even", "GET /a", 0, kHour),
            std::uint64_t{kThreads / 2 * kEach / 2});
}

}  // namespace
}  // namespace latchkey::usage
