#include "limits/auth_throttle.h"

#include <gtest/gtest.h>

#include <string>

#include "support/fake_clock.h"

namespace latchkey::limits {
namespace {

using std::chrono::seconds;
using testing::FakeClock;

// An attempt that is admitted and turns out to be a wrong secret.
void fail(AuthThrottle& throttle, const std::string& client_id, const std::string& ip) {
  EXPECT_EQ(throttle.begin_attempt(client_id, ip), seconds(0)) << client_id << " " << ip;
  throttle.failed(client_id, ip);
}

// Test that the first five failures of a client id cost nothing, and each
// further one doubles the delay: 1, 2, 4, 8 ... seconds, capped at 300.
TEST(AuthThrottleTest, DelaysDoubleAfterFreeFailuresAndAreCapped) {
  FakeClock clock;
  AuthThrottle throttle(clock);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(throttle.wait_before("client", "10.0.0.1"), seconds(0)) << i;
    fail(throttle, "client", "10.0.0.1");
  }
  EXPECT_EQ(throttle.wait_before("client", "10.0.0.1"), seconds(0));
  const int expected[] = {1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300};
  for (int want : expected) {
    fail(throttle, "client", "10.0.0.1");
    EXPECT_EQ(throttle.wait_before("client", "10.0.0.1"), seconds(want));
    // A blocked attempt is refused with the wait, and is not counted (the
    // next delay is still the doubling of this one).
    EXPECT_EQ(throttle.begin_attempt("client", "10.0.0.1"), seconds(want));
    // Waiting out the delay allows the next attempt.
    clock.advance(seconds(want));
    EXPECT_EQ(throttle.wait_before("client", "10.0.0.1"), seconds(0));
  }
}

// Test the race the atomic check closes: once a client id has a standing
// failure, guesses that all start before any finishes are admitted only up to
// its remaining free failures (5 - 1 = 4); the others are refused at once.
TEST(AuthThrottleTest, ParallelGuessesAreBoundedOnceAFailureStands) {
  FakeClock clock;
  AuthThrottle throttle(clock);
  fail(throttle, "victim", "10.0.0.1");
  int admitted = 0;
  for (int i = 0; i < 20; ++i) {
    // Different source IPs: the client id alone must hold the line.
    const auto wait = throttle.begin_attempt("victim", "10.0.1." + std::to_string(i));
    if (wait == seconds(0)) {
      ++admitted;
    } else {
      EXPECT_EQ(wait, seconds(1)) << i;
    }
  }
  EXPECT_EQ(admitted, 4);
  for (int i = 0; i < 4; ++i) throttle.failed("victim", "10.0.1." + std::to_string(i));
  // Five failures: the free ones are used up; one more in flight at a time,
  // and its failure blocks.
  EXPECT_EQ(throttle.begin_attempt("victim", "10.0.2.1"), seconds(0));
  EXPECT_EQ(throttle.begin_attempt("victim", "10.0.2.2"), seconds(1));
  throttle.failed("victim", "10.0.2.1");
  EXPECT_EQ(throttle.wait_before("victim", "10.0.2.3"), seconds(1));
}

// Test the same from one source IP spread over many client ids.
TEST(AuthThrottleTest, ParallelGuessesFromOneIpAreBounded) {
  FakeClock clock;
  AuthThrottle throttle(clock);
  fail(throttle, "first", "10.0.0.1");
  int admitted = 0;
  for (int i = 0; i < 100; ++i) {
    if (throttle.begin_attempt("c" + std::to_string(i), "10.0.0.1") == seconds(0)) ++admitted;
  }
  EXPECT_EQ(admitted, 19);
}

// Test that logins with the right secret are never slowed, however many run
// in parallel for one client id and one IP (32 workers of one service
// account starting together).
TEST(AuthThrottleTest, ParallelRightSecretsAreNeverRefused) {
  FakeClock clock;
  AuthThrottle throttle(clock);
  for (int i = 0; i < 64; ++i) EXPECT_EQ(throttle.begin_attempt("svc", "10.0.0.1"), seconds(0));
  for (int i = 0; i < 64; ++i) throttle.succeeded("svc", "10.0.0.1");
  for (int i = 0; i < 5; ++i) fail(throttle, "svc", "10.0.0.1");
  EXPECT_EQ(throttle.wait_before("svc", "10.0.0.1"), seconds(0));
}

// Test that a refund (the secret was not judged) counts nothing and frees
// its place in flight.
TEST(AuthThrottleTest, RefundCountsNothing) {
  FakeClock clock;
  AuthThrottle throttle(clock);
  for (int i = 0; i < 5; ++i) fail(throttle, "client", "10.0.0.1");
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(throttle.begin_attempt("client", "10.0.0.1"), seconds(0)) << i;
    throttle.refund("client", "10.0.0.1");
  }
  EXPECT_EQ(throttle.wait_before("client", "10.0.0.1"), seconds(0));
  fail(throttle, "client", "10.0.0.1");  // the sixth failure
  EXPECT_EQ(throttle.wait_before("client", "10.0.0.1"), seconds(1));
  throttle.refund("nobody", "10.9.9.9");  // harmless
  throttle.refund("", "");
  EXPECT_EQ(throttle.wait_before("nobody", "10.9.9.9"), seconds(0));
}

// Test that a success clears the client id's count, so the next failure is
// free again.
TEST(AuthThrottleTest, SuccessClearsTheClientId) {
  FakeClock clock;
  AuthThrottle throttle(clock);
  for (int i = 0; i < 6; ++i) fail(throttle, "client", "10.0.0.1");
  EXPECT_EQ(throttle.wait_before("client", "10.0.0.2"), seconds(1));
  clock.advance(seconds(1));
  EXPECT_EQ(throttle.begin_attempt("client", "10.0.0.1"), seconds(0));
  throttle.succeeded("client", "10.0.0.1");
  fail(throttle, "client", "10.0.0.1");
  EXPECT_EQ(throttle.wait_before("client", "10.0.0.1"), seconds(0));
}

// Test that one client id's failures do not slow another client id.
TEST(AuthThrottleTest, ClientIdsAreIndependent) {
  FakeClock clock;
  AuthThrottle throttle(clock);
  for (int i = 0; i < 6; ++i) fail(throttle, "victim", "10.0.0.1");
  EXPECT_GT(throttle.begin_attempt("victim", "10.0.0.9"), seconds(0));
  EXPECT_EQ(throttle.wait_before("other", "10.0.0.1"), seconds(0));
}

// Test that failures spread over many client ids from one IP are throttled
// by IP after 20, for every client id from that IP, but not other IPs.
TEST(AuthThrottleTest, IpThresholdCatchesSpreadFailures) {
  FakeClock clock;
  AuthThrottle throttle(clock);
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(throttle.wait_before("c" + std::to_string(i), "10.0.0.1"), seconds(0));
    fail(throttle, "c" + std::to_string(i), "10.0.0.1");
  }
  EXPECT_EQ(throttle.wait_before("fresh", "10.0.0.1"), seconds(0));
  fail(throttle, "c20", "10.0.0.1");
  EXPECT_EQ(throttle.wait_before("fresh", "10.0.0.1"), seconds(1));
  EXPECT_EQ(throttle.begin_attempt("fresh", "10.0.0.1"), seconds(1));
  EXPECT_EQ(throttle.wait_before("fresh", "10.0.0.2"), seconds(0));
  // An empty client id (unparseable credentials) is throttled by IP only.
  EXPECT_EQ(throttle.begin_attempt("", "10.0.0.1"), seconds(1));
}

// Test that a success does not clear the IP's count (one valid credential
// must not launder a stuffing run): it only refunds its own attempt.
TEST(AuthThrottleTest, SuccessDoesNotClearTheIp) {
  FakeClock clock;
  AuthThrottle throttle(clock);
  for (int i = 0; i < 21; ++i) fail(throttle, "c" + std::to_string(i), "10.0.0.1");
  clock.advance(seconds(1));
  EXPECT_EQ(throttle.begin_attempt("good", "10.0.0.1"), seconds(0));
  throttle.succeeded("good", "10.0.0.1");
  fail(throttle, "c21", "10.0.0.1");
  EXPECT_EQ(throttle.wait_before("good", "10.0.0.1"), seconds(2));
}

// Test that counts are forgotten after 15 minutes without a failure.
TEST(AuthThrottleTest, CountsAreForgottenAfterTheQuietPeriod) {
  FakeClock clock;
  AuthThrottle throttle(clock);
  for (int i = 0; i < 5; ++i) fail(throttle, "client", "10.0.0.1");
  clock.advance(seconds(900));
  fail(throttle, "client", "10.0.0.1");  // counted as the first again
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
  fail(throttle, "c", "ip");
  EXPECT_EQ(throttle.wait_before("c", "ip"), seconds(0));
  fail(throttle, "c", "ip");
  EXPECT_EQ(throttle.wait_before("c", "ip"), seconds(1));
  clock.advance(seconds(1));
  fail(throttle, "c", "ip");
  EXPECT_EQ(throttle.wait_before("c", "ip"), seconds(2));
  clock.advance(seconds(2));
  fail(throttle, "c", "ip");
  EXPECT_EQ(throttle.wait_before("c", "ip"), seconds(3));
}

}  // namespace
}  // namespace latchkey::limits
