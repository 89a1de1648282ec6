// The limits a running latchkeyd enforces, bundled for ApiContext and the
// gateway: per-key rate (seed 004: 60/min), per-key-per-route concurrency
// (seed 004: 5), and the token endpoints' credential-stuffing throttle.
// User-facing description: docs/rate-limits.md.
//
// Thread-safety: the members of Limits are safe from any thread; the bundle
// itself is built once in server/main.cc before serving.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "limits/auth_throttle.h"
#include "limits/concurrency_limiter.h"
#include "limits/rate_limiter.h"

namespace latchkey::limits {

// The limits that apply to one key. A value <= 0 means unlimited.
struct KeyLimits {
  int requests_per_minute = 60;  // seed 004: 60 requests per minute per key
  int concurrent_per_route = 5;  // seed 004: 5 concurrent requests per endpoint
  bool operator==(const KeyLimits&) const = default;
};

// A partial set of limits (a key's override or a role's configured limits):
// an unset field falls through to the next level.
struct LimitOverride {
  std::optional<int> requests_per_minute;
  std::optional<int> concurrent_per_route;
  bool empty() const { return !requests_per_minute && !concurrent_per_route; }
  bool operator==(const LimitOverride&) const = default;
};

// Which limit applies to a key, field by field: its own override, else its
// role's, else the default (limit_policy.h has the configured implementation).
class LimitPolicy {
 public:
  virtual ~LimitPolicy() = default;
  // role_id is the key's role (empty when the key carries every role of its
  // owner: only the key override and the defaults apply then).
  virtual KeyLimits for_key(std::string_view key_id, std::string_view role_id) const = 0;
};

struct Limits {
  std::unique_ptr<RateLimiter> rate;
  std::unique_ptr<ConcurrencyLimiter> concurrency = make_local_concurrency_limiter();
  // When the limiters' backend (Redis) cannot be asked: false refuses the
  // request with 503 limits_unavailable, true admits it unlimited
  // (`limits_fail_open`; docs/rate-limits.md).
  bool fail_open = false;
  std::unique_ptr<AuthThrottle> auth_throttle;
  std::unique_ptr<LimitPolicy> policy;
};

// Counts one request refused by a limit in the metrics family
// latchkey_limit_rejections_total{limit} of metrics::default_registry().
// `limit` is "rate", "concurrency" or "auth_throttle".
void count_rejection(std::string_view limit);

// Counts one request that needed a limit decision while the limiters'
// backend could not be asked, in latchkey_limits_unavailable_total{outcome}:
// outcome "refused" (503, the default) or "admitted" (limits_fail_open).
void count_unavailable(bool admitted);

}  // namespace latchkey::limits
