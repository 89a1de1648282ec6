// Credential-stuffing defence for the token endpoints (issue 5, item 4):
// failed authentications are counted per client id and per source IP; past a
// threshold each further failure doubles how long that client id or IP is
// refused (429 with Retry-After) without even checking the secret. A success
// clears the client id's count and adds no delay. Numbers in
// docs/rate-limits.md.
//
// Check-and-count is atomic: begin_attempt() decides whether an attempt may
// proceed and, in the same critical section, counts it as a failure
// provisionally. The caller then reports the outcome: nothing more for a
// wrong secret (the failure stands), succeeded() for a right one, refund()
// when the secret was not judged wrong (e.g. a disabled account with the
// right secret, a malformed request, a server error). So N parallel guesses
// cannot all pass the check before any of them is counted: with 5 free
// failures, at most 6 of them (the 5 free ones and the one that raises the
// block) are checked, the rest are refused at once.
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
  // records nothing. Otherwise counts the attempt as a failure of both the
  // client id and the IP (same counting and doubling rules as a confirmed
  // failure, so this attempt may itself raise a block for the attempts
  // after it) and returns zero: the caller may check the secret. An empty
  // client id (unparseable credentials) is counted and throttled by IP only.
  std::chrono::seconds begin_attempt(std::string_view client_id, std::string_view ip);
  // The attempt admitted by begin_attempt() had the right secret: clears
  // the client id's count (and block), and refunds the IP's provisional
  // failure (see refund()). Never adds a delay.
  void succeeded(std::string_view client_id, std::string_view ip);
  // The attempt admitted by begin_attempt() did not turn out to be a wrong
  // secret (a disabled account with the right secret, a malformed request,
  // a server error, another limit refused it): its provisional failure is
  // taken back, each count dropping by one, and the block it raised (if
  // any) is lifted. Nothing is counted while an identity is blocked, so an
  // identity's block is always the one raised by its most recently counted
  // attempt; a refund lifts that block even when that attempt is not the
  // refunded one (a slow attempt finishing after a newer one), which lets
  // through at most one attempt per refunded attempt; the counts, hence
  // the next delay, keep every failure that stands.
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
