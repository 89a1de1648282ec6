// The only source of "now" in latchkey. Everything that expires, ages or
// rotates takes a Clock&, so tests drive time instead of sleeping
// (tests/support/fake_clock.h). Implementations are thread-safe.
#pragma once

#include <atomic>

#include "core/time.h"

namespace latchkey {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual Instant now() const = 0;
};

// Wall-clock time.
class SystemClock final : public Clock {
 public:
  Instant now() const override;
};

// Wall-clock time plus an offset that can only grow. Used by latchkeyd when
// started with --insecure-test-clock so that integration tests can move time
// forward over HTTP; never enabled by default.
class AdjustableClock final : public Clock {
 public:
  Instant now() const override;
  void advance(Duration d) { offset_ms_.fetch_add(d.count(), std::memory_order_relaxed); }

 private:
  SystemClock system_;
  std::atomic<std::int64_t> offset_ms_{0};
};

}  // namespace latchkey
