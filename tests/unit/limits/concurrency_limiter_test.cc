#include <gtest/gtest.h>

#include <optional>
#include <utility>
#include <vector>

#include "limiter_backends.h"
#include "support/fake_clock.h"

namespace latchkey::limits {
namespace {

// Test that at most `limit` slots are held at once and the next is refused
// at once (no queueing).
TEST_P(ConcurrencyLimiterTest, FiveHeldSixthRefused) {
  testing::FakeClock clock;
  auto owned = make(clock);
  ConcurrencyLimiter& limiter = *owned;
  std::vector<Slot> held;
  for (int i = 0; i < 5; ++i) {
    auto slot = limiter.try_acquire("key_a POST /x", 5);
    ASSERT_TRUE(slot.has_value()) << i;
    EXPECT_TRUE(slot->held());
    held.push_back(std::move(*slot));
  }
  EXPECT_EQ(limiter.in_use("key_a POST /x"), 5);
  EXPECT_FALSE(limiter.try_acquire("key_a POST /x", 5).has_value());
  // Another key, or another route, is independent.
  EXPECT_TRUE(limiter.try_acquire("key_b POST /x", 5).has_value());
  EXPECT_TRUE(limiter.try_acquire("key_a GET /y", 5).has_value());
}

// Test that a slot is given back when it is destroyed.
TEST_P(ConcurrencyLimiterTest, DestructionReleases) {
  testing::FakeClock clock;
  auto owned = make(clock);
  ConcurrencyLimiter& limiter = *owned;
  {
    auto a = limiter.try_acquire("k", 1);
    ASSERT_TRUE(a.has_value());
    EXPECT_FALSE(limiter.try_acquire("k", 1).has_value());
  }
  EXPECT_EQ(limiter.in_use("k"), 0);
  EXPECT_TRUE(limiter.try_acquire("k", 1).has_value());
}

// Test that an early release() frees the slot once and the destructor then
// does nothing.
TEST_P(ConcurrencyLimiterTest, EarlyReleaseIsOnce) {
  testing::FakeClock clock;
  auto owned = make(clock);
  ConcurrencyLimiter& limiter = *owned;
  auto a = limiter.try_acquire("k", 2);
  auto b = limiter.try_acquire("k", 2);
  ASSERT_TRUE(a && b);
  a->release();
  EXPECT_FALSE(a->held());
  a->release();
  EXPECT_EQ(limiter.in_use("k"), 1);
  a.reset();
  EXPECT_EQ(limiter.in_use("k"), 1);
}

// Test that moving a slot moves ownership: only the destination releases,
// and move-assigning over a held slot releases the old one.
TEST_P(ConcurrencyLimiterTest, MoveTransfersOwnership) {
  testing::FakeClock clock;
  auto owned = make(clock);
  ConcurrencyLimiter& limiter = *owned;
  auto a = limiter.try_acquire("k", 2);
  ASSERT_TRUE(a.has_value());
  Slot moved(std::move(*a));
  EXPECT_FALSE(a->held());
  EXPECT_TRUE(moved.held());
  a.reset();
  EXPECT_EQ(limiter.in_use("k"), 1);
  auto b = limiter.try_acquire("k", 2);
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(limiter.in_use("k"), 2);
  moved = std::move(*b);  // releases moved's own slot, takes b's
  EXPECT_EQ(limiter.in_use("k"), 1);
  Slot empty;
  moved = std::move(empty);
  EXPECT_EQ(limiter.in_use("k"), 0);
}

// Test that a limit <= 0 never refuses but still counts.
TEST_P(ConcurrencyLimiterTest, ZeroIsUnlimited) {
  testing::FakeClock clock;
  auto owned = make(clock);
  ConcurrencyLimiter& limiter = *owned;
  std::vector<Slot> held;
  for (int i = 0; i < 100; ++i) held.push_back(*limiter.try_acquire("k", 0));
  EXPECT_EQ(limiter.in_use("k"), 100);
  held.clear();
  EXPECT_EQ(limiter.in_use("k"), 0);
}

}  // namespace
}  // namespace latchkey::limits
