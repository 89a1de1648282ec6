// Credential-stuffing defence for the token endpoints (issue 5, item 4):
// failed authentications are counted per client id and per source IP; past a
// threshold each further failure doubles how long that client id or IP is
// refused (429 with Retry-After) without even checking the secret. A success
// clears the client id's count and adds no delay. Numbers in
// docs/rate-limits.md.
//
// Check and admission are atomic: begin_attempt() decides whether an attempt
// may proceed and, in the same critical section, counts it as in flight.
// The caller then reports the outcome: failed() for a wrong secret,
// succeeded() for a right one, refund() when the secret was not judged (a
// disabled account, a malformed request, a server error). While an identity
// has no standing failure, any number of attempts may be in flight (parallel
// logins with the right secret are never slowed); once it has failures, only
// as many may be in flight as free failures are left (at least one). So N
// parallel guesses cannot all be checked: after the first wrong one, at most
// the remaining free ones are.
//
// Thread-safety: every method is safe from any thread.
#pragma once

#include <chrono>
#include <memory>
#include <string_view>

namespace latchkey {
class Clock;
}

namespace latchkey::limits {

struct AuthThrottleOptions {
  int client_free_failures = 5;  // failures per client id before delays start
  int ip_free_failures = 20;     // failures per source IP before delays start
  std::chrono::seconds first_delay{1};
  std::chrono::seconds max_delay{300};
  // A count is forgotten after this long without a failure.
  std::chrono::seconds forget_after{900};
};

class AuthThrottle {
 public:
  AuthThrottle(const Clock& clock, AuthThrottleOptions options = {});
  ~AuthThrottle();

  // Under one lock: when the client id or the IP is blocked, returns how
  // long the caller must wait (> 0; the longer of the two delays) and
  // records nothing; when it has standing failures and as many attempts in
  // flight as free failures are left, returns first_delay. Otherwise counts
  // the attempt as in flight and returns zero: the caller may check the
  // secret, then must report failed(), succeeded() or refund(). An empty
  // client id (unparseable credentials) is throttled by IP only.
  std::chrono::seconds begin_attempt(std::string_view client_id, std::string_view ip);
  // The admitted attempt had a wrong secret: a failure of both the client id
  // and the IP; past the free ones each failure doubles the block.
  void failed(std::string_view client_id, std::string_view ip);
  // The admitted attempt had the right secret: clears the client id's
  // failures and block; the IP's failures stand. Never adds a delay.
  void succeeded(std::string_view client_id, std::string_view ip);
  // The admitted attempt's secret was not judged: it is no longer in flight,
  // and nothing is counted.
  void refund(std::string_view client_id, std::string_view ip);

  // Inspection (tests, diagnostics): how long an attempt would have to wait
  // now, without recording anything. Not for gating attempts: use
  // begin_attempt(), which is atomic with the count.
  std::chrono::seconds wait_before(std::string_view client_id, std::string_view ip) const;

 private:
  struct State;
  const Clock& clock_;
  AuthThrottleOptions options_;
  std::unique_ptr<State> state_;
};

}  // namespace latchkey::limits
