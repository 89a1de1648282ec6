// A deterministic Random for tests: a counter run through SHA-256, so
// output is reproducible yet has no visible pattern. Thread-safe.
#pragma once

#include <atomic>
#include <cstdint>

#include "core/random.h"

namespace latchkey::testing {

class CounterRandom final : public Random {
 public:
  explicit CounterRandom(std::uint64_t seed = 1) : counter_(seed) {}
  void fill(std::span<std::uint8_t> out) override;

 private:
  std::atomic<std::uint64_t> counter_;
};

}  // namespace latchkey::testing
