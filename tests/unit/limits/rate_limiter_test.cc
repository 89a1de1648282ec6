#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "limiter_backends.h"
#include "support/fake_clock.h"

namespace latchkey::limits {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::FakeClock;

// Test that, with requests arriving at irregular instants for ten minutes,
// no 60-second window (starting anywhere) holds more than 60 admissions,
// and that every refusal happened with exactly 60 admissions in the
// preceding 60 s: the limiter is exact, never too strict or too lax.
TEST_P(RateLimiterTest, ExactlySixtyInAnySixtySecondWindow) {
  FakeClock clock;
  auto limiter = make(clock);
  const Instant start = clock.now();
  std::vector<Instant> admitted;
  std::uint64_t lcg = 12345;
  int refused = 0;
  while (clock.now() - start < std::chrono::minutes(10)) {
    lcg = lcg * 6364136223846793005ULL + 1442695040888963407ULL;
    // Gaps of 0..1999 ms, with bursts of zero gaps.
    const auto gap = (lcg >> 33) % 4 == 0 ? 0 : static_cast<std::int64_t>((lcg >> 20) % 2000);
    clock.advance(milliseconds(gap));
    const Instant now = clock.now();
    const RateLimitState state = limiter->admit("key_a", 60);
    int in_window = 0;
    for (const Instant t : admitted) in_window += t > now - seconds(60) ? 1 : 0;
    if (state.admitted) {
      ASSERT_LT(in_window, 60);
      admitted.push_back(now);
      EXPECT_EQ(state.remaining, 60 - in_window - 1);
    } else {
      ++refused;
      ASSERT_EQ(in_window, 60) << "refused with room in the window";
      EXPECT_EQ(state.remaining, 0);
    }
  }
  ASSERT_GT(refused, 100);  // the test did exercise the limit
  // Every window [s, s + 60 s) with s at an admission instant (the worst
  // cases) holds at most 60.
  for (std::size_t i = 0; i < admitted.size(); ++i) {
    std::size_t j = i;
    while (j < admitted.size() && admitted[j] < admitted[i] + seconds(60)) ++j;
    ASSERT_LE(j - i, 60u) << "window starting at admission " << i;
  }
}

// Test that the 61st request is refused with Retry-After = the time until
// the oldest admission leaves the window, rounded up to whole seconds, and
// that RateLimit-* values describe it.
TEST_P(RateLimiterTest, SixtyFirstRefusedWithRetryAfterOfOldest) {
  FakeClock clock;
  auto limiter = make(clock);
  for (int i = 0; i < 60; ++i) {
    const RateLimitState s = limiter->admit("k", 60);
    ASSERT_TRUE(s.admitted) << i;
    EXPECT_EQ(s.limit, 60);
    EXPECT_EQ(s.remaining, 59 - i);
    EXPECT_EQ(s.retry_after, seconds(0));
    if (i == 0) clock.advance(milliseconds(10'300));  // oldest at t0, the rest at t0+10.3 s
  }
  clock.advance(milliseconds(5'000));  // now t0 + 15.3 s: the oldest leaves at t0 + 60 s
  const RateLimitState refused = limiter->admit("k", 60);
  EXPECT_FALSE(refused.admitted);
  EXPECT_EQ(refused.remaining, 0);
  EXPECT_EQ(refused.retry_after, seconds(45));  // 44.7 s rounded up
  EXPECT_EQ(refused.reset, seconds(45));
  EXPECT_EQ(refused.limit, 60);
}

// Test that the window slides: once the oldest admission is 60 s old,
// exactly one more request is admitted, and the next is refused until the
// following one leaves.
TEST_P(RateLimiterTest, WindowSlidesOneAtATime) {
  FakeClock clock;
  auto limiter = make(clock);
  for (int i = 0; i < 60; ++i) {
    ASSERT_TRUE(limiter->admit("k", 60).admitted);
    clock.advance(seconds(1));  // admissions at t0, t0+1, ..., t0+59
  }
  // now t0 + 60: the first admission just left.
  EXPECT_TRUE(limiter->admit("k", 60).admitted);
  const RateLimitState refused = limiter->admit("k", 60);
  EXPECT_FALSE(refused.admitted);
  EXPECT_EQ(refused.retry_after, seconds(1));  // t0+1 leaves at t0+61
  clock.advance(milliseconds(999));
  EXPECT_FALSE(limiter->admit("k", 60).admitted);
  clock.advance(milliseconds(1));
  EXPECT_TRUE(limiter->admit("k", 60).admitted);
  EXPECT_FALSE(limiter->admit("k", 60).admitted);
}

// Test that keys are counted independently.
TEST_P(RateLimiterTest, KeysAreIndependent) {
  FakeClock clock;
  auto limiter = make(clock);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(limiter->admit("a", 3).admitted);
  EXPECT_FALSE(limiter->admit("a", 3).admitted);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter->admit("b", 3).admitted);
  EXPECT_FALSE(limiter->admit("b", 3).admitted);
}

// Test that a lowered limit applies at once and that raising it again
// within the window does not forget the admissions already made.
TEST_P(RateLimiterTest, LimitChangesKeepTheWindowExact) {
  FakeClock clock;
  auto limiter = make(clock);
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(limiter->admit("k", 10).admitted);
  const RateLimitState lowered = limiter->admit("k", 5);
  EXPECT_FALSE(lowered.admitted);
  EXPECT_EQ(lowered.limit, 5);
  EXPECT_EQ(lowered.remaining, 0);
  // Back to 10: still 10 in the window, so nothing more.
  EXPECT_FALSE(limiter->admit("k", 10).admitted);
  // Raised to 12: exactly two more.
  EXPECT_TRUE(limiter->admit("k", 12).admitted);
  EXPECT_TRUE(limiter->admit("k", 12).admitted);
  EXPECT_FALSE(limiter->admit("k", 12).admitted);
  clock.advance(seconds(60));
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(limiter->admit("k", 5).admitted);
  EXPECT_FALSE(limiter->admit("k", 5).admitted);
}

// Test that a limit <= 0 admits everything.
TEST_P(RateLimiterTest, ZeroIsUnlimited) {
  FakeClock clock;
  auto limiter = make(clock);
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(limiter->admit("k", 0).admitted);
}

// Test that RateLimit-Reset says when one more request becomes available
// while there is still room (the oldest admission leaving), and is 0 for a
// fresh key.
TEST_P(RateLimiterTest, ResetIsWhenTheOldestLeaves) {
  FakeClock clock;
  auto limiter = make(clock);
  const RateLimitState first = limiter->admit("k", 60);
  EXPECT_EQ(first.reset, seconds(60));
  clock.advance(milliseconds(20'500));
  const RateLimitState second = limiter->admit("k", 60);
  EXPECT_EQ(second.reset, seconds(40));  // 39.5 s rounded up
  EXPECT_EQ(second.remaining, 58);
}

// Test that a custom window length is honoured.
TEST_P(RateLimiterTest, CustomWindow) {
  FakeClock clock;
  auto limiter = make(clock, seconds(10));
  ASSERT_TRUE(limiter->admit("k", 1).admitted);
  EXPECT_EQ(limiter->admit("k", 1).retry_after, seconds(10));
  clock.advance(seconds(10));
  EXPECT_TRUE(limiter->admit("k", 1).admitted);
}

}  // namespace
}  // namespace latchkey::limits
