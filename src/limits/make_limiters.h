// Builds the rate and concurrency limiters latchkeyd uses from the
// `limits` setting (docs/configuration.md, docs/rate-limits.md): empty is
// in this process; redis://HOST:PORT[/DB] is shared by every node using it.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "core/error.h"
#include "limits/concurrency_limiter.h"
#include "limits/rate_limiter.h"

namespace latchkey {
class Clock;
}

namespace latchkey::limits {

struct LimitersOptions {
  std::string url;  // "" (in process) or redis://...
  // Redis only: lease of a concurrency slot; pool size; timeouts.
  std::chrono::milliseconds lease{30'000};
  int connections = 4;
  std::chrono::milliseconds connect_timeout{50};
  std::chrono::milliseconds command_timeout{100};
  // Redis only: true passes `clock`'s time to Redis (latchkeyd
  // --insecure-test-clock), false uses Redis's own clock.
  bool use_clock_time = false;
  // Redis only: told once when Redis becomes unreachable and once when it is back.
  std::function<void(bool warning, std::string_view message)> log;
};

struct Limiters {
  std::unique_ptr<RateLimiter> rate;
  std::unique_ptr<ConcurrencyLimiter> concurrency;
  std::string description;  // for the start-up log; never a password
};

// An invalid URL is an error; an unreachable Redis is not (it is a
// run-time failure mode: the limiters answer "unavailable" until it is up).
Result<Limiters> make_limiters(const LimitersOptions& options, const Clock& clock);

}  // namespace latchkey::limits
