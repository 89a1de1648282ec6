// How the client library waits out "429 Too Many Requests": every token
// exchange and every Client::call goes through the same policy.
//
// After a 429 the library waits, then sends the same request again. Wait n
// (n = 1, 2, ...) is
//
//     base = max(Retry-After, min(max_backoff, initial_backoff * 2^(n-1)))
//     wait = base * (1 + jitter * u),  u uniform in [0, 1)
//
// so it is never shorter than the server's Retry-After (seconds or an
// HTTP-date), grows exponentially when the server sends none, and is spread
// by jitter so that many clients do not return at the same instant. The sum
// of all waits of one request never exceeds max_total_wait: the last wait is
// shortened to what is left of it. The library gives up, answering
// ErrorKind::kRateLimited with the server's retry_after, when max_attempts
// requests were sent, when the budget is used up, or at once (without
// sleeping) when the Retry-After alone is longer than what is left of the
// budget. Only 429 is retried; other statuses never are.
//
// Plain values; the callables must be thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>

namespace latchkey::client {

// Seconds since the Unix epoch. Injected so that tests drive time.
using UnixClock = std::function<std::int64_t()>;
std::int64_t system_unix_seconds();

// Blocks the calling thread for the given time. Injected so that tests
// record the waits instead of sleeping.
using Sleeper = std::function<void(std::chrono::milliseconds)>;
void system_sleep(std::chrono::milliseconds duration);

// A number in [0, 1) for the jitter.
using UnitRandom = std::function<double()>;
double system_unit_random();

struct RetryPolicy {
  // Requests sent in all, the first included; 1 turns retrying off.
  int max_attempts = 4;
  std::chrono::milliseconds initial_backoff{500};
  std::chrono::milliseconds max_backoff{30'000};  // cap of the exponential part
  std::chrono::milliseconds max_total_wait{60'000};
  double jitter = 0.2;  // up to +20 % on every wait
  UnitRandom random;    // default: system_unit_random
};

}  // namespace latchkey::client
