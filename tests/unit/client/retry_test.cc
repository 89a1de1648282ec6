// Retry-After parsing and the back-off arithmetic of RetryPolicy.
#include <gtest/gtest.h>

#include "client/internal/retry_after.h"
#include "client/internal/send_with_retry.h"

namespace latchkey::client::internal {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// 1994-11-06T08:49:37Z, the RFC's example date.
constexpr std::int64_t kRfcDate = 784'111'777;

// Test that delay-seconds and IMF-fixdate are both read, relative to now.
TEST(RetryAfterTest, ReadsSecondsAndHttpDates) {
  EXPECT_EQ(parse_retry_after("120", 0), seconds(120));
  EXPECT_EQ(parse_retry_after(" 0 ", 0), seconds(0));
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", kRfcDate - 30), seconds(30));
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", kRfcDate + 30), seconds(0));
}

// Test that nonsense is "no Retry-After" and huge values are capped.
TEST(RetryAfterTest, RejectsNonsenseAndCapsHugeValues) {
  for (const char* bad : {"", "-1", "1.5", "soon", "Sun, 06 Nov 1994 08:49:37 UTC",
                          "Sun, 31 Feb 1994 08:49:37 GMT", "Sun, 06 Xyz 1994 08:49:37 GMT"}) {
    EXPECT_EQ(parse_retry_after(bad, 0), std::nullopt) << bad;
  }
  EXPECT_EQ(parse_retry_after("99999999999999999999", 0), seconds(86'400));
}

// Test the wait formula: max(Retry-After, exponential back-off capped at
// max_backoff), lengthened by at most `jitter`.
TEST(RetryWaitTest, ExponentialCappedAndNeverBelowRetryAfter) {
  RetryPolicy policy{.initial_backoff = milliseconds(500),
                     .max_backoff = milliseconds(4000),
                     .jitter = 0.5,
                     .random = [] { return 0.0; }};
  EXPECT_EQ(retry_wait(policy, 1, std::nullopt), milliseconds(500));
  EXPECT_EQ(retry_wait(policy, 2, std::nullopt), milliseconds(1000));
  EXPECT_EQ(retry_wait(policy, 4, std::nullopt), milliseconds(4000));
  EXPECT_EQ(retry_wait(policy, 60, std::nullopt), milliseconds(4000));
  EXPECT_EQ(retry_wait(policy, 1, seconds(7)), milliseconds(7000));
  EXPECT_EQ(retry_wait(policy, 4, seconds(1)), milliseconds(4000));
  policy.random = [] { return 0.5; };
  EXPECT_EQ(retry_wait(policy, 1, seconds(2)), milliseconds(2500));
}

}  // namespace
}  // namespace latchkey::client::internal
