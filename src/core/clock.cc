#include "core/clock.h"

namespace latchkey {

Instant SystemClock::now() const {
  return std::chrono::time_point_cast<Duration>(std::chrono::system_clock::now());
}

Instant AdjustableClock::now() const {
  return system_.now() + Duration{offset_ms_.load(std::memory_order_relaxed)};
}

}  // namespace latchkey
