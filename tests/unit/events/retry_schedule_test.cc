#include "events/retry_schedule.h"

#include <gtest/gtest.h>

#include "support/counter_random.h"

namespace latchkey::events {
namespace {

using std::chrono::hours;
using std::chrono::seconds;

// Test the documented schedule: 10 s, 20 s, 40 s, ... doubling, at most one
// hour.
TEST(RetrySchedule, DoublesFromTenSecondsUpToAnHour) {
  EXPECT_EQ(nominal_retry_delay(1), seconds(10));
  EXPECT_EQ(nominal_retry_delay(2), seconds(20));
  EXPECT_EQ(nominal_retry_delay(3), seconds(40));
  EXPECT_EQ(nominal_retry_delay(9), seconds(2560));
  EXPECT_EQ(nominal_retry_delay(10), hours(1));
  EXPECT_EQ(nominal_retry_delay(19), hours(1));
  EXPECT_EQ(nominal_retry_delay(1000), hours(1));  // no overflow
  // The 20 attempts of the default max_attempts span this long (docs/webhooks.md).
  Duration total{0};
  for (int n = 1; n < 20; ++n) total += nominal_retry_delay(n);
  EXPECT_EQ(total, seconds(41110));
}

// Test that jitter only shortens a delay, by at most a quarter, and that
// delays differ between draws.
TEST(RetrySchedule, JitterShortensByAtMostAQuarter) {
  testing::CounterRandom random(7);
  bool varied = false;
  Duration previous{-1};
  for (int i = 0; i < 200; ++i) {
    const int n = 1 + i % 12;
    const Duration d = retry_delay(n, random);
    EXPECT_LE(d, nominal_retry_delay(n));
    EXPECT_GE(d, nominal_retry_delay(n) * 3 / 4);
    if (n == 1 && previous.count() >= 0 && d != previous) varied = true;
    if (n == 1) previous = d;
  }
  EXPECT_TRUE(varied);
  RetrySchedule none;
  none.jitter = 0;
  EXPECT_EQ(retry_delay(2, random, none), seconds(20));
}

}  // namespace
}  // namespace latchkey::events
