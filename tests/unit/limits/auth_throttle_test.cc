#include "limits/auth_throttle.h"

#include <gtest/gtest.h>

#include "support/fake_clock.h"

namespace latchkey::limits {
namespace {

using std::chrono::seconds;
using testing::FakeClock;

// Test that the first five failures of a client id cost nothing, and each
// further one doubles the delay: 1, 2, 4, 8 ... seconds, capped at 300.
TEST(AuthThrottleTest, DelaysDoubleAfterFreeFailuresAndAreCapped) {
  FakeClock clock;
  AuthThrottle throttle(clock);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(throttle.wait_before("client", "10.0.0.1"), seconds(0)) << i;
    throttle.failed("client", "10.0.0.1");
  }
  EXPECT_EQ(throttle.wait_before("client", "10.0.0.1"), seconds(0));
  const int expected[] = {1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300};
  for (int want : expected) {
    throttle.failed("client", "10.0.0.1");
    EXPECT_EQ(throttle.wait_before("client", "10.0.0.1"), seconds(want));
    // Waiting out the delay allows the next attempt.
    clock.advance(seconds(want));
    EXPECT_EQ(throttle.wait_before("client", "10.0.0.1"), seconds(0));
  }
}

// Test that a success clears the client id's count, so the next failure is
// free again.
TEST(AuthThrottleTest, SuccessClearsTheClientId) {
  FakeClock clock;
  AuthThrottle throttle(clock);
  for (int i = 0; i < 6; ++i) throttle.failed("client", "10.0.0.1");
  EXPECT_EQ(throttle.wait_before("client", "10.0.0.2"), seconds(1));
  clock.advance(seconds(1));
  throttle.succeeded("client", "10.0.0.1");
  throttle.failed("client", "10.0.0.1");
  EXPECT_EQ(throttle.wait_before("client", "10.0.0.1"), seconds(0));
}

// Test that one client id's failures do not slow another client id.
TEST(AuthThrottleTest, ClientIdsAreIndependent) {
  FakeClock clock;
  AuthThrottle throttle(clock);
  for (int i = 0; i < 8; ++i) throttle.failed("victim", "10.0.0.1");
  EXPECT_GT(throttle.wait_before("victim", "10.0.0.9"), seconds(0));
  EXPECT_EQ(throttle.wait_before("other", "10.0.0.1"), seconds(0));
}

// Test that failures spread over many client ids from one IP are throttled
// by IP after 20, for every client id from that IP, but not other IPs.
TEST(AuthThrottleTest, IpThresholdCatchesSpreadFailures) {
  FakeClock clock;
  AuthThrottle throttle(clock);
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(throttle.wait_before("c" + std::to_string(i), "10.0.0.1"), seconds(0));
    throttle.failed("c" + std::to_string(i), "10.0.0.1");
  }
  EXPECT_EQ(throttle.wait_before("fresh", "10.0.0.1"), seconds(0));
  throttle.failed("c20", "10.0.0.1");
  EXPECT_EQ(throttle.wait_before("fresh", "10.0.0.1"), seconds(1));
  EXPECT_EQ(throttle.wait_before("fresh", "10.0.0.2"), seconds(0));
  // An empty client id (unparseable credentials) is throttled by IP only.
  EXPECT_EQ(throttle.wait_before("", "10.0.0.1"), seconds(1));
}

// Test that a success does not clear the IP's count (one valid credential
// must not launder a stuffing run).
TEST(AuthThrottleTest, SuccessDoesNotClearTheIp) {
  FakeClock clock;
  AuthThrottle throttle(clock);
  for (int i = 0; i < 21; ++i) throttle.failed("c" + std::to_string(i), "10.0.0.1");
  throttle.succeeded("good", "10.0.0.1");
  EXPECT_EQ(throttle.wait_before("good", "10.0.0.1"), seconds(1));
}

// Test that counts are forgotten after 15 minutes without a failure.
TEST(AuthThrottleTest, CountsAreForgottenAfterTheQuietPeriod) {
  FakeClock clock;
  AuthThrottle throttle(clock);
  for (int i = 0; i < 5; ++i) throttle.failed("client", "10.0.0.1");
  clock.advance(seconds(900));
  throttle.failed("client", "10.0.0.1");  // counted as the first again
  EXPECT_EQ(throttle.wait_before("client", "10.0.0.1"), seconds(0));
}

// Test that the options are honoured.
TEST(AuthThrottleTest, OptionsAreHonoured) {
  FakeClock clock;
  AuthThrottleOptions options;
  options.client_free_failures = 1;
  options.ip_free_failures = 100;
  options.max_delay = seconds(3);
  AuthThrottle throttle(clock, options);
  throttle.failed("c", "ip");
  EXPECT_EQ(throttle.wait_before("c", "ip"), seconds(0));
  throttle.failed("c", "ip");
  EXPECT_EQ(throttle.wait_before("c", "ip"), seconds(1));
  clock.advance(seconds(1));
  throttle.failed("c", "ip");
  EXPECT_EQ(throttle.wait_before("c", "ip"), seconds(2));
  clock.advance(seconds(2));
  throttle.failed("c", "ip");
  EXPECT_EQ(throttle.wait_before("c", "ip"), seconds(3));
}

}  // namespace
}  // namespace latchkey::limits
