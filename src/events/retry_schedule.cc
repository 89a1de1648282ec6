#include "events/retry_schedule.h"

#include <array>
#include <cstdint>

namespace latchkey::events {

Duration nominal_retry_delay(int failed_attempts, const RetrySchedule& schedule) {
  Duration delay = schedule.first;
  for (int i = 1; i < failed_attempts && delay < schedule.cap; ++i) delay *= 2;
  return delay < schedule.cap ? delay : schedule.cap;
}

Duration retry_delay(int failed_attempts, Random& random, const RetrySchedule& schedule) {
  const Duration nominal = nominal_retry_delay(failed_attempts, schedule);
  std::array<std::uint8_t, 4> bytes{};
  random.fill(bytes);
  const std::uint32_t draw = (std::uint32_t{bytes[0]} << 24) | (std::uint32_t{bytes[1]} << 16) |
                             (std::uint32_t{bytes[2]} << 8) | std::uint32_t{bytes[3]};
  const double fraction = schedule.jitter * (static_cast<double>(draw) / 4294967296.0);
  const auto cut = static_cast<Duration::rep>(static_cast<double>(nominal.count()) * fraction);
  return nominal - Duration(cut);
}

}  // namespace latchkey::events
