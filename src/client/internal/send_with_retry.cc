#include "client/internal/send_with_retry.h"

#include <algorithm>

#include "client/internal/retry_after.h"

namespace latchkey::client::internal {

std::chrono::milliseconds retry_wait(const RetryPolicy& policy, int n,
                                     std::optional<std::chrono::seconds> retry_after) {
  using std::chrono::milliseconds;
  // initial * 2^(n-1), without overflowing for a large n.
  milliseconds backoff = policy.initial_backoff;
  for (int i = 1; i < n && backoff < policy.max_backoff; ++i) backoff *= 2;
  backoff = std::min(backoff, policy.max_backoff);
  milliseconds base = std::max(backoff, milliseconds::zero());
  if (retry_after) base = std::max<milliseconds>(base, *retry_after);
  const double u = policy.random ? policy.random() : system_unit_random();
  const double spread = std::clamp(policy.jitter, 0.0, 1.0) * std::clamp(u, 0.0, 1.0);
  return base + milliseconds(static_cast<std::int64_t>(static_cast<double>(base.count()) * spread));
}

Result<HttpResponse> send_with_retry(Transport& transport, const HttpRequest& request,
                                     const RetryEnvironment& env) {
  std::chrono::milliseconds waited{0};
  for (int attempt = 1;; ++attempt) {
    auto response = transport.send(request);
    if (!response || response->status != 429 || attempt >= env.policy.max_attempts) {
      return response;
    }
    const std::int64_t now = env.clock ? env.clock() : system_unix_seconds();
    const auto retry_after = response->header("Retry-After");
    const auto delay = retry_after ? parse_retry_after(*retry_after, now) : std::nullopt;
    const std::chrono::milliseconds remaining = env.policy.max_total_wait - waited;
    // Give up now, not after sleeping, when the server asks for more than
    // the budget has left; jitter and back-off alone only shorten the last wait.
    if (remaining <= std::chrono::milliseconds::zero() || (delay && *delay > remaining)) {
      return response;
    }
    const std::chrono::milliseconds wait =
        std::min(retry_wait(env.policy, attempt, delay), remaining);
    waited += wait;
    if (env.sleeper) {
      env.sleeper(wait);
    } else {
      system_sleep(wait);
    }
  }
}

}  // namespace latchkey::client::internal
