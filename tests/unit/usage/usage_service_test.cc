// UsageService (usage/usage_service.h) over the SQLite store with a fake
// clock: a flush stores hourly and daily rows, a read merges what is not yet
// flushed, a failed flush loses nothing, retention prunes by the injected
// clock.
#include "usage/usage_service.h"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>

#include "store/store.h"
#include "support/fake_clock.h"
#include "unit/store/temp_dir.h"

namespace latchkey::usage {
namespace {

using std::chrono::hours;
using std::chrono::minutes;

std::int64_t total(const std::vector<UsageRow>& rows) {
  std::int64_t n = 0;
  for (const UsageRow& r : rows) n += r.count;
  return n;
}

// A UsageStore whose writes fail while `failing` is set; with
// `lose_outcome` a write commits but reports a failure (the answer of a
// commit lost, e.g. the connection dropped after COMMIT).
class FailingUsageStore final : public UsageStore {
 public:
  explicit FailingUsageStore(UsageStore& inner) : inner_(inner) {}
  Status add_usage(const std::vector<UsageRow>& rows) override {
    if (failing) return fail(Error::unavailable("disk full"));
    if (lose_outcome) {
      if (auto s = inner_.add_usage(rows); !s) return s;
      return fail(Error::unavailable("connection lost after COMMIT"));
    }
    return inner_.add_usage(rows);
  }
  Result<std::vector<UsageRow>> usage_of_key(std::string_view key_id, UsageGranularity g,
                                             Instant from, Instant to) override {
    return inner_.usage_of_key(key_id, g, from, to);
  }
  Result<int> prune_usage(UsageGranularity g, Instant before) override {
    return inner_.prune_usage(g, before);
  }
  bool failing = false;
  bool lose_outcome = false;

 private:
  UsageStore& inner_;
};

class UsageServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    clock_.set(from_unix_millis(1'795'000'000'000 / 86'400'000 * 86'400'000) + hours(10));
    auto store = open_sqlite_store(StoreOptions{dir_.path()});
    ASSERT_TRUE(store) << store.error().description;
    store_ = std::move(*store);
    failing_ = std::make_unique<FailingUsageStore>(store_->usage());
    service_ = std::make_unique<UsageService>(
        *failing_, counter_, clock_,
        UsageOptions{.retention_days = 90, .hourly_retention_days = 14});
  }

  Instant day() const { return day_start(clock_.now()); }
  std::vector<UsageRow> read(UsageGranularity g, Instant from, Instant to) {
    auto rows = service_->usage_of_key("key_a", g, from, to);
    EXPECT_TRUE(rows) << rows.error().description;
    return rows ? *rows : std::vector<UsageRow>{};
  }

  testing::TempDir dir_;
  testing::FakeClock clock_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<FailingUsageStore> failing_;
  UsageCounter counter_;
  std::unique_ptr<UsageService> service_;
};

// Test that one flush writes hourly and daily rows (the day sums its
// hours), and that reads see each count exactly once before and after it.
TEST_F(UsageServiceTest, FlushWritesHoursAndDaysAndReadsAreExact) {
  counter_.record("key_a", "GET /x", 200, "", clock_.now());
  counter_.record("key_a", "GET /x", 200, "", clock_.now() + hours(1));
  counter_.record("key_a", "GET /x", 403, "forbidden", clock_.now() + hours(1));
  // Before the flush: all from memory.
  EXPECT_EQ(total(read(UsageGranularity::kHour, day(), day() + hours(24))), 3);
  EXPECT_EQ(total(read(UsageGranularity::kDay, day(), day() + hours(24))), 3);
  auto flushed = service_->flush();
  ASSERT_TRUE(flushed) << flushed.error().description;
  EXPECT_EQ(*flushed, 5u);  // 3 hourly rows, 2 daily (2xx and 4xx)
  EXPECT_EQ(counter_.pending_size(), 0u);
  // More after the flush: store + memory, nothing twice.
  counter_.record("key_a", "GET /x", 200, "", clock_.now());
  const auto hourly = read(UsageGranularity::kHour, day(), day() + hours(24));
  ASSERT_EQ(hourly.size(), 3u);
  EXPECT_EQ(hourly[0].bucket_start, hour_start(clock_.now()));
  EXPECT_EQ(hourly[0].count, 2);
  EXPECT_EQ(hourly[1].count, 1);
  EXPECT_EQ(hourly[2].status_class, "4xx");
  const auto daily = read(UsageGranularity::kDay, day(), day() + hours(24));
  ASSERT_EQ(daily.size(), 2u);
  EXPECT_EQ(daily[0].status_class, "2xx");
  EXPECT_EQ(daily[0].count, 3);
  EXPECT_EQ(daily[1].count, 1);
  // The range bounds bucket starts: [from, to).
  EXPECT_EQ(
      total(read(UsageGranularity::kHour, hour_start(clock_.now()) + hours(1), day() + hours(24))),
      2);
  // A second flush adds to the same rows.
  ASSERT_TRUE(service_->flush());
  EXPECT_EQ(total(read(UsageGranularity::kDay, day(), day() + hours(24))), 4);
}

// Test that a failed flush keeps every count in memory for the next one.
TEST_F(UsageServiceTest, FailedFlushLosesNothing) {
  counter_.record("key_a", "GET /x", 200, "", clock_.now());
  failing_->failing = true;
  EXPECT_FALSE(service_->flush());
  EXPECT_EQ(total(read(UsageGranularity::kHour, day(), day() + hours(24))), 1);
  failing_->failing = false;
  ASSERT_TRUE(service_->flush());
  EXPECT_EQ(counter_.pending_size(), 0u);
  EXPECT_EQ(total(read(UsageGranularity::kHour, day(), day() + hours(24))), 1);
}

// Test the documented limit of a failed flush: when a write committed but
// its outcome was lost, the counts go back to memory all the same and the
// next flush adds them again. Counting is at-least-once (docs/key-usage.md),
// never lossy.
TEST_F(UsageServiceTest, LostCommitOutcomeCountsAtLeastOnce) {
  counter_.record("key_a", "GET /x", 200, "", clock_.now());
  failing_->lose_outcome = true;
  EXPECT_FALSE(service_->flush());
  failing_->lose_outcome = false;
  ASSERT_TRUE(service_->flush());
  EXPECT_EQ(counter_.pending_size(), 0u);
  EXPECT_EQ(total(read(UsageGranularity::kHour, day(), day() + hours(24))), 2);
}

// Test retention with the injected clock: hourly rows go after the hourly
// retention (14 days), daily rows after the retention (90 days), not before.
TEST_F(UsageServiceTest, RetentionPrunesByTheInjectedClock) {
  const Instant start = clock_.now();
  counter_.record("key_a", "GET /x", 200, "", start);
  ASSERT_TRUE(service_->flush());
  const Instant from = day_start(start);
  const Instant to = from + hours(24);
  clock_.advance(hours(24 * 14));  // the hour is 14 days old, not older
  ASSERT_TRUE(service_->maintain());
  EXPECT_EQ(total(read(UsageGranularity::kHour, from, to)), 1);
  clock_.advance(hours(1));
  auto pruned = service_->maintain();
  ASSERT_TRUE(pruned);
  EXPECT_EQ(*pruned, 1);
  EXPECT_EQ(total(read(UsageGranularity::kHour, from, to)), 0);
  EXPECT_EQ(total(read(UsageGranularity::kDay, from, to)), 1);
  clock_.set(from + hours(24 * 90));  // the day is 90 days old: kept
  ASSERT_TRUE(service_->maintain());
  EXPECT_EQ(total(read(UsageGranularity::kDay, from, to)), 1);
  clock_.set(from + hours(24 * 91));
  ASSERT_TRUE(service_->maintain());
  EXPECT_EQ(total(read(UsageGranularity::kDay, from, to)), 0);
}

// Test that maintain_if_due() prunes once per hour of the injected clock.
TEST_F(UsageServiceTest, MaintenanceRunsOncePerClockHour) {
  counter_.record("key_a", "GET /x", 200, "", clock_.now());
  ASSERT_TRUE(service_->flush());
  ASSERT_TRUE(service_->maintain_if_due());
  clock_.advance(hours(24 * 15));
  auto pruned = service_->maintain_if_due();
  ASSERT_TRUE(pruned);
  EXPECT_EQ(*pruned, 1);
  counter_.record("key_a", "GET /x", 200, "", clock_.now() - hours(24 * 15));
  ASSERT_TRUE(service_->flush());
  auto same_hour = service_->maintain_if_due();
  ASSERT_TRUE(same_hour);
  EXPECT_EQ(*same_hour, 0);  // already maintained this hour
}

// Test the hourly retention never exceeds the retention.
TEST(UsageOptions, HourlyRetentionIsCapped) {
  testing::FakeClock clock;
  UsageCounter counter;
  class NoStore final : public UsageStore {
    Status add_usage(const std::vector<UsageRow>&) override { return {}; }
    Result<std::vector<UsageRow>> usage_of_key(std::string_view, UsageGranularity, Instant,
                                               Instant) override {
      return std::vector<UsageRow>{};
    }
    Result<int> prune_usage(UsageGranularity, Instant) override { return 0; }
  } store;
  UsageService service(store, counter, clock, {.retention_days = 7, .hourly_retention_days = 14});
  EXPECT_EQ(service.hourly_retention(), Duration(hours(24 * 7)));
  EXPECT_EQ(service.daily_retention(), Duration(hours(24 * 7)));
}

}  // namespace
}  // namespace latchkey::usage
