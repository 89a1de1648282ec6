// The 429 loop of RetryPolicy (latchkey/client/retry.h), shared by every
// token source and Client::call: send, and while the answer is 429 and the
// policy allows, sleep and send again. Returns the last response whatever
// its status (a 429 the policy gave up on included); the caller turns it
// into an error. Transport failures are returned at once, never retried.
#pragma once

#include "latchkey/client/retry.h"
#include "latchkey/client/transport.h"

namespace latchkey::client::internal {

struct RetryEnvironment {
  const RetryPolicy& policy;
  const Sleeper& sleeper;  // may be empty: system_sleep
  const UnixClock& clock;  // may be empty: system_unix_seconds
};

Result<HttpResponse> send_with_retry(Transport& transport, const HttpRequest& request,
                                     const RetryEnvironment& env);

// Wait n (1-based) before resending, given the server's Retry-After. Pure
// apart from policy.random.
std::chrono::milliseconds retry_wait(const RetryPolicy& policy, int n,
                                     std::optional<std::chrono::seconds> retry_after);

}  // namespace latchkey::client::internal
