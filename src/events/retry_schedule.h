// When a failed webhook delivery is tried again (docs/webhooks.md): after
// the n-th failed attempt, first * 2^(n-1), at most `cap`, shortened by up
// to `jitter` (a fraction) at random so that many events failing together
// do not retry together. Thread-safe (the Random is).
#pragma once

#include <chrono>

#include "core/random.h"
#include "core/time.h"

namespace latchkey::events {

struct RetrySchedule {
  Duration first = std::chrono::seconds(10);
  Duration cap = std::chrono::hours(1);
  double jitter = 0.25;  // 0..1
};

// The delay without jitter after `failed_attempts` (>= 1) failures.
Duration nominal_retry_delay(int failed_attempts, const RetrySchedule& schedule = {});

// nominal_retry_delay minus a random part of at most `jitter` of it.
Duration retry_delay(int failed_attempts, Random& random, const RetrySchedule& schedule = {});

}  // namespace latchkey::events
