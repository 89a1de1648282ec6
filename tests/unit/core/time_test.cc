#include "core/time.h"

#include <gtest/gtest.h>

namespace latchkey {
namespace {

// Test that instants format as RFC 3339 UTC with milliseconds.
TEST(Time, FormatsRfc3339) {
  EXPECT_EQ(format_rfc3339(from_unix_millis(0)), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(format_rfc3339(from_unix_millis(1'795'000'000'123)), "2026-11-18T11:06:40.123Z");
}

// Test that expires_in never goes negative.
TEST(Time, SecondsUntilClampsAtZero) {
  EXPECT_EQ(seconds_until(from_unix_millis(0), from_unix_millis(5'999)), 5);
  EXPECT_EQ(seconds_until(from_unix_millis(9'000), from_unix_millis(1'000)), 0);
}

}  // namespace
}  // namespace latchkey
