// Store conformance for usage per API key (usage_store.h): upserts add,
// one flush is one transaction, reads are per key, granularity and range,
// pruning is by granularity and bucket start. Runs on every backend through
// StoreConformanceTest.
#include <gtest/gtest.h>

#include <chrono>

#include "store/usage_store.h"
#include "unit/store/store_conformance.h"

namespace latchkey::testing {
namespace {

using std::chrono::hours;

UsageRow row(std::string key, UsageGranularity g, Instant bucket, std::string route,
             std::string cls, std::int64_t n) {
  return UsageRow{std::move(key), g, bucket, std::move(route), std::move(cls), n};
}

// Test that adding a row twice adds the counts (upsert), per (key,
// granularity, bucket, route, status class), and that the rows survive a
// reopen.
TEST_P(StoreConformanceTest, UsageUpsertAddsCounts) {
  const Instant h = from_unix_millis(1'795'000'000'000 / 3'600'000 * 3'600'000);
  const auto kHour = UsageGranularity::kHour;
  ASSERT_TRUE(store_->usage().add_usage(
      {row("key_a", kHour, h, "GET /x", "2xx", 3), row("key_a", kHour, h, "GET /x", "4xx", 1)}));
  ASSERT_TRUE(store_->usage().add_usage(
      {row("key_a", kHour, h, "GET /x", "2xx", 2), row("key_b", kHour, h, "GET /x", "2xx", 7)}));
  reopen();
  auto rows = store_->usage().usage_of_key("key_a", kHour, h, h + hours(1));
  ASSERT_TRUE(rows) << rows.error().description;
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0], row("key_a", kHour, h, "GET /x", "2xx", 5));
  EXPECT_EQ((*rows)[1], row("key_a", kHour, h, "GET /x", "4xx", 1));
  auto other = store_->usage().usage_of_key("key_b", kHour, h, h + hours(1));
  ASSERT_TRUE(other);
  ASSERT_EQ(other->size(), 1u);
  EXPECT_EQ(other->front().count, 7);
}

// Test that a read returns only the asked granularity and the buckets that
// start in [from, to), ordered by bucket, route and status class.
TEST_P(StoreConformanceTest, UsageReadsGranularityAndRange) {
  const Instant d = from_unix_millis(1'795'000'000'000 / 86'400'000 * 86'400'000);
  const auto kHour = UsageGranularity::kHour;
  const auto kDay = UsageGranularity::kDay;
  ASSERT_TRUE(store_->usage().add_usage({
      row("key_a", kHour, d + hours(2), "POST /b", "2xx", 1),
      row("key_a", kHour, d + hours(1), "POST /b", "2xx", 2),
      row("key_a", kHour, d + hours(1), "GET /a", "5xx", 3),
      row("key_a", kHour, d + hours(3), "GET /a", "2xx", 4),
      row("key_a", kDay, d, "GET /a", "2xx", 10),
  }));
  auto rows = store_->usage().usage_of_key("key_a", kHour, d + hours(1), d + hours(3));
  ASSERT_TRUE(rows);
  ASSERT_EQ(rows->size(), 3u);
  EXPECT_EQ((*rows)[0], row("key_a", kHour, d + hours(1), "GET /a", "5xx", 3));
  EXPECT_EQ((*rows)[1], row("key_a", kHour, d + hours(1), "POST /b", "2xx", 2));
  EXPECT_EQ((*rows)[2], row("key_a", kHour, d + hours(2), "POST /b", "2xx", 1));
  auto days = store_->usage().usage_of_key("key_a", kDay, d, d + hours(24));
  ASSERT_TRUE(days);
  ASSERT_EQ(days->size(), 1u);
  EXPECT_EQ(days->front().count, 10);
}

// Test that a flush with an invalid row writes nothing at all (one
// transaction): the valid rows before it are not stored either.
TEST_P(StoreConformanceTest, UsageFlushIsAllOrNothing) {
  const Instant h = from_unix_millis(1'795'000'000'000 / 3'600'000 * 3'600'000);
  const auto kHour = UsageGranularity::kHour;
  auto bad = store_->usage().add_usage(
      {row("key_a", kHour, h, "GET /x", "2xx", 1), row("key_a", kHour, h, "GET /x", "9xx", 1)});
  EXPECT_FALSE(bad);
  auto rows = store_->usage().usage_of_key("key_a", kHour, h, h + hours(1));
  ASSERT_TRUE(rows);
  EXPECT_TRUE(rows->empty());
}

// Test that pruning deletes the rows of one granularity whose bucket started
// before the bound, and nothing else.
TEST_P(StoreConformanceTest, UsagePruneByGranularityAndBucket) {
  const Instant d = from_unix_millis(1'795'000'000'000 / 86'400'000 * 86'400'000);
  const auto kHour = UsageGranularity::kHour;
  const auto kDay = UsageGranularity::kDay;
  ASSERT_TRUE(store_->usage().add_usage({
      row("key_a", kHour, d, "GET /a", "2xx", 1),
      row("key_b", kHour, d + hours(1), "GET /a", "2xx", 1),
      row("key_a", kHour, d + hours(2), "GET /a", "2xx", 1),
      row("key_a", kDay, d, "GET /a", "2xx", 3),
  }));
  auto pruned = store_->usage().prune_usage(kHour, d + hours(2));
  ASSERT_TRUE(pruned);
  EXPECT_EQ(*pruned, 2);
  auto hourly = store_->usage().usage_of_key("key_a", kHour, d, d + hours(24));
  ASSERT_TRUE(hourly);
  ASSERT_EQ(hourly->size(), 1u);
  EXPECT_EQ(hourly->front().bucket_start, d + hours(2));
  auto daily = store_->usage().usage_of_key("key_a", kDay, d, d + hours(24));
  ASSERT_TRUE(daily);
  EXPECT_EQ(daily->size(), 1u);
  auto none = store_->usage().prune_usage(kDay, d);
  ASSERT_TRUE(none);
  EXPECT_EQ(*none, 0);
}

}  // namespace
}  // namespace latchkey::testing
