// Per-API-key request rate limit (seed 004: 60 requests per minute per key),
// exact over a sliding window: no window of `window` length, wherever it
// starts, ever admits more than the limit.
//
// Thread-safety: admit() and peek() are safe from any thread.
#pragma once

#include <chrono>
#include <memory>
#include <string_view>

namespace latchkey {
class Clock;
}

namespace latchkey::limits {

// The outcome of one admission, and what the IETF RateLimit-* headers say.
struct RateLimitState {
  bool admitted = false;
  // The shared counter (Redis) could not be asked: neither admitted nor
  // refused by the limit. The key-limit stage decides (docs/rate-limits.md).
  bool unavailable = false;
  int limit = 0;      // RateLimit-Limit
  int remaining = 0;  // RateLimit-Remaining: admissions left in the current window
  // RateLimit-Reset: seconds until one more request is available (the
  // admission that keeps the window fullest leaves it), rounded up; 0 when
  // nothing was admitted in the current window.
  std::chrono::seconds reset{0};
  // Retry-After when refused (equal to reset then); zero when admitted.
  std::chrono::seconds retry_after{0};
};

class RateLimiter {
 public:
  virtual ~RateLimiter() = default;
  // Admits one request for `key` if fewer than `limit` were admitted in the
  // last window, and records it. limit <= 0 means unlimited.
  virtual RateLimitState admit(std::string_view key, int limit) = 0;
};

// The in-process limiter (one node; redis_limiters.h makes it global). Memory is
// O(limit) per active key; keys idle for a whole window are forgotten. A
// window is half-open: an admission at t counts until t + window.
std::unique_ptr<RateLimiter> make_local_rate_limiter(
    const Clock& clock, std::chrono::seconds window = std::chrono::seconds(60));

}  // namespace latchkey::limits
