// Credential-stuffing defence for the token endpoints (issue 5, item 4):
// failed authentications are counted per client id and per source IP; past a
// threshold each further failure doubles how long that client id or IP is
// refused (429 with Retry-After) without even checking the secret. A success
// clears the client id's count and adds no delay. Numbers in
// docs/rate-limits.md.
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
  // Zero when an attempt may proceed now; else how long the caller must
  // wait (the longer of the client id's and the IP's delay). An empty
  // client id (unparseable credentials) is throttled by IP only.
  std::chrono::seconds wait_before(std::string_view client_id, std::string_view ip) const;
  void failed(std::string_view client_id, std::string_view ip);
  void succeeded(std::string_view client_id, std::string_view ip);

 private:
  struct State;
  const Clock& clock_;
  AuthThrottleOptions options_;
  std::unique_ptr<State> state_;
};

}  // namespace latchkey::limits
