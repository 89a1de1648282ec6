// A Clock that stands still until the test moves it. Thread-safe.
#pragma once

#include <atomic>

#include "core/clock.h"

namespace latchkey::testing {

class FakeClock final : public Clock {
 public:
  explicit FakeClock(Instant start = from_unix_millis(1'795'000'000'000))
      : ms_(to_unix_millis(start)) {}
  Instant now() const override { return from_unix_millis(ms_.load()); }
  void advance(Duration d) { ms_.fetch_add(d.count()); }
  void set(Instant t) { ms_.store(to_unix_millis(t)); }

 private:
  std::atomic<std::int64_t> ms_;
};

}  // namespace latchkey::testing
