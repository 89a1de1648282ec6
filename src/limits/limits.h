// The limits a running latchkeyd enforces, bundled for ApiContext and the
// gateway: per-key rate (seed 004: 60/min), per-key-per-route concurrency
// (seed 004: 5), and the token endpoints' credential-stuffing throttle.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "limits/auth_throttle.h"
#include "limits/concurrency_limiter.h"
#include "limits/rate_limiter.h"

namespace latchkey::limits {

// Which limit applies to a key: its own override, else its role's, else the
// default (docs/rate-limits.md). Implemented in limit_policy.cc.
struct KeyLimits {
  int requests_per_minute = 60;
  int concurrent_per_route = 5;
};

class LimitPolicy {
 public:
  virtual ~LimitPolicy() = default;
  virtual KeyLimits for_key(std::string_view key_id, std::string_view role_id) const = 0;
};

struct Limits {
  std::unique_ptr<RateLimiter> rate;
  ConcurrencyLimiter concurrency;
  std::unique_ptr<AuthThrottle> auth_throttle;
  std::unique_ptr<LimitPolicy> policy;
};

}  // namespace latchkey::limits
