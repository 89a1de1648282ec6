#include "core/time.h"

#include <gtest/gtest.h>

namespace latchkey {
namespace {

// Test that instants format as RFC 3339 UTC with milliseconds.
TEST(Time, FormatsRfc3339) {
  EXPECT_EQ(format_rfc3339(from_unix_millis(0)), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(format_rfc3339(from_unix_millis(1'795'000'000'123)), "2026-11-18T11:06:40.123Z");
  // Leap day, the last millisecond of a year, and before 1970.
  EXPECT_EQ(format_rfc3339(from_unix_millis(951'782'400'000)), "2000-02-29T00:00:00.000Z");
  EXPECT_EQ(format_rfc3339(from_unix_millis(1'798'761'599'999)), "2026-12-31T23:59:59.999Z");
  EXPECT_EQ(format_rfc3339(from_unix_millis(-1)), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(format_rfc3339(from_unix_millis(-86'400'000)), "1969-12-31T00:00:00.000Z");
}

// Test that expires_in never goes negative.
TEST(Time, SecondsUntilClampsAtZero) {
  EXPECT_EQ(seconds_until(from_unix_millis(0), from_unix_millis(5'999)), 5);
  EXPECT_EQ(seconds_until(from_unix_millis(9'000), from_unix_millis(1'000)), 0);
}

}  // namespace
}  // namespace latchkey
